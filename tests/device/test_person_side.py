"""The person's side of RFC 8628: typing the code at /o/device/ and deciding on the consent card."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import segno
from django.test import Client
from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_device_grant_model

from portal import envconfig
from portal.audit.models import AuditEvent
from portal.consent.models import Consent
from portal.usage import counters
from tests.helpers.device import decide, enter_code, poll, start

pytestmark = pytest.mark.django_db


@pytest.fixture
def body(client, tv_app):
    """What the TV got from the device authorization endpoint."""
    return start(client, tv_app, scope="openid profile read").json()


def test_the_code_page_asks_to_sign_in_first(client, body):
    response = client.get(body["verification_uri_complete"])
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/o/device/")


def test_verification_uri_complete_fills_in_the_code(client, erin, body):
    client.force_login(erin)
    response = client.get(body["verification_uri_complete"])
    assert response.status_code == 200
    assert f'value="{body["user_code"]}"' in response.content.decode()


@pytest.mark.parametrize(
    "typed", ["{code}", "{lower}", "{bare}", " {spaced} "], ids=["as-shown", "lower", "no-dash", "spaced"]
)
def test_codes_are_typed_in_any_case_with_or_without_the_dash(client, erin, body, typed):
    code = body["user_code"]
    text = typed.format(
        code=code, lower=code.lower(), bare=code.replace("-", ""), spaced=code.replace("-", " ").lower()
    )
    client.force_login(erin)
    response = enter_code(client, text)
    assert response.status_code == 302 and response["Location"] == "/o/device/confirm/"


@pytest.mark.parametrize(
    "typed",
    ["BCDF-GHJK", "nonsense", "\x00", "x" * 1000, ""],
    ids=["unknown", "word", "nul", "long", "empty"],
)
def test_a_wrong_code_says_so(client, erin, body, typed):
    client.force_login(erin)
    response = enter_code(client, typed)
    assert response.status_code == 400
    assert response.context["form"].errors["user_code"]


def test_a_wrong_code_gets_a_clear_message(client, erin, body):
    client.force_login(erin)
    response = enter_code(client, "BCDF-GHJK")
    assert "That code was not recognised" in response.content.decode()


def test_an_expired_code_says_so(client, erin, body):
    get_device_grant_model().objects.update(expires=timezone.now() - timedelta(seconds=1))
    client.force_login(erin)
    response = enter_code(client, body["user_code"])
    assert response.status_code == 400
    assert "That code has expired" in response.content.decode()


def test_a_used_code_says_so(client, erin, body):
    client.force_login(erin)
    enter_code(client, body["user_code"])
    decide(client, ticked=("read",))
    response = enter_code(client, body["user_code"])
    assert response.status_code == 400
    assert "already been used" in response.content.decode()


def _limits(settings, **rates: str) -> None:
    merged = dict(settings.PORTAL_RATE_LIMITS)
    for action, rate in rates.items():
        merged[action] = {**merged[action], "rate": envconfig.parse_rate(action, rate)}
    settings.PORTAL_RATE_LIMITS = merged


def test_attempts_are_limited_per_person(client, erin, body, settings):
    _limits(settings, device_code_user="3/5m", device_code_address="100/5m")
    client.force_login(erin)
    for _ in range(3):
        assert enter_code(client, "BCDF-GHJK").status_code == 400
    response = enter_code(client, body["user_code"])  # even the right code, now
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 300
    assert "Too many attempts" in response.content.decode()


def test_attempts_are_limited_per_address(client, erin, charlie, body, settings):
    _limits(settings, device_code_user="100/5m", device_code_address="3/5m")
    for person in (erin, charlie, erin):
        client.force_login(person)
        assert enter_code(client, "BCDF-GHJK").status_code == 400
    client.force_login(charlie)
    response = enter_code(client, body["user_code"])
    assert response.status_code == 429 and 1 <= int(response["Retry-After"]) <= 300


def test_the_approval_page_is_the_consent_card(client, erin, tv_app, body):
    client.force_login(erin)
    enter_code(client, body["user_code"])
    response = client.get("/o/device/confirm/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="consent"' in html
    assert "Living Room TV wants to use your account" in html
    assert "Alice Example" in html  # the publisher
    assert "Watch your library on the big screen." in html
    assert 'href="https://tv.example.com"' in html
    # Scopes in plain words; openid cannot be unticked, the others can.
    assert "See your name and username" in html and "Read your account details through the API" in html
    assert 'name="granted_scopes" value="profile"' in html and 'name="granted_scopes" value="read"' in html
    assert 'name="granted_scopes" value="openid"' not in html
    assert body["user_code"] in html  # to compare with the device's screen
    # Unframeable, like the authorization endpoint (RFC 9700 4.16).
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_approval_remembers_consent_and_is_audited(client, erin, tv_app, body):
    client.force_login(erin)
    enter_code(client, body["user_code"])
    response = decide(client, ticked=("read",))
    assert response.status_code == 302 and response["Location"] == "/o/device/"
    assert "is connected" in client.get("/o/device/").content.decode()
    assert Consent.objects.get(user=erin, application=tv_app).scopes == ["openid", "read"]
    event = AuditEvent.objects.get(action=AuditEvent.Action.DEVICE_APPROVED)
    assert event.actor == erin and event.application == tv_app
    assert event.changes == {"scopes": ["openid", "read"], "declined": ["profile"]}
    # The app is listed under connected apps.
    assert "Living Room TV" in client.get("/accounts/connected-apps/").content.decode()


def test_denial_is_audited_and_remembers_nothing(client, erin, tv_app, body):
    client.force_login(erin)
    enter_code(client, body["user_code"])
    response = decide(client, allow=False)
    assert response.status_code == 302
    assert "was not connected" in client.get("/o/device/").content.decode()
    assert not Consent.objects.exists()
    event = AuditEvent.objects.get(action=AuditEvent.Action.DEVICE_DENIED)
    assert event.actor == erin and event.application == tv_app
    # The app's usage counts one refusal (portal/usage/).
    assert counters.pending_counts(application_id=tv_app.pk) == {(tv_app.pk, counters.today(), "denial"): 1}


def test_a_code_is_decided_once(client, erin, charlie, body):
    """Two people (or tabs) with the same code: the first decision stands."""
    other = Client()
    client.force_login(erin)
    other.force_login(charlie)
    enter_code(client, body["user_code"])
    enter_code(other, body["user_code"])
    decide(client, ticked=("read",))
    response = decide(other, ticked=("profile", "read"))
    assert response.status_code == 302
    assert "expired or was already used" in other.get("/o/device/").content.decode()
    grant = get_device_grant_model().objects.get(device_code=body["device_code"])
    assert grant.user.username == "erin" and grant.scope == "openid read"


def test_the_approval_page_without_a_code_sends_back_to_the_code_page(client, erin):
    client.force_login(erin)
    response = client.get("/o/device/confirm/")
    assert response.status_code == 302 and response["Location"] == "/o/device/"


def test_a_tampered_decision_is_a_bad_request(client, erin, body):
    client.force_login(erin)
    enter_code(client, body["user_code"])
    response = client.post("/o/device/confirm/", {"allow": "true", "granted_scopes": ["admin\x00"]})
    assert response.status_code == 400


def test_revoking_under_connected_apps_ends_the_devices_access(client, erin, tv_app, body):
    client.force_login(erin)
    enter_code(client, body["user_code"])
    decide(client, ticked=("read",))
    token = poll(client, tv_app, body["device_code"]).json()
    bearer = f"Bearer {token['access_token']}"
    assert client.get("/api/me", HTTP_AUTHORIZATION=bearer).status_code == 200
    assert Consent.objects.filter(user=erin, application=tv_app).exists()
    assert (
        client.post(f"/accounts/connected-apps/{tv_app.pk}/revoke/", {"confirmed": "yes"}).status_code == 302
    )
    assert client.get("/api/me", HTTP_AUTHORIZATION=bearer).status_code == 401
    refreshed = client.post(
        "/o/token/",
        {
            "grant_type": "refresh_token",
            "refresh_token": token["refresh_token"],
            "client_id": tv_app.client_id,
        },
    )
    assert refreshed.status_code == 400 and refreshed.json()["error"] == "invalid_grant"
    assert not get_access_token_model().objects.filter(user=erin).exists()


def test_the_qr_code_encodes_verification_uri_complete(client, body):
    response = client.get(f"/o/device/qr.svg?user_code={body['user_code'].lower()}")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    # The same drawing as the library makes of the URI the device was given, so the same QR code.
    expected = segno.make(body["verification_uri_complete"], error="m")
    buffer = io.BytesIO()
    expected.save(buffer, kind="svg", scale=6, border=4, xmldecl=False, title="Scan to connect your device")
    assert response.content == buffer.getvalue()


@pytest.mark.parametrize("code", ["", "nonsense", "\x00", "x" * 1000])
def test_the_qr_code_refuses_anything_but_a_code(client, code):
    response = client.get("/o/device/qr.svg", {"user_code": code})
    assert response.status_code == 400


def test_a_trusted_app_still_asks_the_person(client, erin, tv_app, body):
    """Trusted apps skip the consent screen at /o/authorize/, but a device is always confirmed: the code
    could have been sent by someone else (RFC 8628 5.4)."""
    tv_app.skip_authorization = True
    tv_app.save(update_fields=["skip_authorization"])
    client.force_login(erin)
    enter_code(client, body["user_code"])
    response = client.get("/o/device/confirm/")
    assert response.status_code == 200 and 'data-testid="consent-form"' in response.content.decode()
    assert not Consent.objects.exists()


def test_dots_stock_device_pages_are_not_mounted(client, erin, tv_app, body):
    client.force_login(erin)
    code = body["user_code"].replace("-", "")
    assert client.get(f"/o/device-confirm/{tv_app.client_id}/{code}").status_code == 404
    assert client.get(f"/o/device-grant-status/{tv_app.client_id}/{code}").status_code == 404


def test_an_app_suspended_after_the_code_was_typed_cannot_be_approved(client, erin, tv_app, body):
    client.force_login(erin)
    enter_code(client, body["user_code"])
    tv_app.review_status = "suspended"
    tv_app.save(update_fields=["review_status"])
    response = decide(client, ticked=("read",))
    assert response.status_code == 302 and response["Location"] == "/o/device/"
    assert "can no longer be connected" in client.get("/o/device/").content.decode()
    assert get_device_grant_model().objects.get().status == "authorization-pending"
    assert not Consent.objects.exists()
