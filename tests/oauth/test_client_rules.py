"""Smaller protocol rules, over real HTTP (issue 9, finding 10): a public client has no secret, a replayed
authorization code revokes what it was exchanged for, and an app obtains only the scopes its grants allow."""

from __future__ import annotations

import secrets as random
from datetime import timedelta

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from django.core.management import call_command
from django.utils import timezone

from portal.audit.models import AuditEvent
from portal.clients import grants
from portal.clients.models import ClientSecret, ExchangedAuthorizationCode
from tests.helpers.constants import LOOPBACK_CALLBACK
from tests.helpers.oauth import authorize, sign_in, tokens_for


@pytest.fixture(autouse=True)
def _allow_plain_http_to_the_test_server(monkeypatch):
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")


# --- Public clients -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_public_app_is_made_without_a_secret(alice, make_app, client):
    app, secret = make_app(alice, client_type="public", skip_authorization=False)
    assert secret == "" and app.client_secret == ""
    assert not ClientSecret.objects.filter(application=app).exists()
    client.force_login(alice)
    page = client.get(f"/developer/apps/{app.pk}/").content.decode()
    assert 'data-testid="no-secret"' in page and "Rotate secret" not in page


@pytest.fixture
def public_app_with_an_old_secret(alice, make_app):
    """A public app that was given a secret before the portal stopped giving them one."""
    app, secret = make_app(alice, client_type="confidential")
    type(app).objects.filter(pk=app.pk).update(client_type="public")
    app.refresh_from_db()
    return app, secret


@pytest.mark.django_db(transaction=True)
def test_a_public_client_presenting_a_secret_does_not_authenticate(
    live_server, erin, public_app_with_an_old_secret
):
    base = live_server.url
    app, secret = public_app_with_an_old_secret
    browser = sign_in(base, "erin")
    # At the token endpoint with HTTP Basic and the old secret: invalid_client.
    with_secret = OAuth2Session(
        app.client_id, secret, scope="read", redirect_uri=LOOPBACK_CALLBACK, code_challenge_method="S256"
    )
    verifier = random.token_urlsafe(48)
    callback = authorize(browser, with_secret, base, verifier, "n")
    with pytest.raises(Exception, match="invalid_client"):
        with_secret.fetch_token(f"{base}/o/token/", authorization_response=callback, code_verifier=verifier)

    # As a public client should (client_id in the body, PKCE, no secret): tokens.
    public = OAuth2Session(
        app.client_id,
        scope="read",
        redirect_uri=LOOPBACK_CALLBACK,
        code_challenge_method="S256",
        token_endpoint_auth_method="none",
    )
    verifier = random.token_urlsafe(48)
    callback = authorize(browser, public, base, verifier, "n")
    token = public.fetch_token(f"{base}/o/token/", authorization_response=callback, code_verifier=verifier)

    # At introspection the old secret authenticates nothing, so it learns nothing about its own token.
    introspection = requests.post(
        f"{base}/o/introspect/",
        data={"token": token["access_token"]},
        auth=(app.client_id, secret),
        timeout=10,
    )
    assert introspection.status_code == 401 and introspection.json()["error"] == "invalid_client"
    assert "active" not in introspection.text


# --- Replayed authorization codes ------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_replayed_code_revokes_the_tokens_issued_from_it(live_server, alice, erin, make_app):
    base = live_server.url
    app, secret = make_app(alice)
    browser = sign_in(base, "erin")
    oauth = OAuth2Session(
        app.client_id,
        secret,
        scope="openid read",
        redirect_uri=LOOPBACK_CALLBACK,
        code_challenge_method="S256",
    )
    verifier = random.token_urlsafe(48)
    callback = authorize(browser, oauth, base, verifier, "n")
    token = oauth.fetch_token(f"{base}/o/token/", authorization_response=callback, code_verifier=verifier)
    assert oauth.get(f"{base}/api/me").status_code == 200
    refreshed = oauth.refresh_token(f"{base}/o/token/", refresh_token=token["refresh_token"])

    code = dict(p.split("=", 1) for p in callback.split("?", 1)[1].split("&"))["code"]
    replay = requests.post(
        f"{base}/o/token/",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": LOOPBACK_CALLBACK,
            "code_verifier": verifier,
        },
        auth=(app.client_id, secret),
        timeout=10,
    )
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"

    # Everything that code led to is gone: the refreshed access token and the refresh token.
    assert oauth.get(f"{base}/api/me").status_code == 401
    dead = requests.post(
        f"{base}/o/token/",
        data={"grant_type": "refresh_token", "refresh_token": refreshed["refresh_token"]},
        auth=(app.client_id, secret),
        timeout=10,
    )
    assert dead.status_code == 400
    event = AuditEvent.objects.get(action=AuditEvent.Action.CODE_REPLAYED)
    assert event.application == app and event.changes["user"] == "erin"


@pytest.mark.django_db(transaction=True)
def test_an_unknown_code_revokes_nothing(live_server, alice, erin, make_app):
    base = live_server.url
    app, secret = make_app(alice)
    _browser, oauth, _token = tokens_for(base, app, secret, "erin", scope="read")
    response = requests.post(
        f"{base}/o/token/",
        data={"grant_type": "authorization_code", "code": "made-up", "redirect_uri": LOOPBACK_CALLBACK},
        auth=(app.client_id, secret),
        timeout=10,
    )
    assert response.status_code == 400
    assert oauth.get(f"{base}/api/me").status_code == 200
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.CODE_REPLAYED).exists()


@pytest.mark.django_db(transaction=True)
def test_a_code_replayed_after_a_day_is_only_refused(live_server, alice, erin, make_app):
    # Replay detection remembers an exchanged code for EXCHANGED_CODE_MEMORY; after that the code is just
    # unknown, whether or not the daily cleartokens has forgotten it yet.
    base = live_server.url
    app, secret = make_app(alice)
    browser = sign_in(base, "erin")
    oauth = OAuth2Session(
        app.client_id, secret, scope="read", redirect_uri=LOOPBACK_CALLBACK, code_challenge_method="S256"
    )
    verifier = random.token_urlsafe(48)
    callback = authorize(browser, oauth, base, verifier, "n")
    oauth.fetch_token(f"{base}/o/token/", authorization_response=callback, code_verifier=verifier)
    ExchangedAuthorizationCode.objects.update(exchanged_at=timezone.now() - timedelta(days=1, minutes=1))

    code = dict(p.split("=", 1) for p in callback.split("?", 1)[1].split("&"))["code"]
    replay = requests.post(
        f"{base}/o/token/",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": LOOPBACK_CALLBACK,
            "code_verifier": verifier,
        },
        auth=(app.client_id, secret),
        timeout=10,
    )
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    assert oauth.get(f"{base}/api/me").status_code == 200
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.CODE_REPLAYED).exists()


@pytest.mark.django_db
def test_cleartokens_forgets_the_codes_exchanged_over_a_day_ago(alice, make_app):
    app, _secret = make_app(alice)
    for name in ("old", "recent"):
        ExchangedAuthorizationCode.objects.create(code_checksum=name * 8, application=app)
    ExchangedAuthorizationCode.objects.filter(code_checksum="old" * 8).update(
        exchanged_at=timezone.now() - timedelta(days=1, minutes=1)
    )
    call_command("cleartokens", verbosity=0)
    assert list(ExchangedAuthorizationCode.objects.values_list("code_checksum", flat=True)) == ["recent" * 8]


# --- Scopes -------------------------------------------------------------------------------------


def _client_credentials(base, app, secret, scope):
    return requests.post(
        f"{base}/o/token/",
        data={"grant_type": "client_credentials", "scope": scope},
        auth=(app.client_id, secret),
        timeout=10,
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("scope", ["openid", "groups", "email", "profile", "read openid"])
@pytest.mark.parametrize("also_signs_people_in", [False, True])
def test_client_credentials_never_obtain_a_persons_scopes(
    live_server, alice, make_app, scope, also_signs_people_in
):
    granted = [grants.CLIENT_CREDENTIALS] + ([grants.AUTHORIZATION_CODE] if also_signs_people_in else [])
    app, secret = make_app(
        alice, grant_types=granted, redirect_uris=[LOOPBACK_CALLBACK] if also_signs_people_in else []
    )
    response = _client_credentials(live_server.url, app, secret, scope)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"


@pytest.mark.django_db(transaction=True)
def test_client_credentials_obtain_the_api_scopes(live_server, alice, make_app):
    app, secret = make_app(alice, grant_types=[grants.CLIENT_CREDENTIALS], redirect_uris=[])
    response = _client_credentials(live_server.url, app, secret, "read write")
    assert response.status_code == 200
    assert set(response.json()["scope"].split()) == {"read", "write"}


@pytest.mark.django_db(transaction=True)
def test_an_app_that_signs_people_in_still_gets_openid_and_groups(live_server, alice, erin, make_app):
    app, secret = make_app(alice, grant_types=[grants.AUTHORIZATION_CODE, grants.CLIENT_CREDENTIALS])
    _browser, oauth, token = tokens_for(live_server.url, app, secret, "erin", scope="openid groups read")
    assert set(token["scope"].split()) == {"openid", "groups", "read"}
    assert oauth.get(f"{live_server.url}/api/groups").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_an_app_without_a_signing_algorithm_is_refused_openid_not_a_server_error(
    live_server, alice, erin, make_app
):
    # An app made by DOT's createapplication without --algorithm (or adopted from a DOT install) has no
    # key to sign ID tokens with: DOT failed while signing, after the code was spent.
    app, secret = make_app(alice)
    app.algorithm = app.NO_ALGORITHM
    app.save(update_fields=["algorithm"])
    browser = sign_in(live_server.url, "erin")
    oauth = OAuth2Session(
        app.client_id,
        secret,
        scope="openid read",
        redirect_uri=LOOPBACK_CALLBACK,
        code_challenge_method="S256",
    )
    callback = authorize(browser, oauth, live_server.url, random.token_urlsafe(48), random.token_urlsafe(16))
    assert "error=invalid_scope" in callback
    # Without openid the same app signs people in as before.
    _browser, _oauth, token = tokens_for(live_server.url, app, secret, "erin", scope="read")
    assert token["scope"] == "read" and "id_token" not in token
