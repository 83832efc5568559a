"""Staff review, end to end in Chromium: a developer registers an app in the developer console; staff find
it in the queue and reject it with a reason; the developer sees the reason and fixes the app; staff press
Approve on the page loaded before the fix and are told to look again, then approve and trust it; an end
user signs in to it with no consent screen (a real Authlib client takes the code); staff suspend it and
the user's token stops working at once."""

from __future__ import annotations

import re
import secrets
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from oauth2_provider.models import get_application_model
from playwright.sync_api import Browser, Page, expect

from portal.audit.models import AuditEvent
from tests.helpers.accounts import browser_reauthenticate, browser_sign_in, totp_add
from tests.helpers.constants import LOOPBACK_CALLBACK, PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _allow_plain_http_to_the_test_server(monkeypatch):
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")


def sign_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_placeholder("Username or email").fill(username)
    page.get_by_label("Password:").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_test_id("signed-in-as")).to_have_text(username)


def new_page(browser: Browser) -> Page:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    return context.new_page()


def open_in_queue(page: Page, base: str, app_name: str) -> None:
    page.goto(f"{base}/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name=re.compile(r"^Staff review")).click()
    # The search narrows the list in place (htmx) as staff type.
    page.get_by_role("searchbox", name="Search").fill(app_name)
    rows = page.get_by_test_id("queue-row")
    expect(rows).to_have_count(1)
    rows.get_by_role("link", name=app_name).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(app_name)


def test_register_reject_fix_approve_trust_sign_in_suspend(
    live_server, browser: Browser, page: Page, alice, sam, erin
):
    base = live_server.url
    Application = get_application_model()

    # --- The developer registers an app in the console (accepting the developer terms on the way). ---
    developer = new_page(browser)
    sign_in(developer, base, "alice")
    developer.goto(f"{base}/developer/apps/new/")
    if "/developer/terms/" in developer.url:
        developer.get_by_role("checkbox").check()
        developer.get_by_role("button", name="Accept and continue").click()
    developer.get_by_role("textbox", name="Name", exact=True).fill("Journey Notes")
    developer.get_by_role("textbox", name="Homepage URL").fill("https://notes.example.com/")
    developer.get_by_role("textbox", name="Redirect URIs", exact=True).fill(LOOPBACK_CALLBACK)
    developer.get_by_role("button", name="Register app").click()
    secret = developer.get_by_test_id("client-secret").input_value()
    client_id = developer.get_by_test_id("client-id").input_value()
    app = Application.objects.get(client_id=client_id)
    assert app.review_status == "pending"

    # --- Staff find it in the queue and reject it with a reason. ---
    # Staff sign in with password and authenticator code (the staff pages need a second factor), and
    # confirm the password again: approving and trusting are re-authenticated actions.
    browser_sign_in(page, base, "sam", PASSWORD, totp_secret=totp_add(sam))
    browser_reauthenticate(page, base, PASSWORD)
    open_in_queue(page, base, "Journey Notes")
    expect(page.get_by_test_id("uri-warning").first).to_contain_text("loopback")
    page.get_by_label("Why it is not approved").fill("Add a privacy policy URL.")
    page.get_by_role("button", name="Reject", exact=True).click()
    expect(page.get_by_test_id("review-status")).to_have_text("Rejected")
    expect(page.get_by_test_id("notice")).to_contain_text("rejected")

    # --- The developer sees the reason on the app page and fixes the app. ---
    developer.goto(f"{base}/developer/apps/{app.pk}/")
    expect(developer.get_by_test_id("review-reason")).to_contain_text("Add a privacy policy URL.")
    developer.get_by_role("link", name="Edit").click()
    developer.get_by_role("textbox", name="Privacy policy URL").fill("https://notes.example.com/privacy")
    developer.get_by_role("button", name="Save changes").click()
    app.refresh_from_db()
    assert app.review_status == "pending" and app.privacy_policy_url == "https://notes.example.com/privacy"

    # --- Staff, still on the page they loaded before the fix, press Approve: the app changed since, so the
    # decision is refused and the page shows the app as it is now; approving that works. ---
    page.get_by_role("button", name="Approve", exact=True).click()
    expect(page.get_by_test_id("error")).to_contain_text("The app changed while you were looking")
    expect(page.get_by_role("link", name="https://notes.example.com/privacy")).to_be_visible()
    app.refresh_from_db()
    assert app.review_status == "pending"
    page.get_by_role("button", name="Approve", exact=True).click()
    expect(page.get_by_test_id("review-status")).to_have_text("Approved")
    page.get_by_role("button", name="Mark trusted").click()
    expect(page.get_by_test_id("confirm-dialog")).to_contain_text("not shown a consent screen")
    page.get_by_test_id("confirm-dialog").get_by_role("button", name="Mark trusted").click()
    expect(page.get_by_test_id("trusted")).to_be_visible()
    app.refresh_from_db()
    assert app.is_approved and app.skip_authorization

    # --- An end user signs in to the app: no consent screen, straight back with a code. ---
    user = new_page(browser)
    user.route(
        "http://127.0.0.1:8765/**",
        lambda route: route.fulfill(status=200, content_type="text/html", body="<title>Callback</title>"),
    )
    oauth = OAuth2Session(
        client_id, secret, scope="openid read", redirect_uri=LOOPBACK_CALLBACK, code_challenge_method="S256"
    )
    verifier = secrets.token_urlsafe(48)
    url, _state = oauth.create_authorization_url(f"{base}/o/authorize/", code_verifier=verifier)
    # The app sends erin to the authorization URL; she signs in and lands straight back at the app.
    user.goto(url)
    user.get_by_placeholder("Username or email").fill("erin")
    user.get_by_label("Password:").fill(PASSWORD)
    user.get_by_role("button", name="Sign in", exact=True).click()
    user.wait_for_url(f"{LOOPBACK_CALLBACK}*")
    callback = user.url
    assert "code" in parse_qs(urlsplit(callback).query)
    token = oauth.fetch_token(f"{base}/o/token/", authorization_response=callback, code_verifier=verifier)
    bearer = {"Authorization": f"Bearer {token['access_token']}"}
    me = requests.get(f"{base}/api/me", headers=bearer, timeout=10)
    assert me.status_code == 200 and me.json()["username"] == "erin"

    # --- Staff suspend it: the user's token stops working at once, new tokens are refused. ---
    # The decisions come after what the developer entered; suspending is set apart as the dangerous one.
    details = page.get_by_role("heading", name="What the developer entered").bounding_box()
    decision = page.get_by_role("heading", name="Decision", exact=True).bounding_box()
    assert decision["y"] > details["y"]
    suspend = page.get_by_role("button", name="Suspend app")
    expect(suspend).to_have_class("danger")
    page.get_by_label("Why it is suspended").fill("Reports of phishing.")
    suspend.click()
    expect(page.get_by_test_id("review-status")).to_have_text("Suspended")
    assert requests.get(f"{base}/api/me", headers=bearer, timeout=10).status_code == 401
    refused = requests.post(
        f"{base}/o/token/",
        data={"grant_type": "refresh_token", "refresh_token": token["refresh_token"]},
        auth=(client_id, secret),
        timeout=10,
    )
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"

    # The developer sees why; every decision is in the audit log.
    developer.goto(f"{base}/developer/apps/{app.pk}/")
    expect(developer.get_by_test_id("review-reason")).to_contain_text("Reports of phishing.")
    actions = set(AuditEvent.objects.filter(application=app).values_list("action", flat=True))
    assert {"review.rejected", "review.approved", "review.trusted", "review.suspended"} <= actions
    page.goto(f"{base}/staff/audit/?application={app.pk}")
    expect(page.get_by_test_id("event-row").first).to_contain_text("App suspended")

    for other in (developer, user):
        other.context.close()
