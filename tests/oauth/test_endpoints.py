"""Protocol endpoints are DOT's, configured to RFC 9700 defaults; the portal's management pages replace
DOT's. These use Django's test client; tests/oauth/test_real_client.py drives the same over HTTP."""

from __future__ import annotations

import base64

import pytest

from portal.clients import grants
from tests.helpers.constants import LOOPBACK_CALLBACK


def _basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def _client_credentials(client, app, secret):
    return client.post(
        "/o/token/",
        {"grant_type": "client_credentials", "scope": "read"},
        HTTP_AUTHORIZATION=_basic(app.client_id, secret),
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/o/applications/", "/o/applications/register/", "/o/authorized_tokens/", "/o/register/"]
)
def test_dots_management_pages_are_not_mounted(client, alice, path):
    client.force_login(alice)
    assert client.get(path).status_code == 404


@pytest.mark.django_db
def test_discovery_advertises_the_secure_defaults(client):
    config = client.get("/o/.well-known/openid-configuration").json()
    assert config["code_challenge_methods_supported"] == ["S256"]
    assert config["response_types_supported"] == ["code"]
    assert "RS256" in config["id_token_signing_alg_values_supported"]
    assert {"email", "preferred_username", "name"} <= set(config["claims_supported"])
    assert config["authorization_endpoint"].endswith("/o/authorize/")


@pytest.mark.django_db
def test_one_issuer_everywhere(client):
    oidc = client.get("/o/.well-known/openid-configuration").json()
    rfc8414_root = client.get("/.well-known/oauth-authorization-server/o").json()
    rfc8414_prefixed = client.get("/o/.well-known/oauth-authorization-server").json()
    assert oidc["issuer"] == rfc8414_root["issuer"] == rfc8414_prefixed["issuer"] == "http://testserver/o"


@pytest.mark.django_db
def test_rfc8414_metadata_is_served_at_the_origin(client):
    response = client.get("/.well-known/oauth-authorization-server/o")
    assert response.status_code == 200
    metadata = response.json()
    assert metadata["token_endpoint"].endswith("/o/token/")
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert "implicit" not in metadata["grant_types_supported"]
    assert "password" not in metadata["grant_types_supported"]


@pytest.mark.django_db
def test_jwks_publishes_the_rsa_signing_key(client):
    keys = client.get("/o/.well-known/jwks.json").json()["keys"]
    assert [key["kty"] for key in keys] == ["RSA"]
    assert "d" not in keys[0]  # never the private part


@pytest.mark.django_db
def test_an_approved_confidential_app_gets_a_client_credentials_token(client, alice, make_app):
    app, secret = make_app(alice, grant_types=[grants.CLIENT_CREDENTIALS], redirect_uris=[])
    response = _client_credentials(client, app, secret)
    assert response.status_code == 200, response.content
    assert response.json()["token_type"] == "Bearer"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("status", "reason"),
    [("pending", "waiting for review"), ("rejected", "not approved"), ("suspended", "suspended")],
)
def test_an_app_that_is_not_approved_gets_invalid_client_with_the_reason(
    client, alice, make_app, status, reason
):
    app, secret = make_app(
        alice, grant_types=[grants.CLIENT_CREDENTIALS], redirect_uris=[], review_status=status
    )
    response = _client_credentials(client, app, secret)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert reason in response.json()["error_description"]


@pytest.mark.django_db
def test_a_pending_app_cannot_start_an_authorization(client, alice, erin, make_app):
    app, _secret = make_app(alice, review_status="pending")
    client.force_login(erin)
    response = client.get(
        "/o/authorize/",
        {
            "response_type": "code",
            "client_id": app.client_id,
            "redirect_uri": LOOPBACK_CALLBACK,
            "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            "code_challenge_method": "S256",
        },
    )
    # An error page (invalid_client), never a redirect carrying a code.
    assert response.status_code == 401
    assert "Location" not in response
    assert "waiting for review" in response.content.decode()


@pytest.mark.django_db
def test_introspection_with_a_suspended_clients_credentials_is_refused_not_a_crash(client, alice, make_app):
    app, secret = make_app(alice, grant_types=[grants.CLIENT_CREDENTIALS], redirect_uris=[])
    token = _client_credentials(client, app, secret).json()["access_token"]
    app.review_status = "suspended"
    app.save()
    response = client.post(
        "/o/introspect/", {"token": token}, HTTP_AUTHORIZATION=_basic(app.client_id, secret)
    )
    # invalid_client with the reason, as the token endpoint answers a suspended app.
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"
    assert "suspended" in response.json()["error_description"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("extra", "error"),
    [
        ({}, "Code+challenge+required"),
        ({"code_challenge": "x" * 43, "code_challenge_method": "plain"}, "Unsupported+%22plain%22"),
    ],
)
def test_pkce_s256_is_required(client, alice, erin, make_app, extra, error):
    app, _secret = make_app(alice)
    client.force_login(erin)
    params = {"response_type": "code", "client_id": app.client_id, "redirect_uri": LOOPBACK_CALLBACK, **extra}
    response = client.get("/o/authorize/", params)
    assert response.status_code == 302
    assert response["Location"].startswith(LOOPBACK_CALLBACK)
    assert "error=invalid_request" in response["Location"]
    assert error in response["Location"]


@pytest.mark.django_db
def test_an_unregistered_redirect_uri_is_never_redirected_to(client, alice, erin, make_app):
    app, _secret = make_app(alice)
    client.force_login(erin)
    response = client.get(
        "/o/authorize/",
        {"response_type": "code", "client_id": app.client_id, "redirect_uri": "https://evil.example/cb"},
    )
    assert response.status_code == 400
    assert "evil.example" not in response.get("Location", "")
