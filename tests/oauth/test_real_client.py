"""A real OAuth client (Authlib over requests) against the portal served on a live port.

Authorization code + PKCE for a trusted app (no consent page), the ID token checked against the JWKS,
userinfo, /api/me, refresh with rotation and reuse detection, revocation and introspection; then client
credentials for a confidential app. Nothing here calls a view directly.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from django.utils import timezone
from joserfc import jwt
from joserfc.jwk import KeySet
from oauth2_provider.models import get_grant_model

from portal.clients import grants
from tests.helpers.constants import LOOPBACK_CALLBACK
from tests.helpers.oauth import authorize, sign_in


@pytest.fixture(autouse=True)
def _allow_plain_http_to_the_test_server(monkeypatch):
    # The live test server speaks http on 127.0.0.1; Authlib refuses that unless told it is a test.
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")


@pytest.mark.django_db(transaction=True)
def test_authorization_code_with_pkce_end_to_end(live_server, alice, erin, make_app):
    base = live_server.url
    app, secret = make_app(alice, name="Trusted Client", skip_authorization=True)
    browser = sign_in(base, "erin")
    oauth = OAuth2Session(
        app.client_id,
        secret,
        scope="openid profile email read",
        redirect_uri=LOOPBACK_CALLBACK,
        code_challenge_method="S256",
    )
    verifier, nonce = secrets.token_urlsafe(48), secrets.token_urlsafe(16)
    callback = authorize(browser, oauth, base, verifier, nonce)
    assert callback.startswith(LOOPBACK_CALLBACK)
    # RFC 9207: the response names its issuer, so a client can detect mix-up attacks.
    assert parse_qs(urlsplit(callback).query)["iss"] == [f"{base}/o"]

    token = oauth.fetch_token(f"{base}/o/token/", authorization_response=callback, code_verifier=verifier)
    assert set(token["scope"].split()) == {"openid", "profile", "email", "read"}

    # The ID token is signed with the key the JWKS publishes, for this client, with our nonce.
    jwks = KeySet.import_key_set(requests.get(f"{base}/o/.well-known/jwks.json", timeout=10).json())
    claims = jwt.decode(token["id_token"], jwks, algorithms=["RS256"]).claims
    jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": f"{base}/o"},
        aud={"essential": True, "value": app.client_id},
        sub={"essential": True, "value": str(erin.pk)},
        nonce={"essential": True, "value": nonce},
        exp={"essential": True},
    ).validate(claims)

    userinfo = oauth.get(f"{base}/o/userinfo/").json()
    assert userinfo["sub"] == str(erin.pk)
    assert userinfo["email"] == "erin@example.com"
    assert userinfo["preferred_username"] == "erin"

    me = oauth.get(f"{base}/api/me")
    assert me.status_code == 200 and me.json()["username"] == "erin"

    # Refresh: a new pair; the old refresh token is spent.
    old_refresh = token["refresh_token"]
    refreshed = oauth.refresh_token(f"{base}/o/token/", refresh_token=old_refresh)
    assert refreshed["access_token"] != token["access_token"]
    assert refreshed["refresh_token"] != old_refresh
    assert oauth.get(f"{base}/api/me").status_code == 200

    introspect_auth = (app.client_id, secret)
    active = requests.post(
        f"{base}/o/introspect/", data={"token": refreshed["access_token"]}, auth=introspect_auth, timeout=10
    ).json()
    assert active["active"] is True
    assert active["username"] == "erin" and active["client_id"] == app.client_id

    # Revocation is immediate.
    revoked = oauth.revoke_token(f"{base}/o/revoke_token/", token=refreshed["access_token"])
    assert revoked.status_code == 200
    assert oauth.get(f"{base}/api/me").status_code == 401
    after = requests.post(
        f"{base}/o/introspect/", data={"token": refreshed["access_token"]}, auth=introspect_auth, timeout=10
    ).json()
    assert after == {"active": False}


@pytest.mark.django_db(transaction=True)
def test_replaying_a_used_refresh_token_revokes_the_whole_family(live_server, alice, erin, make_app):
    base = live_server.url
    app, secret = make_app(alice, skip_authorization=True)
    browser = sign_in(base, "erin")
    oauth = OAuth2Session(
        app.client_id, secret, scope="read", redirect_uri=LOOPBACK_CALLBACK, code_challenge_method="S256"
    )
    verifier = secrets.token_urlsafe(48)
    callback = authorize(browser, oauth, base, verifier, secrets.token_urlsafe(8))
    first = oauth.fetch_token(f"{base}/o/token/", authorization_response=callback, code_verifier=verifier)
    second = oauth.refresh_token(f"{base}/o/token/", refresh_token=first["refresh_token"])

    # An attacker replays the spent refresh token: refused, and the legitimate chain dies with it.
    replay = requests.post(
        f"{base}/o/token/",
        data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
        auth=(app.client_id, secret),
        timeout=10,
    )
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    legit = requests.post(
        f"{base}/o/token/",
        data={"grant_type": "refresh_token", "refresh_token": second["refresh_token"]},
        auth=(app.client_id, secret),
        timeout=10,
    )
    assert legit.status_code == 400


@pytest.mark.django_db(transaction=True)
def test_client_credentials_for_a_confidential_app(live_server, alice, make_app):
    base = live_server.url
    app, secret = make_app(alice, grant_types=[grants.CLIENT_CREDENTIALS], redirect_uris=[])
    oauth = OAuth2Session(app.client_id, secret, scope="read")
    token = oauth.fetch_token(f"{base}/o/token/", grant_type="client_credentials")
    assert token["token_type"] == "Bearer" and "refresh_token" not in token
    introspection = requests.post(
        f"{base}/o/introspect/",
        data={"token": token["access_token"]},
        auth=(app.client_id, secret),
        timeout=10,
    ).json()
    assert introspection["active"] is True and introspection["client_id"] == app.client_id
    assert "username" not in introspection

    wrong_secret = OAuth2Session(app.client_id, "not-the-secret", scope="read")
    with pytest.raises(Exception, match="invalid_client"):
        wrong_secret.fetch_token(f"{base}/o/token/", grant_type="client_credentials")


@pytest.mark.django_db(transaction=True)
def test_a_pending_app_is_told_why_it_gets_no_token(live_server, alice, make_app):
    app, secret = make_app(
        alice, grant_types=[grants.CLIENT_CREDENTIALS], redirect_uris=[], review_status="pending"
    )
    oauth = OAuth2Session(app.client_id, secret, scope="read")
    with pytest.raises(Exception, match="waiting for review"):
        oauth.fetch_token(f"{live_server.url}/o/token/", grant_type="client_credentials")


@pytest.mark.django_db(transaction=True)
def test_a_resource_the_code_was_not_granted_for_is_a_json_invalid_target(live_server, alice, erin, make_app):
    """RFC 8707: the token request may narrow the code's resources, not widen them. The refusal is raised
    after oauthlib's endpoint (DOT sent it as text/html); the client gets an OAuth error in JSON."""
    app, secret = make_app(alice, skip_authorization=True)
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    get_grant_model().objects.create(
        user=erin,
        application=app,
        code="granted-for-the-api",
        expires=timezone.now() + timedelta(seconds=60),
        redirect_uri=LOOPBACK_CALLBACK,
        scope="read",
        code_challenge=challenge,
        code_challenge_method="S256",
        resource=["https://api.example.com/"],
    )
    oauth = OAuth2Session(app.client_id, secret, redirect_uri=LOOPBACK_CALLBACK)
    received: list[requests.Response] = []
    oauth.hooks["response"].append(lambda response, **kwargs: received.append(response))
    with pytest.raises(OAuthError) as refused:
        oauth.fetch_token(
            f"{live_server.url}/o/token/",
            grant_type="authorization_code",
            code="granted-for-the-api",
            code_verifier=verifier,
            resource="https://other.example.com/",
        )
    assert refused.value.error == "invalid_target"
    (response,) = received
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
