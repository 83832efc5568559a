"""The app list of a member of many teams costs the same number of queries as that of a member of one:
the team, the member's role and the token counts come with the apps, never one query per row."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from oauth2_provider.models import get_application_model

from portal.clients import grants
from portal.teams.models import Membership
from portal.teams.services import team_create, team_personal_get_or_create
from portal.terms.services import terms_accept


def _queries(client, url: str) -> tuple[int, bytes]:
    client.get(url)  # the session's first request records it (allauth.usersessions); measure a later one
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries), response.content


def _teams_with_apps(owner, member, *, teams: int, apps: int, start: int) -> list:
    Application = get_application_model()
    made = []
    for t in range(teams):
        team = team_create(user=owner, name=f"Team {start + t}", request=None)
        Membership.objects.create(team=team, user=member, role=("viewer", "developer", "admin")[t % 3])
        made.append(team)
    Application.objects.bulk_create(
        Application(
            user=owner,
            team=made[i % teams],
            name=f"App {start + i}",
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=grants.CLIENT_CREDENTIALS,
            grant_types=[grants.CLIENT_CREDENTIALS],
            review_status="approved",
        )
        for i in range(apps)
    )
    return made


@pytest.mark.django_db
def test_the_app_list_stays_flat_for_a_member_of_20_teams_with_500_apps(
    client, alice, charlie, current_terms
):
    terms_accept(user=charlie, version=current_terms, request=None)
    team_personal_get_or_create(user=charlie)
    client.force_login(charlie)
    first = _teams_with_apps(alice, charlie, teams=2, apps=3, start=0)
    urls = ["/developer/", "/developer/teams/", f"/developer/teams/{first[0].pk}/"]
    small = {url: _queries(client, url)[0] for url in urls}
    _teams_with_apps(alice, charlie, teams=18, apps=497, start=100)
    large = {}
    for url in urls:
        large[url], content = _queries(client, url)
        if url == "/developer/":
            assert content.count(b'data-testid="app-row"') == 500
    assert large == small
