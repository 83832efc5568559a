"""The integration error log covers introspection (/o/introspect/) and revocation (/o/revoke_token/) as it
covers the token endpoint: a real client (requests) against the portal on a live port makes failing
requests, and the app's developer sees each with its code and hint, and never a secret or token it sent.
Runs on SQLite and on PostgreSQL (DATABASE_URL)."""

from __future__ import annotations

import json

import pytest
import requests
from django.core import serializers
from django.test import RequestFactory

from portal import envconfig
from portal.clients import grants
from portal.usage import counters, errorlog
from portal.usage.models import IntegrationError, Kind
from tests.helpers.oauth import sign_in, tokens_for

INTROSPECT = "/o/introspect/"
REVOKE = "/o/revoke_token/"


def _post(base: str, path: str, data: dict, auth=None) -> requests.Response:
    return requests.post(f"{base}{path}", data=data, auth=auth, timeout=10)


def _logged(app) -> set[tuple[str, str, str]]:
    return {(row.endpoint, row.code, row.value) for row in IntegrationError.objects.filter(application=app)}


def _machine_token(base: str, app, secret: str) -> str:
    response = _post(base, "/o/token/", {"grant_type": "client_credentials"}, auth=(app.client_id, secret))
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


@pytest.mark.django_db(transaction=True)
def test_failing_introspection_and_revocation_show_in_the_error_log_with_a_hint(live_server, alice, make_app):
    base = live_server.url
    api, secret = make_app(
        alice, name="Resource API", grant_types=[grants.CLIENT_CREDENTIALS], redirect_uris=[]
    )
    spa, _no_secret = make_app(alice, name="Browser App", client_type="public")
    token = _machine_token(base, api, secret)

    # Introspection: a wrong secret, no token parameter, and a public app (which has no secret to prove).
    assert _post(base, INTROSPECT, {"token": token}, auth=(api.client_id, "wrong-secret")).status_code == 401
    missing = _post(base, INTROSPECT, {}, auth=(api.client_id, secret))
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_request"
    public = _post(base, INTROSPECT, {"token": token, "client_id": spa.client_id})
    assert public.status_code == 401 and public.json()["error"] == "invalid_client"
    # Revocation: a wrong secret and no token parameter.
    wrong = _post(base, REVOKE, {"token": token}, auth=(api.client_id, "wrong-secret"))
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    assert wrong.headers["Content-Type"] == "application/json"
    empty = _post(base, REVOKE, {}, auth=(api.client_id, secret))
    assert empty.status_code == 400 and empty.json()["error"] == "invalid_request"
    # An unknown client id is nobody's to log; a good request logs nothing.
    assert _post(base, REVOKE, {"token": token}, auth=("no-such-client", "x")).status_code == 401
    assert _post(base, INTROSPECT, {"token": token}, auth=(api.client_id, secret)).json()["active"] is True

    assert _logged(api) == {
        ("introspect", "invalid_client", ""),
        ("introspect", "invalid_request", ""),
        ("revoke_token", "invalid_client", ""),
        ("revoke_token", "invalid_request", ""),
    }
    assert _logged(spa) == {("introspect", "unauthorized_client", "")}
    assert IntegrationError.objects.count() == 5
    today = counters.today()
    pending = counters.pending_counts(application_id=api.pk)
    assert pending[(api.pk, today, Kind.ERROR_INVALID_CLIENT)] == 2
    assert pending[(api.pk, today, Kind.ERROR_OTHER)] == 2
    assert counters.pending_counts(application_id=spa.pk) == {
        (spa.pk, today, Kind.ERROR_UNAUTHORIZED_CLIENT): 1
    }

    # The developer sees where each happened and what to do about it.
    developer = sign_in(base, "alice")
    page = developer.get(f"{base}/developer/apps/{api.pk}/usage/", timeout=10).text
    assert page.count('data-testid="error-row"') == 4
    assert page.count("<code>/o/introspect/</code>") == 2 and page.count("<code>/o/revoke_token/</code>") == 2
    assert "The introspection request had no token parameter" in page
    assert "The revocation request had no token parameter" in page
    assert page.count("The client ID or secret was wrong") == 2
    public_page = developer.get(f"{base}/developer/apps/{spa.pk}/usage/", timeout=10).text
    assert "Public app may not introspect" in public_page
    assert "Only a confidential app (one with a client secret, kept on a server)" in public_page


@pytest.mark.django_db(transaction=True)
def test_no_secret_or_token_sent_to_introspection_or_revocation_lands_in_the_log(
    live_server, alice, erin, make_app
):
    base = live_server.url
    app, secret = make_app(
        alice, grant_types=[grants.AUTHORIZATION_CODE, grants.CLIENT_CREDENTIALS], skip_authorization=True
    )
    _browser, _oauth, tokens = tokens_for(base, app, secret, "erin")
    access, refresh = tokens["access_token"], tokens["refresh_token"]
    sensitive = [secret, access, refresh]

    # The secret and live tokens in every field a failing request carries.
    _post(base, INTROSPECT, {"token": access}, auth=(app.client_id, secret + "x"))
    _post(base, INTROSPECT, {"token": refresh, "client_id": app.client_id, "client_secret": secret[:-1]})
    _post(base, INTROSPECT, {"token_type_hint": access}, auth=(app.client_id, secret))
    _post(base, REVOKE, {"token": access, "token_type_hint": refresh}, auth=(app.client_id, secret[::-1]))
    _post(base, REVOKE, {"token": refresh, "client_id": app.client_id, "client_secret": access})
    _post(base, REVOKE, {"token_type_hint": secret}, auth=(app.client_id, secret))

    rows = IntegrationError.objects.filter(application=app)
    assert {(row.endpoint, row.code) for row in rows} == {
        ("introspect", "invalid_client"),
        ("introspect", "invalid_request"),
        ("revoke_token", "invalid_client"),
        ("revoke_token", "invalid_request"),
    }
    dumped = serializers.serialize("json", rows)
    assert json.loads(dumped)  # a real dump was searched
    for value in sensitive:
        assert value not in dumped
    page = sign_in(base, "alice").get(f"{base}/developer/apps/{app.pk}/usage/", timeout=10).text
    assert 'data-testid="error-row"' in page
    for value in sensitive:
        assert value not in page
    assert "erin" not in dumped and erin.email not in dumped


@pytest.mark.django_db
def test_a_token_type_hint_is_shown_only_when_it_carries_no_credential(alice, make_app):
    # oauthlib's revocation endpoint answers unsupported_token_type only for a server configured to revoke
    # fewer token types than it knows (the portal revokes both); the log is ready for it all the same.
    app, secret = make_app(alice)
    body = json.dumps({"error": "unsupported_token_type"})
    for hint in ("id_token", "tok3nValue-" + "A1b2C3d4E5f6G7h8I9j0", "the-token-itself"):
        request = RequestFactory().post(REVOKE, {"token": "the-token-itself", "token_type_hint": hint})
        errorlog.token_use_error_record(
            request=request, endpoint=errorlog.REVOKE, client_id=app.client_id, body=body
        )
    assert {row.value for row in IntegrationError.objects.filter(application=app)} == {
        "token_type_hint=id_token",
        "token_type_hint=tok3nValue-[hidden: 20 characters]",
        "(not shown: it contained a credential)",
    }
    info = errorlog.info_for("unsupported_token_type", errorlog.REVOKE)
    assert info.title == "Token type not supported" and "access_token or refresh_token" in info.hint


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path, endpoint", [(INTROSPECT, "introspect"), (REVOKE, "revoke_token")])
def test_a_rate_limited_app_sees_its_429s_at_introspection_and_revocation(
    live_server, alice, make_app, settings, path, endpoint
):
    limits = dict(settings.PORTAL_RATE_LIMITS)
    limits["token_use_client"] = {
        **limits["token_use_client"],
        "rate": envconfig.parse_rate("token_use_client", "2/m"),
    }
    settings.PORTAL_RATE_LIMITS = limits
    app, secret = make_app(alice, grant_types=[grants.CLIENT_CREDENTIALS], redirect_uris=[])
    token = _machine_token(live_server.url, app, secret)
    auth = (app.client_id, secret)
    responses = [_post(live_server.url, path, {"token": token}, auth=auth) for _ in range(4)]
    assert [response.status_code for response in responses] == [200, 200, 429, 429]
    refused = responses[-1]
    assert refused.json()["error"] == "temporarily_unavailable" and int(refused.headers["Retry-After"]) >= 1
    assert refused.headers["Content-Type"] == "application/json"
    (row,) = IntegrationError.objects.filter(application=app)
    assert (row.endpoint, row.code, row.count) == (endpoint, "rate_limited", 2)
    pending = counters.pending_counts(application_id=app.pk)
    assert pending[(app.pk, counters.today(), Kind.ERROR_RATE_LIMITED)] == 2
    page = sign_in(live_server.url, "alice").get(
        f"{live_server.url}/developer/apps/{app.pk}/usage/", timeout=10
    )
    what = "introspection" if endpoint == "introspect" else "revocation"
    assert f"The app sent more {what} requests than the limit allows" in page.text
