"""Everything the server advertises works: each endpoint, grant type and response type in the discovery
document and the RFC 8414 metadata is exercised over HTTP with a real client (Authlib, or requests for the
device grant), using the URLs the documents give. Advertising something new without a flow here fails.
"""

from __future__ import annotations

import re
import secrets

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.jwk import KeySet

from portal.clients import grants
from tests.helpers.constants import LOOPBACK_CALLBACK
from tests.helpers.device_client import DeviceClient, approve_device
from tests.helpers.oauth import sign_in

METADATA = "/.well-known/oauth-authorization-server/o"
DISCOVERY = "/o/.well-known/openid-configuration"


@pytest.fixture(autouse=True)
def _allow_plain_http_to_the_test_server(monkeypatch):
    # The live test server speaks http on 127.0.0.1; Authlib refuses that unless told it is a test.
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")


def advertised(metadata: dict, discovery: dict) -> dict[str, set[str]]:
    """What the two documents promise, by kind."""
    both = (metadata, discovery)
    return {
        "endpoints": {
            key for doc in both for key in doc if key.endswith("_endpoint") or key.endswith("_uri")
        },
        "grant_types": {grant for doc in both for grant in doc.get("grant_types_supported", [])},
        "response_types": {kind for doc in both for kind in doc.get("response_types_supported", [])},
    }


@pytest.mark.django_db(transaction=True)
def test_everything_advertised_works(live_server, alice, erin, make_app):
    base = live_server.url
    metadata = requests.get(f"{base}{METADATA}", timeout=10).json()
    discovery = requests.get(f"{base}{DISCOVERY}", timeout=10).json()
    assert metadata["issuer"] == discovery["issuer"] == f"{base}/o"
    endpoint = {**discovery, **metadata}
    exercised: dict[str, set[str]] = {"endpoints": set(), "grant_types": set(), "response_types": set()}

    # --- response type `code`, grant `authorization_code`: Authlib with PKCE, through the consent screen
    web_app, web_secret = make_app(alice, name="Web App", skip_authorization=False)
    browser = sign_in(base, "erin")
    oauth = OAuth2Session(
        web_app.client_id,
        web_secret,
        scope="openid profile read",
        redirect_uri=LOOPBACK_CALLBACK,
        code_challenge_method="S256",
    )
    verifier, nonce = secrets.token_urlsafe(48), secrets.token_urlsafe(16)
    url, _state = oauth.create_authorization_url(
        endpoint["authorization_endpoint"], code_verifier=verifier, nonce=nonce
    )
    consent = browser.get(url, timeout=10)
    assert consent.status_code == 200 and 'data-testid="consent-form"' in consent.text
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', consent.text))
    answer = browser.post(
        url, data={**hidden, "allow": "true", "granted_scopes": ["profile", "read"]}, allow_redirects=False
    )
    assert answer.status_code == 302 and answer.headers["Location"].startswith(LOOPBACK_CALLBACK)
    exercised["endpoints"].add("authorization_endpoint")
    exercised["response_types"].add("code")

    token = oauth.fetch_token(
        endpoint["token_endpoint"], authorization_response=answer.headers["Location"], code_verifier=verifier
    )
    assert set(token["scope"].split()) == {"openid", "profile", "read"}
    exercised["endpoints"].add("token_endpoint")
    exercised["grant_types"].add("authorization_code")

    jwks = KeySet.import_key_set(requests.get(endpoint["jwks_uri"], timeout=10).json())
    claims = jwt.decode(token["id_token"], jwks, algorithms=["RS256"]).claims
    assert claims["iss"] == discovery["issuer"] and claims["aud"] == web_app.client_id
    assert claims["nonce"] == nonce
    exercised["endpoints"].add("jwks_uri")

    userinfo = oauth.get(endpoint["userinfo_endpoint"])
    assert userinfo.status_code == 200 and userinfo.json()["preferred_username"] == "erin"
    exercised["endpoints"].add("userinfo_endpoint")

    # --- grant `refresh_token`
    refreshed = oauth.refresh_token(endpoint["token_endpoint"], refresh_token=token["refresh_token"])
    assert refreshed["access_token"] != token["access_token"]
    exercised["grant_types"].add("refresh_token")

    # --- introspection (a token of the same client) and revocation
    def introspect(access_token: str) -> dict:
        response = requests.post(
            endpoint["introspection_endpoint"],
            data={"token": access_token},
            auth=(web_app.client_id, web_secret),
            timeout=10,
        )
        assert response.status_code == 200
        return response.json()

    assert introspect(refreshed["access_token"])["active"] is True
    exercised["endpoints"].add("introspection_endpoint")
    revoked = oauth.revoke_token(endpoint["revocation_endpoint"], token=refreshed["access_token"])
    assert revoked.status_code == 200
    assert introspect(refreshed["access_token"]) == {"active": False}
    assert oauth.get(f"{base}/api/me").status_code == 401
    exercised["endpoints"].add("revocation_endpoint")

    # --- RP-initiated logout: a GET shows the portal's page
    logout = browser.get(endpoint["end_session_endpoint"], timeout=10)
    assert logout.status_code == 200 and "<html" in logout.text
    exercised["endpoints"].add("end_session_endpoint")

    # --- grant `client_credentials`
    service, service_secret = make_app(
        alice, name="Back Office", grant_types=[grants.CLIENT_CREDENTIALS], redirect_uris=[]
    )
    machine = OAuth2Session(service.client_id, service_secret, scope="read")
    machine_token = machine.fetch_token(endpoint["token_endpoint"], grant_type="client_credentials")
    assert machine_token["scope"] == "read" and "refresh_token" not in machine_token
    exercised["grant_types"].add("client_credentials")

    # --- grant `urn:ietf:params:oauth:grant-type:device_code` (RFC 8628) with a small requests client
    tv, _secret = make_app(
        alice, name="TV", client_type="public", grant_types=[grants.DEVICE_CODE], redirect_uris=[]
    )
    device = DeviceClient(endpoint["device_authorization_endpoint"], endpoint["token_endpoint"], tv.client_id)
    codes = device.start("read")
    assert codes["verification_uri"] == f"{base}/o/device/"
    exercised["endpoints"].add("device_authorization_endpoint")
    assert device.poll().json()["error"] == "authorization_pending"
    approve_device(sign_in(base, "erin"), codes["verification_uri_complete"], ["read"])
    device_token = device.poll()
    assert device_token.status_code == 200 and device_token.json()["scope"] == "read"
    me = requests.get(
        f"{base}/api/me",
        headers={"Authorization": f"Bearer {device_token.json()['access_token']}"},
        timeout=10,
    )
    assert me.status_code == 200 and me.json()["username"] == "erin"
    exercised["grant_types"].add("urn:ietf:params:oauth:grant-type:device_code")

    # Everything promised was exercised above. A new advertisement needs its flow here.
    promised = advertised(metadata, discovery)
    for kind, names in promised.items():
        missing = names - exercised[kind]
        assert not missing, f"advertised without a working flow in this test: {kind} {sorted(missing)}"
