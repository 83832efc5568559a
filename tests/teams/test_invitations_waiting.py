"""Invitations waiting for you: the team list shows a signed-in person the pending invitations addressed to
one of their verified addresses, to accept or decline there, with or without htmx."""

from __future__ import annotations

from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.utils import timezone

from portal.audit.models import AuditEvent
from portal.teams.models import Invitation, Membership
from portal.teams.selectors import invitation_token
from portal.teams.services import team_create
from tests.helpers.teams import make_user

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def _invite(team, email: str, *, role: str = "developer", days: int = 7) -> Invitation:
    return Invitation.objects.create(
        team=team,
        email=email,
        role=role,
        invited_by=Membership.objects.get(team=team).user,
        expires_at=timezone.now() + timedelta(days=days),
    )


@pytest.fixture
def acme(alice):
    return team_create(user=alice, name="Acme Inc.", request=None)


@pytest.fixture
def ben(client):
    ben = make_user("ben")
    client.force_login(ben)
    return ben


def test_the_team_list_shows_only_pending_invitations_to_verified_addresses(client, alice, acme, ben):
    other = team_create(user=alice, name="Other Co", request=None)
    third = team_create(user=alice, name="Third Co", request=None)
    gone = team_create(user=alice, name="Gone Co", request=None)
    _invite(acme, "BEN@example.com")  # the address's case does not matter
    _invite(other, "ben@work.example")  # an address Ben has not verified
    EmailAddress.objects.create(user=ben, email="ben@work.example", verified=False)
    _invite(third, "someone@example.com")
    _invite(gone, "ben@example.com", days=-1)  # expired
    page = client.get("/developer/teams/").content.decode()
    assert "Invitations waiting for you" in page
    assert "Accept and join Acme Inc." in page and "Decline the invitation to Acme Inc." in page
    for name in ("Other Co", "Third Co", "Gone Co"):
        assert name not in page
    # Once Ben verifies the second address, that invitation is his too.
    EmailAddress.objects.filter(email="ben@work.example").update(verified=True)
    assert "Accept and join Other Co" in client.get("/developer/teams/").content.decode()


def test_nothing_waiting_shows_no_section(client, ben):
    assert b"Invitations waiting for you" not in client.get("/developer/teams/").content


def test_accept_from_the_list_without_htmx(client, acme, ben):
    invitation = _invite(acme, "ben@example.com", role="viewer")
    response = client.post(f"/developer/invitations/{invitation.pk}/accept/", follow=True)
    assert response.redirect_chain == [("/developer/teams/", 302)]
    page = response.content.decode()
    assert "You joined Acme Inc. as viewer." in page
    assert "Invitations waiting for you" not in page
    assert f'href="/developer/teams/{acme.pk}/"' in page
    assert Membership.objects.get(team=acme, user=ben).role == "viewer"
    # The same accept as the emailed link: audited the same way, and the link is used up.
    assert AuditEvent.objects.filter(action="team.joined", team=acme, actor=ben).count() == 1
    response = client.post(f"/developer/invitations/{invitation_token(invitation)}/", follow=True)
    assert b"already used" in response.content


def test_accept_from_the_list_with_htmx_answers_the_fragment(client, acme, ben):
    invitation = _invite(acme, "ben@example.com")
    response = client.post(f"/developer/invitations/{invitation.pk}/accept/", **HTMX)
    assert response.status_code == 200
    fragment = response.content.decode()
    assert fragment.lstrip().startswith('<div id="teams">')
    assert "You joined Acme Inc. as developer." in fragment
    assert f'href="/developer/teams/{acme.pk}/"' in fragment and "Accept and join" not in fragment
    assert Membership.objects.get(team=acme, user=ben).role == "developer"


def test_decline_ends_the_invitation_and_its_link(client, acme, ben):
    invitation = _invite(acme, "ben@example.com")
    response = client.post(f"/developer/invitations/{invitation.pk}/decline/", **HTMX)
    assert response.status_code == 200
    assert b"You declined the invitation to Acme Inc.; its link no longer works." in response.content
    assert b"Accept and join" not in response.content
    invitation.refresh_from_db()
    assert invitation.declined_at is not None and not invitation.is_pending
    event = AuditEvent.objects.get(action="team.invitation_declined", team=acme)
    assert event.actor == ben and event.changes == {"email": "ben@example.com", "role": "developer"}
    # The emailed link says it can no longer be used, and does not let Ben in.
    link = f"/developer/invitations/{invitation_token(invitation)}/"
    assert b"accepted, declined, withdrawn or has expired" in client.get(link).content
    assert b"This invitation was declined" in client.post(link, follow=True).content
    assert not Membership.objects.filter(team=acme, user=ben).exists()
    # A second decline (a double click, another tab) says so instead of failing.
    response = client.post(f"/developer/invitations/{invitation.pk}/decline/", follow=True)
    assert b"This invitation was declined" in response.content
    assert AuditEvent.objects.filter(action="team.invitation_declined").count() == 1


def test_decline_without_htmx_redirects_with_a_message(client, acme, ben):
    invitation = _invite(acme, "ben@example.com")
    response = client.post(f"/developer/invitations/{invitation.pk}/decline/", follow=True)
    assert response.redirect_chain == [("/developer/teams/", 302)]
    assert b"You declined the invitation to Acme Inc." in response.content


def test_the_owner_sees_the_decline_and_can_invite_again(client, alice, acme, ben):
    invitation = _invite(acme, "ben@example.com")
    client.post(f"/developer/invitations/{invitation.pk}/decline/")
    client.force_login(alice)
    assert b"ben@example.com" not in client.get(f"/developer/teams/{acme.pk}/").content
    assert b"Invitation declined" in client.get(f"/developer/teams/{acme.pk}/audit/").content


@pytest.mark.parametrize("action", ["accept", "decline"])
def test_someone_elses_invitation_is_not_found(client, acme, ben, action):
    invitation = _invite(acme, "charlie@example.com")
    response = client.post(f"/developer/invitations/{invitation.pk}/{action}/")
    assert response.status_code == 404
    invitation.refresh_from_db()
    assert invitation.is_pending and not Membership.objects.filter(team=acme, user=ben).exists()


@pytest.mark.parametrize("action", ["accept", "decline"])
def test_an_unverified_address_is_not_enough(client, acme, action):
    ben = make_user("ben", verified=False)
    client.force_login(ben)
    invitation = _invite(acme, "ben@example.com")
    assert client.post(f"/developer/invitations/{invitation.pk}/{action}/").status_code == 404
    invitation.refresh_from_db()
    assert invitation.is_pending


@pytest.mark.parametrize("action", ["accept", "decline"])
def test_a_withdrawn_invitation_cannot_be_answered(client, acme, ben, action):
    invitation = _invite(acme, "ben@example.com")
    Invitation.objects.filter(pk=invitation.pk).update(revoked_at=timezone.now())
    response = client.post(f"/developer/invitations/{invitation.pk}/{action}/", **HTMX)
    assert response.status_code == 200
    assert b"This invitation was withdrawn" in response.content
    assert not Membership.objects.filter(team=acme, user=ben).exists()
    invitation.refresh_from_db()
    assert invitation.declined_at is None


@pytest.mark.parametrize("action", ["accept", "decline"])
def test_the_answers_are_post_only_and_need_a_sign_in(client, acme, action):
    ben = make_user("ben")
    invitation = _invite(acme, "ben@example.com")
    response = client.post(f"/developer/invitations/{invitation.pk}/{action}/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    client.force_login(ben)
    assert client.get(f"/developer/invitations/{invitation.pk}/{action}/").status_code == 405


def test_answers_need_the_csrf_token(acme):
    from django.test import Client

    ben = make_user("ben")
    invitation = _invite(acme, "ben@example.com")
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(ben)
    assert strict.post(f"/developer/invitations/{invitation.pk}/accept/").status_code == 403
    assert strict.post(f"/developer/invitations/{invitation.pk}/decline/").status_code == 403
    invitation.refresh_from_db()
    assert invitation.is_pending


def test_the_emailed_link_page_offers_to_decline_too(client, acme, ben):
    invitation = _invite(acme, "ben@example.com")
    page = client.get(f"/developer/invitations/{invitation_token(invitation)}/").content.decode()
    decline = f'action="/developer/invitations/{invitation.pk}/decline/"'
    assert "Accept the invitation" in page and decline in page
    response = client.post(f"/developer/invitations/{invitation.pk}/decline/", follow=True)
    assert b"You declined the invitation to Acme Inc." in response.content
