"""Signing up through an invitation: a person with no account opens the emailed link, is led to sign up,
confirms their address from the email allauth sends, and ends in the team with the role they were
invited with. In production the address must be confirmed before the first sign-in (mandatory); a
development site lets the person in at once (optional) but the invitation still needs the address
confirmed."""

from __future__ import annotations

import html
import re

import pytest
from django.core import mail

from portal.teams.models import Invitation, Membership
from portal.teams.services import team_create
from tests.helpers.constants import PASSWORD

pytestmark = pytest.mark.django_db


def _href(page: str, text: str) -> str:
    """The address of the link whose text is `text`, as a person would click it."""
    match = re.search(r'<a href="([^"]+)">' + re.escape(text) + "</a>", page)
    assert match, f"no link {text!r}"
    return html.unescape(match.group(1))


def _link_in(message, path: str) -> str:
    return re.search(r"https?://[^/\s]+(" + re.escape(path) + r"\S+)", message.body).group(1)


@pytest.fixture
def invitation_link(client, alice, django_capture_on_commit_callbacks):
    """Alice invites ben@example.com, who has no account, to Acme as admin; the link from the email."""
    team = team_create(user=alice, name="Acme Inc.", request=None)
    owner = type(client)()
    owner.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        owner.post(f"/developer/teams/{team.pk}/invite/", {"email": "Ben@example.com", "role": "admin"})
    [message] = mail.outbox
    return _link_in(message, "/developer/invitations/")


def _sign_up_from_the_link(client, link: str):
    """Open the link with no account, follow "Create one" from the sign-in page, and sign up."""
    response = client.get(link)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    signup = _href(client.get(response["Location"]).content.decode(), "Create one")
    page = client.get(signup).content.decode()
    assert "Create an account" in page
    # The form carries on to the invitation.
    assert html.unescape(re.search(r'name="next" value="([^"]*)"', page).group(1)) == link
    return client.post(
        signup,
        {
            "email": "ben@example.com",
            "username": "ben",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "next": link,
        },
    )


def _accept(client, link: str) -> None:
    page = client.get(link).content.decode()
    assert "You are invited to join <strong>Acme Inc.</strong> as <strong>admin</strong>" in page
    response = client.post(link, follow=True)
    assert b"You joined Acme Inc. as admin." in response.content
    membership = Membership.objects.get(team__name="Acme Inc.", user__username="ben")
    assert membership.role == "admin"
    assert Invitation.objects.get().accepted_by == membership.user


def test_sign_up_confirm_and_join_when_confirmation_is_mandatory(client, invitation_link, settings):
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"  # production's setting
    response = _sign_up_from_the_link(client, invitation_link)
    assert response.status_code == 302 and response["Location"] == "/accounts/confirm-email/"
    assert "_auth_user_id" not in client.session
    assert client.get(invitation_link)["Location"].startswith("/accounts/login/")
    confirmation = mail.outbox[-1]
    assert confirmation.to == ["ben@example.com"]
    confirm = _link_in(confirmation, "/accounts/confirm-email/")
    # Confirming the address signs Ben in and takes him on to the invitation, which he accepts.
    assert client.get(confirm).status_code == 200
    response = client.post(confirm)
    assert response.status_code == 302 and response["Location"] == invitation_link
    _accept(client, invitation_link)


def test_sign_up_confirm_and_join_when_confirmation_is_optional(client, invitation_link, settings):
    settings.ACCOUNT_EMAIL_VERIFICATION = "optional"  # a development site's
    response = _sign_up_from_the_link(client, invitation_link)
    # Signed in at once and back at the invitation, which needs the address confirmed first.
    assert response.status_code == 302 and response["Location"] == invitation_link
    page = client.get(invitation_link).content.decode()
    assert "this account needs Ben@example.com as a confirmed address" in page
    assert "Accept the invitation" not in page
    response = client.post(invitation_link, follow=True)
    assert b"This invitation is for Ben@example.com" in response.content
    assert not Membership.objects.filter(user__username="ben", team__name="Acme Inc.").exists()
    # Confirming it leads to the team list, where the invitation waits; accepting there joins the team.
    confirm = _link_in(mail.outbox[-1], "/accounts/confirm-email/")
    response = client.post(confirm)
    assert response.status_code == 302 and response["Location"] == "/developer/teams/"
    page = client.get("/developer/teams/").content.decode()
    assert "Invitations waiting for you" in page and "Accept and join Acme Inc." in page
    invitation = Invitation.objects.get()
    response = client.post(f"/developer/invitations/{invitation.pk}/accept/", follow=True)
    assert b"You joined Acme Inc. as admin." in response.content
    assert Membership.objects.get(team=invitation.team, user__username="ben").role == "admin"


def test_confirming_an_address_nobody_invited_keeps_allauths_landing_page(client, settings):
    settings.ACCOUNT_EMAIL_VERIFICATION = "optional"
    client.post(
        "/accounts/signup/",
        {"email": "zoe@example.com", "username": "zoe", "password1": PASSWORD, "password2": PASSWORD},
    )
    response = client.post(_link_in(mail.outbox[-1], "/accounts/confirm-email/"))
    assert response.status_code == 302 and response["Location"] == "/"
