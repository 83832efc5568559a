"""A passkey, end to end in Chromium through the DevTools protocol's virtual authenticator (the WebAuthn
domain): a developer adds a passkey on allauth's page, signs out, and signs in with the passkey alone."""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from playwright.sync_api import Page, expect

from tests.helpers.constants import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _virtual_authenticator(page: Page) -> None:
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )


def test_add_a_passkey_and_sign_in_with_it(live_server, page: Page, alice):
    base = live_server.url
    _virtual_authenticator(page)
    page.goto(f"{base}/accounts/login/")
    page.get_by_placeholder("Username or email").fill("alice")
    page.get_by_label("Password:").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_test_id("signed-in-as")).to_have_text("alice")

    page.goto(f"{base}/accounts/2fa/webauthn/add/")
    page.get_by_label("Password:").fill(PASSWORD)  # adding a key asks for the password again
    page.get_by_role("button", name="Confirm").click()
    page.get_by_label("Passwordless").check()
    page.get_by_role("button", name="Add").click()
    expect(page.get_by_test_id("signed-in-as")).to_have_text("alice")
    expect(page).not_to_have_url(f"{base}/accounts/2fa/webauthn/add/")
    key = Authenticator.objects.get(user=alice, type=Authenticator.Type.WEBAUTHN)
    assert key.wrap().is_passwordless is True

    page.get_by_role("button", name="Sign out").click()
    page.goto(f"{base}/accounts/login/")
    page.get_by_role("button", name="Sign in with a passkey").click()
    expect(page.get_by_test_id("signed-in-as")).to_have_text("alice")
