"""Who reaches which team and app URL: every URL, for a non-member and each role, with and without htmx.

A non-member gets 404 everywhere (they learn nothing, not even that the team or app exists); a member whose
role lacks the permission gets 403 with the reason; a member whose role allows it gets the page or the
action's next step. Bodies are chosen so that an allowed request stops at a form error or a confirmation
and changes nothing, so every case can run against the same data."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_application_model
from oauth2_provider.oauth2_validators import set_token_value

from portal.clients.models import ClientSecret
from portal.teams.models import Invitation, Membership
from portal.terms.services import terms_accept
from tests.helpers.accounts import sign_in_recently_authenticated
from tests.helpers.teams import ROLES, make_user, team_with_roles

OK, CONFIRM, REDIRECT, FORBIDDEN, MISSING = 200, "confirm", 302, 403, 404

# (method, url, data, the least role that may, what an allowed member gets)
APP_URLS = [
    ("get", "/developer/apps/{app}/", None, "viewer", OK),
    ("get", "/developer/apps/{app}/edit/", None, "developer", OK),
    ("post", "/developer/apps/{app}/edit/", {"name": ""}, "developer", OK),
    ("get", "/developer/apps/{app}/delete/", None, "admin", OK),
    ("post", "/developer/apps/{app}/delete/", {"name": "wrong"}, "admin", OK),
    ("post", "/developer/apps/{app}/secrets/rotate/", {"grace": "bad"}, "admin", OK),
    ("post", "/developer/apps/{app}/secrets/{secret}/revoke/", {}, "admin", CONFIRM),
    ("get", "/developer/apps/{app}/tokens/", None, "developer", OK),
    ("post", "/developer/apps/{app}/tokens/{token}/revoke/", {}, "developer", CONFIRM),
    ("post", "/developer/apps/{app}/tokens/revoke-all/", {"name": "wrong"}, "admin", OK),
    ("get", "/developer/apps/{app}/transfer/", None, "admin", OK),
    ("post", "/developer/apps/{app}/transfer/", {"team": "999999"}, "admin", OK),
    # No transfer waits for this app: an allowed member is told so, on the app's page.
    ("post", "/developer/apps/{app}/transfer/withdraw/", {}, "admin", REDIRECT),
]
TEAM_URLS = [
    ("get", "/developer/teams/{team}/", None, "viewer", OK),
    ("post", "/developer/teams/{team}/invite/", {"email": "not an address", "role": "viewer"}, "owner", OK),
    ("post", "/developer/teams/{team}/invitations/{invitation}/revoke/", {}, "owner", REDIRECT),
    ("post", "/developer/teams/{team}/members/{member}/role/", {"role": "emperor"}, "owner", REDIRECT),
    ("post", "/developer/teams/{team}/members/{member}/remove/", {}, "owner", CONFIRM),
    ("post", "/developer/teams/{team}/leave/", {}, "viewer", CONFIRM),
    ("post", "/developer/teams/{team}/delete/", {}, "owner", CONFIRM),
    ("get", "/developer/teams/{team}/audit/", None, "owner", OK),
]
# Answering an invitation from one's list: only the person it is addressed to (a verified address), whatever
# their role in the team; for anyone else, members and owners included, it does not exist.
RECIPIENT_URLS = [
    ("post", "/developer/invitations/{invitation}/accept/", {}),
    ("post", "/developer/invitations/{invitation}/decline/", {}),
]
RANK = {role: index for index, role in enumerate(reversed(ROLES))}  # viewer 0 ... owner 3


@pytest.fixture
def acme(alice, make_app, erin, current_terms):
    team, members = team_with_roles(alice)
    app, _secret = make_app(alice, name="Acme App", team=team)
    ClientSecret.objects.create(
        application=app, secret_hash="x", last_four="abcd", expires_at=timezone.now() + timedelta(days=1)
    )
    token = get_access_token_model()(
        user=erin, application=app, scope="read", expires=timezone.now() + timedelta(hours=1)
    )
    set_token_value(token, "acme-token")
    token.save()
    invitation = Invitation.objects.create(
        team=team,
        email="new@example.com",
        role="viewer",
        invited_by=alice,
        expires_at=timezone.now() + timedelta(days=1),
    )
    for user in members.values():
        terms_accept(user=user, version=current_terms, request=None)
    ids = {
        "team": team.pk,
        "app": app.pk,
        "secret": ClientSecret.objects.filter(application=app, expires_at__isnull=False).get().pk,
        "token": token.pk,
        "invitation": invitation.pk,
        "member": Membership.objects.get(team=team, user=members["viewer"]).pk,
    }
    return team, app, members, ids


def _expected(least: str, allowed: int | str, who: str) -> int | str:
    if who == "non-member":
        return MISSING
    return allowed if RANK[who] >= RANK[least] else FORBIDDEN


def _status(response, htmx: bool) -> int | str:
    # A confirmation is a page without htmx, a dialog appended to the body with it.
    if response.status_code == 200 and b'name="confirmed"' in response.content:
        return CONFIRM
    return response.status_code


@pytest.mark.django_db
@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
@pytest.mark.parametrize("who", ["non-member", *ROLES])
@pytest.mark.parametrize(("method", "template", "data", "least", "allowed"), APP_URLS + TEAM_URLS)
def test_every_team_and_app_url_for_every_role(
    client, charlie, acme, who, method, template, data, least, allowed, htmx, current_terms
):
    team, app, members, ids = acme
    user = charlie if who == "non-member" else members[who]
    terms_accept(user=charlie, version=current_terms, request=None)
    sign_in_recently_authenticated(client, user)
    before = get_application_model().objects.filter(pk=app.pk).values().get()
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    response = getattr(client, method)(template.format(**ids), data, **headers)
    expected = _expected(least, allowed, who)
    assert _status(response, htmx) == expected
    if expected == FORBIDDEN:
        assert b"Only a team" in response.content or b"read-only" in response.content
    # Nothing about the app changed, whoever asked.
    assert get_application_model().objects.filter(pk=app.pk).values().get() == before
    assert get_access_token_model().objects.filter(application=app).count() == 1
    assert ClientSecret.objects.filter(application=app).count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
@pytest.mark.parametrize("who", ["non-member", *ROLES])
@pytest.mark.parametrize(("method", "template", "data"), RECIPIENT_URLS)
def test_only_the_invited_person_answers_an_invitation(
    client, charlie, acme, who, method, template, data, htmx
):
    team, _app, members, ids = acme
    sign_in_recently_authenticated(client, charlie if who == "non-member" else members[who])
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    assert getattr(client, method)(template.format(**ids), data, **headers).status_code == MISSING
    assert Invitation.objects.get(pk=ids["invitation"]).is_pending
    # The person it is addressed to gets the answer (the list's fragment with htmx, else back to the list).
    client.force_login(make_user("new"))
    response = getattr(client, method)(template.format(**ids), data, **headers)
    assert response.status_code == (OK if htmx else REDIRECT)
    assert not Invitation.objects.get(pk=ids["invitation"]).is_pending


@pytest.mark.django_db
def test_a_non_member_does_not_see_the_team_or_its_apps(client, charlie, acme):
    team, app, _members, _ids = acme
    client.force_login(charlie)
    assert b"Acme App" not in client.get("/developer/").content
    assert f'href="/developer/teams/{team.pk}/"'.encode() not in client.get("/developer/teams/").content


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_the_app_page_shows_only_the_controls_the_role_allows(client, acme, role):
    _team, app, members, _ids = acme
    client.force_login(members[role])
    page = client.get(f"/developer/apps/{app.pk}/").content.decode()
    assert ("Rotate secret" in page) == (role in ("owner", "admin"))
    assert ("Delete app" in page) == (role in ("owner", "admin"))
    assert (">Edit</a>" in page) == (role != "viewer")
    assert ("Active tokens (" in page) == (role != "viewer")
    assert ("Transfer to another team" in page) == (role in ("owner", "admin"))


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_the_team_page_shows_only_the_controls_the_role_allows(client, acme, role):
    team, _app, members, _ids = acme
    client.force_login(members[role])
    page = client.get(f"/developer/teams/{team.pk}/").content.decode()
    assert ("Send invitation" in page) == (role == "owner")
    assert ("Change role" in page) == (role == "owner")
    assert ("Delete the team" in page) == (role == "owner")
    assert ("Audit trail" in page) == (role == "owner")
    assert "Leave Acme Inc." in page


@pytest.mark.django_db
def test_anonymous_visitors_are_asked_to_sign_in_for_team_pages(client, acme):
    _team, _app, _members, ids = acme
    for method, template, *_rest in TEAM_URLS + RECIPIENT_URLS:
        response = getattr(client, method)(template.format(**ids))
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
