"""The device's side of RFC 8628: the device authorization endpoint and polling the token endpoint.

Django's test client speaks to the real URL map; the full flow over HTTP with a real client is in
tests/oauth/test_advertised.py and tests/browser/test_device_journey.py.
"""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from oauth2_provider.models import get_device_grant_model

from portal.clients import grants
from portal.device import codes
from portal.device.views import DeviceAuthorizationView
from tests.helpers.device import DEVICE_GRANT, decide, enter_code, form_post, poll, start

pytestmark = pytest.mark.django_db


def approve(client, person, body, *, ticked=("profile", "read")):
    """The person's side, as quickly as possible: enter the code, tick, allow."""
    client.force_login(person)
    assert enter_code(client, body["user_code"]).status_code == 302
    assert decide(client, ticked=ticked).status_code == 302
    client.logout()


def test_device_authorization_answers_codes_and_the_portals_verification_uri(client, tv_app):
    response = start(client, tv_app, scope="openid read")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert body["verification_uri"] == "http://testserver/o/device/"
    assert body["verification_uri_complete"] == f"http://testserver/o/device/?user_code={body['user_code']}"
    assert body["interval"] == 5 and body["expires_in"] == 1800
    # Shown with a dash, made of letters that cannot be mistaken for each other.
    assert codes.user_code_normalize(body["user_code"]) == body["user_code"].replace("-", "")
    assert body["user_code"][4] == "-"
    assert "scope" not in body  # not an RFC 8628 response parameter
    grant = get_device_grant_model().objects.get(device_code=body["device_code"])
    assert grant.scope == "openid read" and grant.client_id == tv_app.client_id


def test_without_a_scope_the_device_gets_the_default_scopes(client, tv_app):
    body = start(client, tv_app, scope=None).json()
    assert get_device_grant_model().objects.get(device_code=body["device_code"]).scope == "read"


def test_a_confidential_client_must_authenticate(client, alice, make_app):
    app, secret = make_app(alice, grant_types=[grants.DEVICE_CODE], redirect_uris=[])
    data = {"client_id": app.client_id, "scope": "read"}

    def basic(password: str) -> str:
        return "Basic " + base64.b64encode(f"{app.client_id}:{password}".encode()).decode()

    response = form_post(client, "/o/device-authorization/", data, HTTP_AUTHORIZATION=basic(secret))
    assert response.status_code == 200
    response = form_post(client, "/o/device-authorization/", data, HTTP_AUTHORIZATION=basic("not-the-secret"))
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"
    response = form_post(client, "/o/device-authorization/", data)
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"


@pytest.mark.parametrize(
    ("status", "reason"),
    [("pending", "waiting for review"), ("rejected", "not approved"), ("suspended", "suspended")],
)
def test_only_approved_apps_get_device_codes(client, tv_app, status, reason):
    tv_app.review_status = status
    tv_app.save(update_fields=["review_status"])
    response = start(client, tv_app)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert reason in response.json()["error_description"]
    assert not get_device_grant_model().objects.exists()


def test_an_app_not_registered_for_the_device_grant_gets_no_codes(client, alice, make_app):
    app, _secret = make_app(alice, client_type="public", grant_types=[grants.AUTHORIZATION_CODE])
    response = start(client, app)
    assert response.status_code == 400
    assert response.json()["error"] == "unauthorized_client"
    assert not get_device_grant_model().objects.exists()


def test_an_unknown_scope_is_refused(client, tv_app):
    response = start(client, tv_app, scope="read admin")
    assert response.status_code == 400 and response.json()["error"] == "invalid_scope"


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"client_id": "no-such-client"},
        {"client_id": "x" * 5000},
        {"client_id": "", "scope": "read"},
        {"scope": "read"},
    ],
    ids=["nothing", "unknown", "overlong", "empty", "no-client"],
)
def test_no_input_breaks_the_device_authorization_endpoint(client, data):
    # oauthlib answers a missing or unknown client_id here with invalid_request (RFC 6749 4.1.2.1).
    response = form_post(client, "/o/device-authorization/", data)
    assert response.status_code == 400, response.content
    assert response.json()["error"] == "invalid_request"


def test_a_nul_byte_in_the_scope_is_refused(client, tv_app):
    response = start(client, tv_app, scope="read\x00")
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"


def test_polling_pending_then_too_fast(client, tv_app):
    device_code = start(client, tv_app).json()["device_code"]
    first = poll(client, tv_app, device_code)
    assert first.status_code == 400 and first.json()["error"] == "authorization_pending"
    again = poll(client, tv_app, device_code)
    assert again.status_code == 400 and again.json()["error"] == "slow_down"
    # RFC 8628 3.5: the interval grows by 5 seconds for every later request.
    assert get_device_grant_model().objects.get(device_code=device_code).interval == 10


def test_an_approved_code_gives_exactly_the_approved_scopes_once(client, tv_app, erin):
    body = start(client, tv_app, scope="openid profile read").json()
    approve(client, erin, body, ticked=("read",))  # profile unticked
    response = poll(client, tv_app, body["device_code"])
    assert response.status_code == 200, response.content
    token = response.json()
    assert token["scope"] == "openid read"
    assert token["refresh_token"]
    me = client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {token['access_token']}")
    assert me.status_code == 200 and me.json()["username"] == "erin"
    cache.clear()  # not a slow_down: the code is simply spent
    second = poll(client, tv_app, body["device_code"])
    assert second.status_code == 400 and second.json()["error"] == "invalid_grant"


def test_denial_gives_access_denied(client, tv_app, erin):
    body = start(client, tv_app).json()
    client.force_login(erin)
    enter_code(client, body["user_code"])
    decide(client, allow=False)
    response = poll(client, tv_app, body["device_code"])
    assert response.status_code == 400 and response.json()["error"] == "access_denied"


def test_unticking_everything_is_a_denial(client, tv_app, erin):
    body = start(client, tv_app, scope="profile read").json()
    approve(client, erin, body, ticked=())
    response = poll(client, tv_app, body["device_code"])
    assert response.status_code == 400 and response.json()["error"] == "access_denied"


def test_an_expired_code_gives_expired_token(client, tv_app):
    device_code = start(client, tv_app).json()["device_code"]
    get_device_grant_model().objects.update(expires=timezone.now() - timedelta(seconds=1))
    response = poll(client, tv_app, device_code)
    assert response.status_code == 400 and response.json()["error"] == "expired_token"


def test_another_clients_device_code_is_no_good(client, tv_app, erin, alice, make_app):
    body = start(client, tv_app).json()
    approve(client, erin, body)
    thief, _secret = make_app(alice, name="Thief", client_type="public", grant_types=[grants.DEVICE_CODE])
    response = poll(client, thief, body["device_code"])
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"
    # The rightful device still gets its token.
    assert poll(client, tv_app, body["device_code"]).status_code == 200


def test_a_suspended_app_cannot_exchange_an_approved_code(client, tv_app, erin):
    body = start(client, tv_app).json()
    approve(client, erin, body)
    tv_app.review_status = "suspended"
    tv_app.save(update_fields=["review_status"])
    response = poll(client, tv_app, body["device_code"])
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({}, "invalid_request"),
        ({"device_code": ""}, "invalid_request"),
        ({"device_code": "unknown"}, "invalid_grant"),
        ({"device_code": "nul\x00byte"}, "invalid_request"),
        ({"device_code": "x" * 5000}, "invalid_grant"),
    ],
    ids=["missing", "empty", "unknown", "nul", "overlong"],
)
def test_no_device_code_breaks_the_token_endpoint(client, tv_app, data, error):
    data = {"grant_type": DEVICE_GRANT, "client_id": tv_app.client_id, **data}
    response = form_post(client, "/o/token/", data)
    assert response.status_code == 400, response.content
    assert response.json()["error"] == error


def test_an_unknown_client_polling_is_invalid_client(client):
    response = form_post(
        client, "/o/token/", {"grant_type": DEVICE_GRANT, "device_code": "x", "client_id": "nobody"}
    )
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"


@pytest.mark.parametrize("path", ["/o/token/", "/o/device-authorization/"])
def test_a_nul_byte_in_the_client_id_is_a_bad_request(client, path):
    data = {"grant_type": DEVICE_GRANT, "device_code": "x", "client_id": "nobody\x00"}
    response = form_post(client, path, data)
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"
    basic = "Basic " + base64.b64encode(b"nobody\x00:secret").decode()
    response = form_post(
        client, path, {"grant_type": DEVICE_GRANT, "device_code": "x"}, HTTP_AUTHORIZATION=basic
    )
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"


def test_the_metadata_advertises_the_device_authorization_endpoint(client):
    for path in ("/.well-known/oauth-authorization-server/o", "/o/.well-known/oauth-authorization-server"):
        metadata = client.get(path).json()
        assert metadata["device_authorization_endpoint"] == "http://testserver/o/device-authorization/"
        assert DEVICE_GRANT in metadata["grant_types_supported"]


def test_two_live_devices_never_share_a_user_code(client, tv_app, monkeypatch):
    server = DeviceAuthorizationView.get_oauthlib_core().server
    monkeypatch.setattr(server, "user_code_generator", lambda: "BBBBBBBB")
    first = start(client, tv_app).json()
    second = start(client, tv_app).json()
    assert first["user_code"] == "BBBB-BBBB"
    assert second["user_code"] != first["user_code"]
    assert get_device_grant_model().objects.filter(user_code="BBBBBBBB").count() == 1
