"""Account security in Chromium: a staff member without a second factor is led to set one up, sets up an
authenticator app from the secret the page shows, signs out, signs in with password and code and reaches
/staff/; a developer rotating a secret is asked for the password again and the rotation completes."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Page, expect

from portal.clients.models import ClientSecret
from portal.terms.services import terms_accept
from tests.helpers.accounts import totp_code_to_type
from tests.helpers.constants import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _password_sign_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_placeholder("Username or email").fill(username)
    page.get_by_label("Password:").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()


def _wait_for_the_next_code() -> None:
    # allauth refuses a code twice: the sign-in needs the next 30-second step's code, as a person would.
    time.sleep(30 - time.time() % 30 + 0.5)


def test_staff_set_up_totp_then_sign_in_with_it_and_reach_staff(live_server, page: Page, sam):
    base = live_server.url
    _password_sign_in(page, base, "sam")
    expect(page.get_by_test_id("signed-in-as")).to_have_text("sam")

    # The staff area sends them to set up a second factor first.
    page.goto(f"{base}/staff/")
    expect(page).to_have_url(f"{base}/accounts/2fa/")
    expect(page.get_by_text("This page needs two-factor authentication")).to_be_visible()
    page.get_by_role("link", name="Activate").first.click()
    # Setting up a second factor is itself a sensitive change: the password again.
    page.get_by_label("Password:").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()

    secret = page.get_by_label("Authenticator secret").input_value()
    assert re.fullmatch(r"[A-Z2-7]+=*", secret)
    page.get_by_label("Authenticator code").fill(totp_code_to_type(secret))
    page.get_by_role("button", name="Activate").click()
    expect(page).to_have_url(f"{base}/accounts/2fa/recovery-codes/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Recovery Codes")

    page.get_by_role("button", name="Sign out").click()
    _wait_for_the_next_code()
    _password_sign_in(page, base, "sam")
    expect(page).to_have_url(f"{base}/accounts/2fa/authenticate/")
    page.get_by_label("Code").fill(totp_code_to_type(secret))
    page.get_by_role("button", name="Sign In", exact=True).click()
    expect(page.get_by_test_id("signed-in-as")).to_have_text("sam")

    page.goto(f"{base}/staff/")
    expect(page).to_have_url(f"{base}/staff/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def test_a_developer_rotating_a_secret_re_authenticates_and_the_rotation_completes(
    live_server, page: Page, alice, make_app, current_terms
):
    base = live_server.url
    app, _secret = make_app(alice, name="Photo Printer")
    terms_accept(user=alice, version=current_terms, request=None)
    _password_sign_in(page, base, "alice")
    expect(page.get_by_test_id("signed-in-as")).to_have_text("alice")

    page.goto(f"{base}/developer/apps/{app.pk}/")
    page.get_by_label("Keep the current secret working for").select_option("3600")
    page.get_by_role("button", name="Rotate secret").click()  # an htmx post
    expect(page).to_have_url(re.compile(r"/accounts/reauthenticate/\?next="))
    assert ClientSecret.objects.filter(application=app).count() == 1

    page.get_by_label("Password:").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    expect(page).to_have_url(f"{base}/developer/apps/{app.pk}/")
    new_secret = page.get_by_test_id("client-secret").input_value()
    assert new_secret
    # The grace period chosen before re-authenticating was kept: the old secret still works for an hour.
    expect(page.get_by_test_id("secret-row")).to_have_count(2)
    assert ClientSecret.objects.filter(application=app).count() == 2
