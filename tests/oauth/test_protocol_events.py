"""Security events at the protocol endpoints, over real HTTP (issue 9, finding 9): client-authentication
failures (counted, not a row per request), refresh-token reuse, revocation by the app, replayed codes."""

from __future__ import annotations

import pytest
import requests
from django.core.cache import cache

from portal.audit.models import AuditEvent
from portal.clients import grants
from tests.helpers.oauth import tokens_for

Action = AuditEvent.Action


@pytest.fixture(autouse=True)
def _allow_plain_http_to_the_test_server(monkeypatch):
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")


@pytest.fixture(autouse=True)
def _fresh_failure_counts():
    cache.clear()
    yield
    cache.clear()


@pytest.mark.django_db(transaction=True)
def test_client_authentication_failures_are_counted_not_logged_one_by_one(live_server, alice, make_app):
    base = live_server.url
    app, secret = make_app(alice, grant_types=[grants.CLIENT_CREDENTIALS], redirect_uris=[])
    wrong = (app.client_id, "not-the-secret")
    endpoints = [
        ("/o/token/", {"grant_type": "client_credentials", "scope": "read"}, 401),
        ("/o/introspect/", {"token": "whatever"}, 401),
        ("/o/revoke_token/", {"token": "whatever"}, 401),
    ]
    statuses = []
    for attempt in range(12):
        path, data, _expected = endpoints[attempt % 3]
        statuses.append(requests.post(f"{base}{path}", data=data, auth=wrong, timeout=10).status_code)
    assert statuses == [expected for _p, _d, expected in endpoints] * 4

    events = list(AuditEvent.objects.filter(action=Action.CLIENT_AUTH_FAILED).order_by("id"))
    # Twelve failures, two rows: the first, and the tenth with its count.
    assert [event.changes["failures_this_hour"] for event in events] == [1, 10]
    assert all(event.application == app for event in events)
    assert [event.changes["endpoint"] for event in events] == ["token", "token"]
    assert events[0].ip_address == "127.0.0.1"

    # The right secret still works, and is not counted.
    ok = requests.post(
        f"{base}/o/token/",
        data={"grant_type": "client_credentials", "scope": "read"},
        auth=(app.client_id, secret),
        timeout=10,
    )
    assert ok.status_code == 200
    assert AuditEvent.objects.filter(action=Action.CLIENT_AUTH_FAILED).count() == 2


@pytest.mark.django_db(transaction=True)
def test_an_unknown_client_is_recorded_with_what_it_sent(live_server):
    response = requests.post(
        f"{live_server.url}/o/introspect/", data={"token": "x"}, auth=("no-such-client", "secret"), timeout=10
    )
    assert response.status_code == 401
    event = AuditEvent.objects.get(action=Action.CLIENT_AUTH_FAILED)
    assert event.application is None and event.changes["client_id"] == "no-such-client"
    assert event.changes["endpoint"] == "introspect"


@pytest.mark.django_db(transaction=True)
def test_refresh_token_reuse_is_recorded_with_the_family_it_revoked(live_server, alice, erin, make_app):
    base = live_server.url
    app, secret = make_app(alice)
    _browser, oauth, first = tokens_for(base, app, secret, "erin", scope="read")
    second = oauth.refresh_token(f"{base}/o/token/", refresh_token=first["refresh_token"])
    replay = requests.post(
        f"{base}/o/token/",
        data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
        auth=(app.client_id, secret),
        timeout=10,
    )
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    event = AuditEvent.objects.get(action=Action.REFRESH_TOKEN_REUSED)
    assert event.application == app
    assert event.changes["user"] == "erin" and event.changes["refresh_tokens_revoked"] == 1
    # The legitimate chain died with it.
    again = requests.post(
        f"{base}/o/token/",
        data={"grant_type": "refresh_token", "refresh_token": second["refresh_token"]},
        auth=(app.client_id, secret),
        timeout=10,
    )
    assert again.status_code == 400
    # Replaying into a family that is already dead records nothing more.
    assert AuditEvent.objects.filter(action=Action.REFRESH_TOKEN_REUSED).count() == 1


@pytest.mark.django_db(transaction=True)
def test_revocation_by_the_app_is_recorded(live_server, alice, erin, make_app, charlie):
    base = live_server.url
    app, secret = make_app(alice)
    other, other_secret = make_app(charlie, name="Other")
    _browser, oauth, token = tokens_for(base, app, secret, "erin", scope="read")

    # Another app "revokes" it: RFC 7009 says 200, but nothing happens and nothing is recorded.
    foreign = requests.post(
        f"{base}/o/revoke_token/",
        data={"token": token["access_token"]},
        auth=(other.client_id, other_secret),
        timeout=10,
    )
    assert foreign.status_code == 200
    assert oauth.get(f"{base}/api/me").status_code == 200
    assert not AuditEvent.objects.filter(action=Action.TOKEN_REVOKED_BY_CLIENT).exists()

    assert oauth.revoke_token(f"{base}/o/revoke_token/", token=token["access_token"]).status_code == 200
    assert oauth.get(f"{base}/api/me").status_code == 401
    event = AuditEvent.objects.get(action=Action.TOKEN_REVOKED_BY_CLIENT)
    assert event.application == app
    assert event.changes["tokens"][0]["type"] == "access_token"
    assert event.changes["tokens"][0]["user"] == "erin"
