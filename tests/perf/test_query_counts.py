"""How many queries the hot paths make, pinned so they cannot creep back.

Counted with Django's query capture around one request each, after a warm-up request (a worker records a
client secret's last use at most every few minutes: that write is not part of the steady state). Only real
statements count: transaction control (BEGIN, COMMIT, SAVEPOINT) differs between SQLite, PostgreSQL and a
test wrapped in a transaction. Stock DOT 3.4.1 makes the same statements for each flow, plus a re-read
of every access token it issues (for its app_authorized signal, which the portal sends only when something
listens); the portal's code exchange reads the grant once where DOT reads it six times, and adds one
INSERT (replay detection), each named in its test. benchmarks/compare_stock.py prints
both sides' counts.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import resolve
from django.utils import timezone
from django.views.debug import SafeExceptionReporterFilter
from oauth2_provider.models import (
    get_access_token_model,
    get_grant_model,
    get_refresh_token_model,
    set_token_value,
)

from portal.audit.models import AuditEvent
from portal.clients import grants
from tests.helpers.constants import LOOPBACK_CALLBACK

VERIFIER = "v" * 64
CHALLENGE = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=").decode()
STATEMENTS = ("SELECT", "INSERT", "UPDATE", "DELETE")


def _statements(queries: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith(STATEMENTS)]


def _basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


@pytest.fixture
def apps(alice, make_app):
    machine, machine_secret = make_app(
        alice, name="Cron", grant_types=[grants.CLIENT_CREDENTIALS], redirect_uris=[]
    )
    web, web_secret = make_app(alice, name="Web")
    return {"machine": (machine, machine_secret), "web": (web, web_secret)}


def _tokens(app, user, n: int):
    """n access tokens with refresh tokens, and one code each, for `user` at `app`."""
    expires = timezone.now() + timedelta(hours=1)
    for i in range(n):
        access = get_access_token_model()(user=user, application=app, scope="read", expires=expires)
        set_token_value(access, f"access-{i}")
        access.save()
        refresh = get_refresh_token_model()(user=user, application=app, access_token=access)
        set_token_value(refresh, f"refresh-{i}")
        refresh.save()
        get_grant_model().objects.create(
            user=user,
            application=app,
            code=f"code-{i}",
            expires=expires,
            redirect_uri=LOOPBACK_CALLBACK,
            scope="read",
            code_challenge=CHALLENGE,
            code_challenge_method="S256",
        )


def _count(client, method: str, path: str, data: dict, auth: str) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        response = getattr(client, method)(path, data, HTTP_AUTHORIZATION=auth)
    assert response.status_code == 200, response.content
    return _statements(queries)


def _warm_then_count(client, method, path, make_data, auth) -> list[str]:
    _count(client, method, path, make_data(0), auth)
    return _count(client, method, path, make_data(1), auth)


@pytest.mark.django_db
def test_client_credentials_token_makes_two_queries(client, apps):
    machine, secret = apps["machine"]
    statements = _warm_then_count(
        client,
        "post",
        "/o/token/",
        lambda n: {"grant_type": "client_credentials"},
        _basic(machine.client_id, secret),
    )
    # Load the app (no join: the secret is checked against its stored hash in memory), insert the token.
    # Stock DOT makes three: it re-reads the token for its app_authorized signal, which nothing here hears.
    assert len(statements) == 2, statements
    assert "clients_clientsecret" not in " ".join(statements)


@pytest.mark.django_db
def test_client_credentials_token_opens_no_transaction(client, apps):
    # Its one INSERT is its own transaction: DOT's atomic block (a SAVEPOINT inside this test's
    # transaction, BEGIN and COMMIT in production) would only add round trips.
    machine, secret = apps["machine"]
    auth = _basic(machine.client_id, secret)
    _count(client, "post", "/o/token/", {"grant_type": "client_credentials"}, auth)
    with CaptureQueriesContext(connection) as queries:
        response = client.post("/o/token/", {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=auth)
    assert response.status_code == 200
    assert [q["sql"] for q in queries.captured_queries if "SAVEPOINT" in q["sql"].upper()] == []


@pytest.mark.django_db
def test_authorization_code_exchange_with_pkce(client, apps, erin):
    web, secret = apps["web"]
    _tokens(web, erin, 2)
    statements = _warm_then_count(
        client,
        "post",
        "/o/token/",
        lambda n: {
            "grant_type": "authorization_code",
            "code": f"code-{n}",
            "redirect_uri": LOOPBACK_CALLBACK,
            "code_verifier": VERIFIER,
        },
        _basic(web.client_id, secret),
    )
    # Stock DOT 3.4.1: 11 (the app; the grant five times, in validate_code, the PKCE challenge and method,
    # the redirect URI and the resource check; its user; the two token INSERTs; the grant DELETE; the
    # re-read of the access token for app_authorized). The portal, 6:
    # - the grant with its user, once: read by the OpenID Connect dispatch (which DOT has off by default)
    #   and kept on the request for every later hook (PortalOAuth2Validator._exchange_grant);
    # - the app; the two token INSERTs; no re-read of the access token;
    # - one INSERT of the exchanged code with the tokens just issued (replay detection, RFC 6749 4.1.2,
    #   portal/clients/protocol_events.py): no lookup before it, no re-read of the tokens, no cleanup
    #   (cleartokens forgets old codes); the grant DELETE.
    assert len(statements) == 6, statements
    grant_reads = [s for s in statements if s.startswith("SELECT") and 'FROM "oauth2_provider_grant"' in s]
    assert len(grant_reads) == 1 and '"auth_user"' in grant_reads[0], grant_reads
    exchanged = [s for s in statements if "clients_exchangedauthorizationcode" in s]
    assert len(exchanged) == 1 and exchanged[0].startswith("INSERT"), exchanged


@pytest.mark.django_db
def test_openid_connect_code_exchange(client, apps, erin):
    web, secret = apps["web"]
    _tokens(web, erin, 2)
    get_grant_model().objects.update(scope="openid read", nonce="the-nonce")
    statements = _warm_then_count(
        client,
        "post",
        "/o/token/",
        lambda n: {
            "grant_type": "authorization_code",
            "code": f"code-{n}",
            "redirect_uri": LOOPBACK_CALLBACK,
            "code_verifier": VERIFIER,
        },
        _basic(web.client_id, secret),
    )
    # The 6 above and the ID token's INSERT. DOT would then re-read the app and the ID token it has just
    # signed (to verify its own signature) before linking it to the access token: the portal keeps it.
    assert len(statements) == 7, statements
    assert sum(s.startswith("INSERT") and "oauth2_provider_idtoken" in s for s in statements) == 1
    assert not any(s.startswith("SELECT") and 'FROM "oauth2_provider_idtoken"' in s for s in statements)


@pytest.mark.django_db
def test_refresh_with_rotation(client, apps, erin):
    web, secret = apps["web"]
    _tokens(web, erin, 2)
    statements = _warm_then_count(
        client,
        "post",
        "/o/token/",
        lambda n: {"grant_type": "refresh_token", "refresh_token": f"refresh-{n}"},
        _basic(web.client_id, secret),
    )
    # Stock DOT 3.4.1: 14; the portal skips its re-read of the new access token for app_authorized. Noticing
    # a spent refresh token presented again costs queries only when the refresh is refused.
    assert len(statements) == 13, statements


@pytest.mark.django_db
def test_introspection_makes_two_queries(client, apps, erin):
    machine, secret = apps["machine"]
    web, _ = apps["web"]
    _tokens(web, erin, 1)
    statements = _warm_then_count(
        client, "post", "/o/introspect/", lambda n: {"token": "access-0"}, _basic(machine.client_id, secret)
    )
    # Another app's token: the calling app, and whether the token is the caller's (it is not, so the
    # answer is {"active": false}, RFC 7662 section 4). The answer is not an error: nothing is logged.
    assert len(statements) == 2, statements
    assert "usage_integrationerror" not in " ".join(statements)


@pytest.mark.django_db
def test_introspecting_its_own_token_makes_three_queries(client, apps, erin):
    web, secret = apps["web"]
    _tokens(web, erin, 2)
    statements = _warm_then_count(
        client, "post", "/o/introspect/", lambda n: {"token": f"access-{n}"}, _basic(web.client_id, secret)
    )
    # The calling app, whether the token is its own, the token with its app and user (DOT's read). The
    # rate limits and the error log (portal/clients/endpoints.py, portal/usage/errorlog.py) add none.
    assert len(statements) == 3, statements
    assert statements[2].startswith('SELECT "oauth2_provider_accesstoken"') and '"auth_user"' in statements[2]


@pytest.mark.django_db
def test_revoking_an_access_token_makes_eleven_queries(client, apps, erin):
    web, secret = apps["web"]
    _tokens(web, erin, 2)
    statements = _warm_then_count(
        client, "post", "/o/revoke_token/", lambda n: {"token": f"access-{n}"}, _basic(web.client_id, secret)
    )
    # The calling app; the client's tokens with that value, access and refresh (read by the validator for
    # the audit event); DOT's revocation of the access token and of its refresh token: 4 reads, the UPDATE
    # that detaches the refresh token, the DELETE, the refresh token's UPDATE (revoked); the audit event's
    # INSERT. The rate limits and the error log add none.
    assert len(statements) == 11, statements
    assert "usage_integrationerror" not in " ".join(statements)
    assert sum(s.startswith("INSERT") for s in statements) == 1


@pytest.mark.django_db
def test_bearer_api_call_makes_one_query(client, apps, erin):
    web, _ = apps["web"]
    _tokens(web, erin, 1)
    statements = _warm_then_count(client, "get", "/api/me", lambda n: {}, "Bearer access-0")
    assert len(statements) == 1, statements
    assert "JOIN" in statements[0]  # token, person and app in one


@pytest.mark.django_db
def test_a_wrong_secret_costs_one_query_more_and_is_refused(client, apps):
    machine, secret = apps["machine"]

    def wrong_secret():
        return client.post(
            "/o/token/",
            {"grant_type": "client_credentials"},
            HTTP_AUTHORIZATION=_basic(machine.client_id, "x" * 128),
        )

    # The first failure of the hour is audited (so are the 10th, 100th...: counted, not one row each).
    assert wrong_secret().status_code == 401
    assert AuditEvent.objects.filter(action=AuditEvent.Action.CLIENT_AUTH_FAILED).count() == 1
    with CaptureQueriesContext(connection) as queries:
        response = wrong_secret()
    assert response.status_code == 401
    statements = _statements(queries)
    # The app, its previous secrets (none here), and DOT's retry with credentials from the body (which
    # looks up a client id of None): no token is written, and the second failure writes no audit row.
    # The fourth bumps the count of the same error in the app's integration error log (portal/usage/
    # errorlog.py: coalesced, and at most 20 writes per app and minute).
    assert len(statements) == 4, statements
    assert "clients_clientsecret" in statements[1]
    assert statements[3].startswith('UPDATE "usage_integrationerror"')
    assert not any(s.startswith("INSERT") for s in statements)


@pytest.mark.django_db
def test_a_listener_of_app_authorized_still_hears_of_each_token(client, apps):
    from oauth2_provider.signals import app_authorized

    heard = []

    def listener(sender, request, token, **kwargs):
        heard.append(token.application_id)

    machine, secret = apps["machine"]
    app_authorized.connect(listener)
    try:
        response = client.post(
            "/o/token/",
            {"grant_type": "client_credentials"},
            HTTP_AUTHORIZATION=_basic(machine.client_id, secret),
        )
    finally:
        app_authorized.disconnect(listener)
    assert response.status_code == 200
    assert heard == [machine.pk]


@pytest.mark.django_db
def test_the_token_endpoint_needs_no_csrf_token_and_hides_the_secret_from_error_reports(apps, rf):
    # The token view sets the marks DOT's decorators set (csrf_exempt, login_required=False, the sensitive
    # POST parameters) without building wrappers per request; a client posts with no CSRF token.
    machine, secret = apps["machine"]
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(
        "/o/token/",
        {"grant_type": "client_credentials", "client_secret": secret, "client_id": machine.client_id},
    )
    assert response.status_code == 200
    view = resolve("/o/token/").func
    assert view.csrf_exempt is True and view.login_required is False
    request = rf.post("/o/token/", {"grant_type": "client_credentials", "client_secret": secret})
    view(request)
    shown = SafeExceptionReporterFilter().get_post_parameters(request)
    assert shown["client_secret"] != secret and shown["grant_type"] == "client_credentials"
