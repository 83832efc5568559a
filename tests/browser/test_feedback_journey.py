"""Chromium journeys for what people notice after they act: a double click registers one app, a slow
action shows that it is working, one-click actions that cannot be undone ask first, and Back/Forward
brings the filters back with the list they filtered."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_application_model
from oauth2_provider.oauth2_validators import set_token_value
from playwright.sync_api import Browser, Page, Route, expect

from portal.clients.models import ClientSecret
from tests.helpers.accounts import browser_reauthenticate, totp_add, totp_code_to_type
from tests.helpers.browser import AXE
from tests.helpers.constants import LOOPBACK_CALLBACK, PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def signed_in(browser: Browser, base: str, username: str) -> Page:
    # bypass_csp lets a test inject axe-core; the portal's pages still load under their CSP.
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=base, bypass_csp=True)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.get_by_placeholder("Username or email").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    user = get_user_model().objects.get(username=username)
    # The staff pages need a second factor used in the session.
    secret = totp_add(user) if user.is_staff else None
    page.get_by_role("button", name="Sign in", exact=True).click()
    if secret:
        page.get_by_label("Code").fill(totp_code_to_type(secret))
        page.get_by_role("button", name="Sign In", exact=True).click()
    expect(page.get_by_test_id("signed-in-as")).to_have_text(username)
    # These journeys are about confirmations and feedback: re-authenticate up front, as dangerous actions
    # (rotating, revoking, trusting) would ask (tests/accounts/test_reauthentication.py covers that).
    browser_reauthenticate(page, base, PASSWORD)
    return page


def hold_posts(page: Page, pattern: str) -> list[Route]:
    """Hold every POST to `pattern` until the test lets it go: a connection as slow as the test wants."""
    held: list[Route] = []

    def handle(route: Route) -> None:
        if route.request.method == "POST":
            held.append(route)
        else:
            route.continue_()

    page.route(pattern, handle)
    return held


def axe_violations(page: Page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    return page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations.map(v => v.id)"
    )


def wait_for(page: Page, condition, what: str) -> None:
    for _ in range(100):
        if condition():
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_double_click_on_register_creates_one_app(live_server, browser: Browser, alice, current_terms):
    from portal.terms.services import terms_accept

    terms_accept(user=alice, version=current_terms, request=None)
    page = signed_in(browser, live_server.url, "alice")
    page.goto("/developer/apps/new/")
    page.get_by_role("textbox", name="Name", exact=True).fill("Double Click")
    page.get_by_role("textbox", name="Redirect URIs", exact=True).fill(LOOPBACK_CALLBACK)
    held = hold_posts(page, "**/developer/apps/new/")

    button = page.get_by_role("button", name="Register app")
    button.scroll_into_view_if_needed()
    box = button.bounding_box()
    # What the button looks like while the POST is under way, kept across the navigation that follows.
    page.evaluate(
        """() => {
          const b = [...document.querySelectorAll("button")].find(b => b.textContent === "Register app");
          const keep = () => sessionStorage.setItem(
            "registerButton", JSON.stringify([b.disabled, b.getAttribute("aria-busy")]));
          new MutationObserver(keep).observe(b, {attributes: true});
        }"""
    )
    page.mouse.click(box["x"] + 10, box["y"] + 10)
    wait_for(page, lambda: len(held) == 1, "the first POST")
    page.mouse.click(box["x"] + 10, box["y"] + 10)  # the second click, over the slow connection
    page.wait_for_timeout(300)
    assert len(held) == 1, "the second click sent the form again"

    held[0].continue_()
    expect(page.get_by_test_id("client-secret")).to_be_visible()
    assert get_application_model().objects.filter(user=alice, name="Double Click").count() == 1
    # The button was disabled and showed it was busy.
    assert page.evaluate("sessionStorage.getItem('registerButton')") == '[true,"true"]'


def test_a_slow_decision_shows_it_is_working_and_updates_the_staff_count(
    live_server, browser: Browser, sam, alice, make_app
):
    app, _secret = make_app(alice, name="Slow Approve", review_status="pending", skip_authorization=False)
    page = signed_in(browser, live_server.url, "sam")
    page.goto(f"/staff/apps/{app.pk}/")
    nav_link = page.get_by_role("navigation", name="Main").get_by_role("link", name="Staff review (1)")
    expect(nav_link).to_be_visible()
    held = hold_posts(page, "**/approve/")

    approve = page.get_by_role("button", name="Approve", exact=True)
    approve.click()
    wait_for(page, lambda: len(held) == 1, "the approve POST")
    expect(approve).to_have_attribute("aria-busy", "true")
    expect(approve).to_be_disabled()
    held[0].continue_()

    expect(page.get_by_test_id("review-status")).to_have_text("Approved")
    expect(
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Staff review", exact=True)
    ).to_be_visible()


def _tokens(app, user, count: int) -> None:
    for n in range(count):
        token = get_access_token_model()(
            user=user, application=app, scope="read", expires=timezone.now() + timedelta(hours=1)
        )
        set_token_value(token, f"journey-{app.pk}-{n}")
        token.save()


def test_each_irreversible_developer_action_asks_first(
    live_server, browser: Browser, alice, erin, make_app, current_terms
):
    from portal.terms.services import terms_accept

    terms_accept(user=alice, version=current_terms, request=None)
    app, _secret = make_app(alice, name="Careful App")
    _tokens(app, erin, 3)
    page = signed_in(browser, live_server.url, "alice")

    # Revoking one token: Cancel keeps it; confirming revokes it and the count follows.
    page.goto(f"/developer/apps/{app.pk}/tokens/")
    page.get_by_test_id("token-row").first.get_by_role("button", name="Revoke").click()
    dialog = page.get_by_test_id("confirm-dialog")
    expect(dialog).to_be_visible()
    assert axe_violations(page) == []  # the dialog is labelled, focusable and modal
    dialog.get_by_role("link", name="Cancel").click()
    expect(dialog).to_have_count(0)
    expect(page.get_by_test_id("token-row")).to_have_count(3)
    page.get_by_test_id("token-row").first.get_by_role("button", name="Revoke").click()
    page.get_by_test_id("confirm-dialog").get_by_role("button", name="Revoke the token").click()
    expect(page.get_by_test_id("token-row")).to_have_count(2)
    expect(page.get_by_test_id("token-count")).to_have_text("2 tokens")
    expect(page.get_by_test_id("tokens-notice")).to_be_visible()

    # Rotating with a grace period asks nothing; revoking that previous secret early does.
    page.goto(f"/developer/apps/{app.pk}/")
    page.get_by_label("Keep the current secret working for").select_option("3600")
    page.get_by_role("button", name="Rotate secret").click()
    expect(page.get_by_test_id("secret-row")).to_have_count(2)
    page.get_by_role("button", name="Revoke now").click()
    dialog = page.get_by_test_id("confirm-dialog")
    expect(dialog).to_contain_text("stops working at once")
    dialog.get_by_role("button", name="Revoke it now").click()
    expect(page.get_by_test_id("secret-row")).to_have_count(1)
    expect(page.get_by_test_id("secrets-notice")).to_contain_text("no longer works")

    # Rotating with no grace period says a production client breaks, and asks.
    before = ClientSecret.objects.get(application=app).pk
    page.get_by_label("Keep the current secret working for").select_option("0")
    page.get_by_role("button", name="Rotate secret").click()
    dialog = page.get_by_test_id("confirm-dialog")
    expect(dialog).to_contain_text("A client in production that still uses it fails at once")
    assert ClientSecret.objects.get(application=app).pk == before
    dialog.get_by_role("button", name="Rotate now, break the current secret").click()
    expect(page.get_by_test_id("client-secret")).to_be_visible()
    assert ClientSecret.objects.get(application=app).pk != before


def test_trust_and_removing_it_ask_first(live_server, browser: Browser, sam, alice, make_app):
    app, _secret = make_app(alice, name="Trust Me", skip_authorization=False)
    page = signed_in(browser, live_server.url, "sam")
    page.goto(f"/staff/apps/{app.pk}/")
    page.get_by_role("button", name="Mark trusted").click()
    dialog = page.get_by_test_id("confirm-dialog")
    expect(dialog).to_contain_text("not shown a consent screen")
    dialog.get_by_role("link", name="Cancel").click()
    app.refresh_from_db()
    assert not app.skip_authorization
    page.get_by_role("button", name="Mark trusted").click()
    page.get_by_test_id("confirm-dialog").get_by_role("button", name="Mark trusted").click()
    expect(page.get_by_test_id("trusted")).to_be_visible()
    page.get_by_role("button", name="Remove trust").click()
    dialog = page.get_by_test_id("confirm-dialog")
    expect(dialog).to_contain_text("consent screen again")
    dialog.get_by_role("button", name="Remove trust").click()
    expect(page.get_by_test_id("trusted")).to_have_count(0)
    app.refresh_from_db()
    assert not app.skip_authorization


def test_back_and_forward_bring_back_the_filters_with_their_list(
    live_server, browser: Browser, sam, alice, make_app
):
    make_app(alice, name="Alpha Queue", review_status="pending", skip_authorization=False)
    make_app(alice, name="Beta Queue", review_status="pending", skip_authorization=False)
    page = signed_in(browser, live_server.url, "sam")
    page.goto("/staff/queue/")
    search = page.get_by_role("searchbox", name="Search")
    expect(page.get_by_test_id("queue-row")).to_have_count(2)
    search.fill("Alpha")
    expect(page.get_by_test_id("queue-row")).to_have_count(1)
    page.wait_for_url("**/staff/queue/?*q=Alpha*")

    page.go_back()
    expect(page.get_by_test_id("queue-row")).to_have_count(2)
    expect(page.get_by_role("searchbox", name="Search")).to_have_value("")
    page.go_forward()
    expect(page.get_by_test_id("queue-row")).to_have_count(1)
    expect(page.get_by_role("searchbox", name="Search")).to_have_value("Alpha")


def _contrast(rgb: str, background=(255, 255, 255)) -> float:
    import re

    def luminance(channels) -> float:
        def linear(c: float) -> float:
            c /= 255
            return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

        r, g, b = (linear(float(c)) for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    values = [float(v) for v in re.findall(r"[\d.]+", rgb)]
    alpha = values[3] if len(values) > 3 else 1.0
    # A translucent ring is seen blended with the page behind it.
    channels = [alpha * c + (1 - alpha) * bg for c, bg in zip(values[:3], background, strict=True)]
    lighter, darker = sorted([luminance(channels), luminance(background)], reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def test_focus_rings_stand_out_at_least_3_to_1(live_server, browser: Browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server.url)
    page = context.new_page()
    page.goto("/accounts/login/")
    rings = {}
    for name, locator in {
        "link": page.get_by_role("link", name="Forgot your password?"),
        "button": page.get_by_role("button", name="Sign in", exact=True),
        "input": page.get_by_placeholder("Username or email"),
        "outline button": page.get_by_role("link", name="Sign up"),
    }.items():
        locator.focus()
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Tab")  # keyboard focus, so :focus-visible applies
        page.wait_for_timeout(400)  # Pico animates the ring in
        rings[name] = locator.evaluate(
            """e => { const s = getComputedStyle(e);
                      const shadow = s.boxShadow.match(/rgba?\\([^)]*\\)/g) || [];
                      return s.outlineStyle !== 'none' && s.outlineWidth !== '0px' ? s.outlineColor
                             : shadow.filter(c => !c.endsWith(', 0)')).pop() || 'none'; }"""
        )
    for name, color in rings.items():
        assert color != "none", f"{name} has no focus ring"
        assert _contrast(color) >= 3, f"{name} focus ring {color} is {_contrast(color):.1f}:1"
    context.close()
