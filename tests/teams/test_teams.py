"""Teams at work: the personal team, creating a team, invitations by email, roles, removing and leaving,
the last owner, deleting a team, and moving an app between teams (through staff review once approved)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from oauth2_provider.models import get_application_model

from portal.audit.models import AuditEvent
from portal.envconfig import parse_rate
from portal.review import services as review_services
from portal.teams.models import Invitation, Membership, Team
from portal.teams.services import team_create
from portal.terms.services import terms_accept
from tests.helpers.accounts import sign_in_recently_authenticated
from tests.helpers.teams import make_user, team_with_roles

pytestmark = pytest.mark.django_db


def _invite(client, team, email="ben@example.com", role="developer", **headers):
    return client.post(f"/developer/teams/{team.pk}/invite/", {"email": email, "role": role}, **headers)


def _link(message) -> str:
    return re.search(r"https?://[^/\s]+(/developer/invitations/\S+/)", message.body).group(1)


def test_a_solo_developer_gets_a_personal_team_on_the_first_visit(client, alice):
    client.force_login(alice)
    response = client.get("/developer/")
    assert response.status_code == 200
    team = Team.objects.get(personal_for=alice)
    assert Membership.objects.get(team=team).role == "owner"
    assert team.name == "Alice Example"
    client.get("/developer/")
    assert Team.objects.filter(personal_for=alice).count() == 1
    # One team: no team column and no team choice when registering.
    assert b'data-testid="app-team"' not in response.content


def test_an_app_registered_by_a_solo_developer_goes_to_their_personal_team(developer, client):
    response = client.post(
        "/developer/apps/new/",
        {
            "name": "Solo App",
            "client_type": "confidential",
            "grant_types": ["client-credentials"],
            "submission": "s1",
        },
    )
    assert response.status_code == 302
    app = get_application_model().objects.get(name="Solo App")
    assert app.team == Team.objects.get(personal_for=developer) and app.user == developer


def test_a_member_of_several_teams_chooses_the_team_of_a_new_app(developer, client):
    acme = team_create(user=developer, name="Acme Inc.", request=None)
    assert b'name="team"' in client.get("/developer/apps/new/").content
    client.post(
        "/developer/apps/new/",
        {
            "team": str(acme.pk),
            "name": "Acme App",
            "client_type": "confidential",
            "grant_types": ["client-credentials"],
            "submission": "s2",
        },
    )
    assert get_application_model().objects.get(name="Acme App").team == acme
    # With more than one team, the list says which team each app belongs to.
    assert (
        b'<small class="muted" data-testid="app-team">Acme Inc.</small>' in client.get("/developer/").content
    )


def test_a_viewer_cannot_register_an_app_in_the_team(developer, client, charlie):
    team_create(user=developer, name="Acme Inc.", request=None)
    other = team_create(user=charlie, name="Other", request=None)
    Membership.objects.create(team=other, user=developer, role="viewer")
    assert b"Other" not in client.get("/developer/apps/new/").content
    response = client.post(
        "/developer/apps/new/",
        {
            "team": str(other.pk),
            "name": "X",
            "client_type": "confidential",
            "grant_types": ["client-credentials"],
        },
    )
    assert response.status_code == 200
    assert b"Select a valid choice" in response.content
    assert not get_application_model().objects.filter(team=other).exists()


def test_create_a_team_and_invite_by_email(client, developer, django_capture_on_commit_callbacks):
    response = client.post("/developer/teams/", {"name": "Acme Inc."})
    team = Team.objects.get(name="Acme Inc.")
    assert response["Location"] == f"/developer/teams/{team.pk}/"
    with django_capture_on_commit_callbacks(execute=True):
        response = _invite(client, team, HTTP_HX_REQUEST="true")
    assert b"Invitation sent to ben@example.com" in response.content
    [message] = mail.outbox
    assert message.to == ["ben@example.com"] and "Acme Inc." in message.subject
    assert "/developer/invitations/" in message.body
    assert AuditEvent.objects.filter(action="team.invited", team=team).exists()
    assert b"ben@example.com" in client.get(f"/developer/teams/{team.pk}/").content


def test_accepting_needs_the_invited_verified_address_and_works_once(
    client, developer, django_capture_on_commit_callbacks
):
    team = team_create(user=developer, name="Acme Inc.", request=None)
    with django_capture_on_commit_callbacks(execute=True):
        _invite(client, team)
    link = _link(mail.outbox[0])
    # Someone else, signed in with another address, cannot use Ben's link.
    mallory = make_user("mallory")
    client.force_login(mallory)
    response = client.post(link, follow=True)
    assert b"This invitation is for ben@example.com" in response.content
    assert not Membership.objects.filter(team=team, user=mallory).exists()
    # Ben with the address not yet verified cannot either.
    ben = make_user("ben", verified=False)
    client.force_login(ben)
    assert b"This invitation is for ben@example.com" in client.post(link, follow=True).content
    ben.emailaddress_set.update(verified=True)
    response = client.post(link, follow=True)
    assert b"You joined Acme Inc. as developer" in response.content
    assert Membership.objects.get(team=team, user=ben).role == "developer"
    assert AuditEvent.objects.filter(action="team.joined", team=team, actor=ben).exists()
    # Single use.
    Membership.objects.filter(user=ben, team=team).delete()
    assert b"already used" in client.post(link, follow=True).content
    assert not Membership.objects.filter(team=team, user=ben).exists()


def test_an_expired_or_withdrawn_or_forged_invitation_does_not_work(
    client, developer, django_capture_on_commit_callbacks
):
    team = team_create(user=developer, name="Acme Inc.", request=None)
    with django_capture_on_commit_callbacks(execute=True):
        _invite(client, team)
    invitation = Invitation.objects.get()
    link = _link(mail.outbox[0])
    response = client.post(f"/developer/teams/{team.pk}/invitations/{invitation.pk}/revoke/", follow=True)
    assert b"withdrawn" in response.content
    assert AuditEvent.objects.filter(action="team.invitation_revoked", team=team).exists()
    ben = make_user("ben")
    client.force_login(ben)
    assert b"withdrawn" in client.post(link, follow=True).content
    Invitation.objects.filter(pk=invitation.pk).update(
        revoked_at=None, expires_at=timezone.now() - timedelta(1)
    )
    assert b"expired" in client.post(link, follow=True).content
    assert b"not valid" in client.get(link[:-5] + "xxxx/", follow=True).content
    assert client.get("/developer/invitations/%00/").status_code == 400
    assert not Membership.objects.filter(team=team, user=ben).exists()


def test_owner_changes_roles_but_the_team_keeps_an_owner(client, alice):
    team, members = team_with_roles(alice)
    sign_in_recently_authenticated(client, alice)
    own = Membership.objects.get(team=team, user=alice)
    response = client.post(
        f"/developer/teams/{team.pk}/members/{own.pk}/role/", {f"m{own.pk}-role": "admin"}, follow=True
    )
    assert b"at least one owner" in response.content
    assert Membership.objects.get(pk=own.pk).role == "owner"
    dave = Membership.objects.get(team=team, user=members["developer"])
    response = client.post(
        f"/developer/teams/{team.pk}/members/{dave.pk}/role/", {f"m{dave.pk}-role": "owner"}, follow=True
    )
    assert b"dave is now owner of Acme Inc." in response.content
    event = AuditEvent.objects.get(action="team.role_changed", team=team)
    assert event.changes == {"member": "dave", "role": ["developer", "owner"]}
    # With a second owner, alice may step down.
    client.post(f"/developer/teams/{team.pk}/members/{own.pk}/role/", {f"m{own.pk}-role": "admin"})
    assert Membership.objects.get(pk=own.pk).role == "admin"


def test_the_last_owner_cannot_leave(client, alice):
    team, _members = team_with_roles(alice)
    client.force_login(alice)
    response = client.post(f"/developer/teams/{team.pk}/leave/", {"confirmed": "yes"}, follow=True)
    assert b"at least one owner" in response.content
    assert Membership.objects.filter(team=team, user=alice).exists()


def test_a_member_leaves(client, alice):
    team, members = team_with_roles(alice)
    client.force_login(members["viewer"])
    response = client.post(f"/developer/teams/{team.pk}/leave/", {"confirmed": "yes"}, follow=True)
    assert b"You left Acme Inc." in response.content
    assert client.get(f"/developer/teams/{team.pk}/").status_code == 404
    assert AuditEvent.objects.filter(action="team.member_left", team=team).exists()


def test_removing_a_member_ends_their_access_at_once(client, alice, make_app):
    team, members = team_with_roles(alice)
    app, _secret = make_app(alice, name="Acme App", team=team)
    bob = members["admin"]
    bob_client = type(client)()
    bob_client.force_login(bob)
    assert bob_client.get(f"/developer/apps/{app.pk}/").status_code == 200
    client.force_login(alice)
    membership = Membership.objects.get(team=team, user=bob)
    response = client.post(
        f"/developer/teams/{team.pk}/members/{membership.pk}/remove/", {"confirmed": "yes"}, follow=True
    )
    assert b"bob is no longer a member of Acme Inc." in response.content
    # Same session, next request: gone.
    assert bob_client.get(f"/developer/apps/{app.pk}/").status_code == 404
    assert bob_client.get(f"/developer/apps/{app.pk}/", HTTP_HX_REQUEST="true").status_code == 404
    assert AuditEvent.objects.filter(action="team.member_removed", team=team).exists()


def test_a_team_with_apps_cannot_be_deleted(client, alice, make_app):
    team, _members = team_with_roles(alice)
    app, _secret = make_app(alice, name="Acme App", team=team)
    sign_in_recently_authenticated(client, alice)
    response = client.post(f"/developer/teams/{team.pk}/delete/", {"confirmed": "yes"}, follow=True)
    assert b"Transfer or delete the team" in response.content
    app.delete()
    response = client.post(f"/developer/teams/{team.pk}/delete/", {"confirmed": "yes"}, follow=True)
    assert b"The team Acme Inc. is deleted." in response.content
    assert not Team.objects.filter(pk=team.pk).exists()
    assert AuditEvent.objects.filter(action="team.deleted").exists()


def test_the_owner_reads_the_teams_audit_trail(client, alice, make_app, charlie, current_terms):
    terms_accept(user=alice, version=current_terms, request=None)
    team, _members = team_with_roles(alice)
    app, _secret = make_app(alice, name="Acme App", team=team)
    other, _ = make_app(charlie, name="Charlie App")
    sign_in_recently_authenticated(client, alice)
    client.post(f"/developer/apps/{app.pk}/secrets/rotate/", {"grace": "0", "confirmed": "yes"})
    page = client.get(f"/developer/teams/{team.pk}/audit/").content.decode()
    assert "Secret rotated" in page and "Team created" in page
    assert "Charlie App" not in page


def test_a_pending_app_moves_at_once_to_a_team_where_the_person_is_admin(
    client, alice, make_app, current_terms
):
    acme = team_create(user=alice, name="Acme Inc.", request=None)
    app, _secret = make_app(alice, name="Draft", review_status="pending", skip_authorization=False)
    sign_in_recently_authenticated(client, alice)
    page = client.get(f"/developer/apps/{app.pk}/transfer/").content.decode()
    assert "Acme Inc." in page
    response = client.post(f"/developer/apps/{app.pk}/transfer/", {"team": str(acme.pk)}, follow=True)
    assert b"Draft now belongs to Acme Inc." in response.content
    app.refresh_from_db()
    assert app.team == acme and app.user == alice
    assert AuditEvent.objects.filter(action="app.transferred", application=app).count() == 2


def test_only_teams_where_the_person_is_admin_are_offered(client, alice, charlie, make_app):
    app, _secret = make_app(alice, name="Draft", review_status="pending")
    theirs = team_create(user=charlie, name="Charlie's team", request=None)
    Membership.objects.create(team=theirs, user=alice, role="developer")
    sign_in_recently_authenticated(client, alice)
    assert b"Charlie&#x27;s team" not in client.get(f"/developer/apps/{app.pk}/transfer/").content
    client.post(f"/developer/apps/{app.pk}/transfer/", {"team": str(theirs.pk)})
    app.refresh_from_db()
    assert app.team.personal_for == alice


def test_an_approved_app_moves_only_when_staff_approve(client, alice, make_app, sam, staff_client):
    acme = team_create(user=alice, name="Acme Inc.", request=None)
    app, _secret = make_app(alice, name="Live App")
    personal = app.team
    developer_client = type(client)()
    sign_in_recently_authenticated(developer_client, alice)
    response = developer_client.post(
        f"/developer/apps/{app.pk}/transfer/", {"team": str(acme.pk)}, follow=True
    )
    assert b"waits for staff review" in response.content
    app.refresh_from_db()
    assert app.team == personal and app.proposed_changes == {"team": acme.pk}
    assert AuditEvent.objects.filter(action="app.transfer_proposed", application=app).exists()
    # Staff see the move on the review page, with the team and its members.
    page = staff_client.get(f"/staff/apps/{app.pk}/").content.decode()
    assert "Team (publisher)" in page and "Acme Inc." in page
    review_services.application_approve_change(application=app, reviewer=sam, version=app.review_version())
    app.refresh_from_db()
    assert app.team == acme and app.proposed_changes == {}
    assert AuditEvent.objects.filter(action="app.transferred", application=app, team=acme).exists()
    assert AuditEvent.objects.filter(action="app.transferred", application=app, team=personal).exists()


def test_an_edit_keeps_a_transfer_waiting_for_review(client, alice, make_app, current_terms):
    acme = team_create(user=alice, name="Acme Inc.", request=None)
    app, _secret = make_app(alice, name="Live App")
    terms_accept(user=alice, version=current_terms, request=None)
    sign_in_recently_authenticated(client, alice)
    client.post(f"/developer/apps/{app.pk}/transfer/", {"team": str(acme.pk)})
    form = client.get(f"/developer/apps/{app.pk}/edit/").context["form"]
    data = {name: form[name].value() for name in form.fields if name != "logo"}
    data["description"] = "New words."
    data["redirect_uris"] = "\n".join(data["redirect_uris"].split()) if data["redirect_uris"] else ""
    assert client.post(f"/developer/apps/{app.pk}/edit/", data).status_code == 302
    app.refresh_from_db()
    assert app.description == "New words." and app.proposed_changes == {"team": acme.pk}


def test_invitations_are_rate_limited_per_person(
    client, developer, settings, django_capture_on_commit_callbacks
):
    settings.PORTAL_RATE_LIMITS = {
        **settings.PORTAL_RATE_LIMITS,
        "team_invite": {
            **settings.PORTAL_RATE_LIMITS["team_invite"],
            "rate": parse_rate("team_invite", "2/h"),
        },
    }
    team = team_create(user=developer, name="Acme Inc.", request=None)
    with django_capture_on_commit_callbacks(execute=True):
        for number in range(2):
            assert _invite(client, team, email=f"person{number}@example.com").status_code == 302
        response = _invite(client, team, email="spam@example.com")
    assert response.status_code == 429 and response["Retry-After"]
    assert [message.to for message in mail.outbox] == [["person0@example.com"], ["person1@example.com"]]


def test_the_admin_shows_the_team_but_does_not_move_apps(sam, staff_client, alice, make_app):
    # A move changes the publisher people see: it goes through a transfer (audited, reviewed), not a select.
    sam.is_superuser = True
    sam.save()
    app, _secret = make_app(alice, name="Live App")
    page = staff_client.get(f"/admin/clients/application/{app.pk}/change/").content.decode()
    assert "Alice Example" in page
    assert 'name="team"' not in page
