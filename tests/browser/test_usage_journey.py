"""The usage page in Chromium: the period switch and the error filter replace their part of the page in place
(htmx), the URL follows, and Back brings the previous period back."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect

from portal.usage import errorlog
from tests.helpers.accounts import browser_sign_in
from tests.helpers.constants import PASSWORD
from tests.helpers.usage import usage_sample

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_switching_the_period_and_filtering_errors_in_place(live_server, browser: Browser, alice, make_app):
    app, _secret = make_app(alice, name="Charted App")
    usage_sample(app)
    errorlog.error_record(application_id=app.pk, endpoint="token", code="invalid_client")
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server.url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    browser_sign_in(page, live_server.url, "alice", PASSWORD)
    page.goto(f"/developer/apps/{app.pk}/")
    page.get_by_role("link", name="Usage and errors").click()
    expect(page.get_by_role("heading", name="Last 30 days")).to_be_visible()
    tokens = page.get_by_test_id("chart-tokens")
    expect(tokens.locator("rect")).to_have_count(30)
    page.evaluate("window.fullReloads = (window.fullReloads || 0) + 1")

    page.get_by_label("Period").select_option("7")
    expect(page.get_by_role("heading", name="Last 7 days")).to_be_visible()
    expect(tokens.locator("rect")).to_have_count(7)
    expect(page).to_have_url(re.compile(r"/usage/\?days=7$"))
    assert page.evaluate("window.fullReloads") == 1  # replaced in place, not reloaded
    # The figures behind the chart, as a table.
    page.get_by_text("Tokens issued: the figures").click()
    expect(page.get_by_test_id("chart-table-tokens").locator("tbody tr")).to_have_count(7)

    expect(page.get_by_test_id("error-row")).to_have_count(4)
    page.get_by_test_id("error-filter").locator("select").select_option("invalid_client")
    expect(page.get_by_test_id("error-row")).to_have_count(1)
    expect(page.get_by_test_id("error-hint")).to_contain_text("Check the secret")
    # The period stays, on the page and in the URL (a reload shows the same).
    expect(page.get_by_role("heading", name="Last 7 days")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/usage/\?part=errors&days=7&error=invalid_client$"))
    page.reload()
    expect(page.get_by_test_id("error-row")).to_have_count(1)
    expect(tokens.locator("rect")).to_have_count(7)

    page.go_back()
    page.go_back()
    expect(page.get_by_role("heading", name="Last 30 days")).to_be_visible()
    expect(tokens.locator("rect")).to_have_count(30)
