"""The device grant (RFC 8628) as it is lived: a TV app asks over HTTP, a person types its code in Chromium,
approves on the consent screen, the TV gets its token, and the person later takes the access back."""

from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import Page, expect

from portal.clients import grants
from tests.helpers.constants import PASSWORD
from tests.helpers.device_client import DeviceClient

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_tv_is_connected_by_code_and_disconnected_under_connected_apps(
    page: Page, live_server, alice, erin, make_app
):
    base = live_server.url
    app, _secret = make_app(
        alice,
        name="Living Room TV",
        client_type="public",
        grant_types=[grants.DEVICE_CODE],
        redirect_uris=[],
        skip_authorization=False,
    )
    tv = DeviceClient(f"{base}/o/device-authorization/", f"{base}/o/token/", app.client_id)
    codes = tv.start("openid profile read")
    assert codes["verification_uri"] == f"{base}/o/device/"
    pending = tv.poll()
    assert pending.status_code == 400 and pending.json()["error"] == "authorization_pending"

    # The person opens the address the TV shows, signs in, and types the code as they read it.
    page.goto(codes["verification_uri"])
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.get_by_placeholder("Username or email").fill("erin")
    page.get_by_label("Password:").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Connect a device")

    page.get_by_label("Code shown on your device").fill("BCDF-GHJK")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("alert")).to_have_text(re.compile("That code was not recognised"))

    page.get_by_label("Code shown on your device").fill(codes["user_code"].lower().replace("-", " "))
    page.get_by_role("button", name="Continue").click()

    # The same consent screen as /o/authorize/.
    screen = page.get_by_test_id("consent")
    expect(screen.get_by_role("heading", level=1)).to_have_text("Living Room TV wants to use your account")
    expect(screen.get_by_test_id("developer")).to_have_text("Alice Example")
    expect(screen.get_by_test_id("device-user-code")).to_have_text(codes["user_code"])
    expect(screen.get_by_label("Sign you in with your account (OpenID Connect)")).to_be_disabled()
    screen.get_by_label("See your name and username").uncheck()
    screen.get_by_role("button", name="Allow").click()
    expect(page.get_by_role("status")).to_have_text(re.compile("Living Room TV is connected"))

    # The TV's next poll gets a token with exactly what the person allowed, and it works.
    granted = tv.poll()
    assert granted.status_code == 200, granted.text
    token = granted.json()
    assert token["scope"] == "openid read"
    bearer = {"Authorization": f"Bearer {token['access_token']}"}
    me = requests.get(f"{base}/api/me", headers=bearer, timeout=10)
    assert me.status_code == 200 and me.json()["username"] == "erin"

    # Later the person takes the TV's access back.
    page.goto(f"{base}/accounts/connected-apps/")
    page.get_by_role("button", name="Revoke access of Living Room TV").click()
    page.get_by_test_id("confirm-dialog").get_by_role("button", name="Revoke access").click()
    expect(page.get_by_text("Living Room TV no longer has access to your account.")).to_be_visible()
    assert requests.get(f"{base}/api/me", headers=bearer, timeout=10).status_code == 401
    refreshed = requests.post(
        f"{base}/o/token/",
        data={
            "grant_type": "refresh_token",
            "refresh_token": token["refresh_token"],
            "client_id": app.client_id,
        },
        timeout=10,
    )
    assert refreshed.status_code == 400 and refreshed.json()["error"] == "invalid_grant"
