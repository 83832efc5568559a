"""The team is the app's publisher: the consent screen and the connected-apps page say "Made by <team>",
and staff see the team and its members on the review page."""

from __future__ import annotations

import pytest

from portal.clients.services import application_team_set
from portal.teams.services import team_create
from tests.helpers.consent import authorization_request, consent_form_data
from tests.helpers.teams import team_with_roles

pytestmark = pytest.mark.django_db


def test_the_consent_screen_and_connected_apps_name_the_team(client, erin, alice, consent_app):
    app, _secret = consent_app
    acme = team_create(user=alice, name="Acme Inc.", request=None)
    application_team_set(application=app, team=acme, actor=alice, request=None)
    client.force_login(erin)
    request = authorization_request(app)
    response = client.get(request.url)
    assert '<strong data-testid="developer">Acme Inc.</strong>' in response.content.decode()
    client.post(request.url, consent_form_data(response))
    page = client.get("/accounts/connected-apps/").content.decode()
    assert "Made by Acme Inc." in page


def test_a_solo_developers_app_is_made_by_them(client, erin, consent_app):
    app, _secret = consent_app
    client.force_login(erin)
    page = client.get(authorization_request(app).url).content.decode()
    assert '<strong data-testid="developer">Alice Example</strong>' in page


def test_staff_see_the_team_and_its_members(staff_client, alice, make_app):
    team, _members = team_with_roles(alice)
    app, _secret = make_app(alice, name="Acme App", team=team)
    page = staff_client.get(f"/staff/apps/{app.pk}/").content.decode()
    assert "Published as <strong>Acme Inc.</strong>" in page
    for line in ("alice · ", "bob · ", "dave · ", "vera · "):
        assert line in page
    assert "Developer</li>" in page and "Viewer</li>" in page
