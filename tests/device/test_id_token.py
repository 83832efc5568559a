"""The device grant signs people in: when the person approves `openid`, the device gets an ID token, as a
web app does from the authorization code flow (portal/clients/oidc_server.py).

Over real HTTP against the live server: the device's requests (requests for the device authorization,
Authlib for the token request), the person approving on /o/device/ with a signed-in browser session, and
the ID token verified against the published JWKS.
"""

from __future__ import annotations

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from django.contrib.auth import get_user_model
from joserfc import jwt
from joserfc.jwk import KeySet
from oauth2_provider.models import get_access_token_model, get_id_token_model

from portal.clients import grants
from tests.helpers.device_client import DEVICE_GRANT, DeviceClient, approve_device
from tests.helpers.oauth import sign_in


@pytest.fixture(autouse=True)
def _allow_plain_http_to_the_test_server(monkeypatch):
    # The live test server speaks http on 127.0.0.1; Authlib refuses that unless told it is a test.
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")


def _device_token(base: str, app, scope: str, ticked: list[str]) -> dict:
    """The whole flow: codes for the device, the person's approval, then one token request with Authlib."""
    device = DeviceClient(f"{base}/o/device-authorization/", f"{base}/o/token/", app.client_id)
    codes = device.start(scope)
    approve_device(sign_in(base, "erin"), codes["verification_uri_complete"], ticked)
    # A public client: no secret, client_id in the body (RFC 6749 2.3.1 / 3.2.1).
    session = OAuth2Session(app.client_id, token_endpoint_auth_method="none")
    return session.fetch_token(f"{base}/o/token/", grant_type=DEVICE_GRANT, device_code=codes["device_code"])


@pytest.mark.django_db(transaction=True)
def test_a_device_that_is_approved_openid_gets_a_signed_id_token(live_server, tv_app, erin):
    base = live_server.url
    token = _device_token(base, tv_app, "openid profile email read", ticked=["profile", "read"])
    assert token["scope"] == "openid profile read"  # email unticked

    jwks = KeySet.import_key_set(requests.get(f"{base}/o/.well-known/jwks.json", timeout=10).json())
    decoded = jwt.decode(token["id_token"], jwks, algorithms=["RS256"])
    assert decoded.header["kid"] in {key.kid for key in jwks.keys}
    claims = decoded.claims
    erin = get_user_model().objects.get(pk=erin.pk)  # signed in just now, on /o/device/
    jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": f"{base}/o"},
        aud={"essential": True, "value": tv_app.client_id},
        sub={"essential": True, "value": str(erin.pk)},
        exp={"essential": True},
        iat={"essential": True},
        auth_time={"essential": True, "value": int(erin.last_login.timestamp())},
    ).validate(claims)
    # Claims by the approved scopes: profile's, not email's (unticked); no nonce, the device sent none.
    assert claims["preferred_username"] == "erin" and claims["name"]
    assert "email" not in claims and "nonce" not in claims
    # The access token it came with is the one the ID token is stored with (revoked with it).
    access = get_access_token_model().objects.select_related("id_token").get(id_token__isnull=False)
    assert str(access.id_token.jti) == claims["jti"] and access.id_token.user_id == erin.pk

    # The access token carries `openid`, so userinfo answers for the same person.
    userinfo = requests.get(
        f"{base}/o/userinfo/", headers={"Authorization": f"Bearer {token['access_token']}"}, timeout=10
    )
    assert userinfo.status_code == 200 and userinfo.json()["sub"] == claims["sub"]

    # Refreshing it gives a new ID token, as it does for the code flow's tokens.
    refreshed = OAuth2Session(tv_app.client_id, token_endpoint_auth_method="none").refresh_token(
        f"{base}/o/token/", refresh_token=token["refresh_token"]
    )
    again = jwt.decode(refreshed["id_token"], jwks, algorithms=["RS256"]).claims
    assert again["sub"] == claims["sub"] and again["aud"] == tv_app.client_id
    assert again["jti"] != claims["jti"]


@pytest.mark.django_db(transaction=True)
def test_a_device_without_openid_gets_no_id_token(live_server, tv_app, erin):
    token = _device_token(live_server.url, tv_app, "profile read", ticked=["profile", "read"])
    assert token["scope"] == "profile read"
    assert "id_token" not in token
    assert not get_id_token_model().objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_confidential_device_app_gets_its_id_token_too(live_server, alice, erin, make_app):
    # HTTP Basic at the token endpoint; the ID token's audience is still the client id.
    base = live_server.url
    app, secret = make_app(alice, name="Console", grant_types=[grants.DEVICE_CODE], redirect_uris=[])
    codes = requests.post(
        f"{base}/o/device-authorization/",
        data={"client_id": app.client_id, "scope": "openid read"},
        auth=(app.client_id, secret),
        timeout=10,
    )
    assert codes.status_code == 200, codes.text
    approve_device(sign_in(base, "erin"), codes.json()["verification_uri_complete"], ["read"])
    session = OAuth2Session(app.client_id, secret)  # client_secret_basic, Authlib's default
    token = session.fetch_token(
        f"{base}/o/token/", grant_type=DEVICE_GRANT, device_code=codes.json()["device_code"]
    )
    jwks = KeySet.import_key_set(requests.get(f"{base}/o/.well-known/jwks.json", timeout=10).json())
    claims = jwt.decode(token["id_token"], jwks, algorithms=["RS256"]).claims
    assert claims["aud"] == app.client_id and claims["sub"] == str(erin.pk)
    assert "preferred_username" not in claims  # profile was not asked for
