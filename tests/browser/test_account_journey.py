"""A newcomer signs up, signs out, signs in again and reaches the home page."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sign_up_sign_out_sign_in(live_server, page: Page):
    page.goto(f"{live_server.url}/")
    # The keyboard user's skip link stays out of sight until it is focused.
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).not_to_be_in_viewport()
    page.keyboard.press("Tab")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Sign up").click()

    page.get_by_label("Email").fill("newcomer@example.com")
    page.get_by_label("Username").fill("newcomer")
    page.get_by_label("Password:", exact=True).fill("a-long-unguessable-passphrase")
    page.get_by_label("Password (again)").fill("a-long-unguessable-passphrase")
    page.get_by_role("button", name="Sign Up").click()

    expect(page.get_by_test_id("signed-in-as")).to_have_text("newcomer")
    assert get_user_model().objects.filter(username="newcomer", email="newcomer@example.com").exists()
    # Email confirmation is sent (console backend in development, locmem in tests).
    assert any("newcomer@example.com" in message.to for message in mail.outbox)

    page.get_by_role("button", name="Sign out").click()
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Sign in")).to_be_visible()

    nav.get_by_role("link", name="Sign in").click()
    page.get_by_placeholder("Username or email").fill("newcomer")
    page.get_by_label("Password:").fill("a-long-unguessable-passphrase")
    page.get_by_role("button", name="Sign in", exact=True).click()

    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_test_id("welcome")).to_contain_text("Signed in as newcomer")


def test_a_wrong_password_is_a_clear_error(live_server, page: Page, erin):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_placeholder("Username or email").fill("erin")
    page.get_by_label("Password:").fill("not her password")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_text("The username and/or password you specified are not correct.")).to_be_visible()
    expect(page.get_by_test_id("signed-in-as")).to_have_count(0)
