"""A developer's whole journey in Chromium, with a real OAuth client on the other side: accept the terms,
register an app with a logo, copy the secret, edit the redirect URIs, rotate the secret, see the token a
real client obtained (after staff approval), revoke it, and watch the client's next API call fail."""

from __future__ import annotations

import io
import re
import secrets

import pytest
from authlib.integrations.requests_client import OAuth2Session
from oauth2_provider.models import get_application_model
from PIL import Image
from playwright.sync_api import Page, expect

from tests.helpers.constants import LOOPBACK_CALLBACK, PASSWORD
from tests.helpers.oauth import authorize, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _logo_file(tmp_path) -> str:
    path = tmp_path / "photo-app-logo.png"
    buffer = io.BytesIO()
    Image.new("RGB", (512, 384), (30, 120, 200)).save(buffer, format="PNG")
    path.write_bytes(buffer.getvalue())
    return str(path)


def _copy_secret(page: Page) -> str:
    shown = page.get_by_test_id("client-secret").input_value()
    page.get_by_role("button", name="Copy", exact=True).click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == shown
    return shown


def test_register_rotate_and_revoke(
    live_server, page: Page, alice, erin, current_terms, monkeypatch, tmp_path
):
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")
    base = live_server.url
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)

    page.goto(f"{base}/accounts/login/")
    page.get_by_placeholder("Username or email").fill("alice")
    page.get_by_label("Password:").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_role("link", name="Developer console").click()
    expect(page.get_by_role("heading", name="No apps yet")).to_be_visible()

    # The terms come first.
    page.get_by_role("link", name="Register your first app").click()
    expect(page).to_have_url(re.compile(r"/developer/terms/"))
    page.get_by_label("I accept the developer terms").check()
    page.get_by_role("button", name="Accept and continue").click()

    expect(page.get_by_role("heading", name="Register an app")).to_be_visible()
    page.get_by_role("textbox", name="Name", exact=True).fill("Photo Printer")
    page.get_by_label("Description").fill("Prints the photos you choose.")
    page.get_by_label("Homepage URL").fill("https://photos.example.com")
    page.get_by_label("Client credentials").check()
    page.get_by_label("Redirect URIs", exact=True).fill("https://photos.example.com/callback")
    page.get_by_label("Logo", exact=True).set_input_files(_logo_file(tmp_path))
    page.get_by_role("button", name="Register app").click()

    expect(page.get_by_test_id("review-status")).to_have_text("Pending review")
    first_secret = _copy_secret(page)
    client_id = page.get_by_test_id("client-id").input_value()
    expect(page.locator("img.app-logo")).to_be_visible()

    # Reloading shows the last four characters, never the secret again.
    page.reload()
    expect(page.get_by_test_id("client-secret")).to_have_count(0)
    expect(page.get_by_test_id("secret-row")).to_contain_text(f"…{first_secret[-4:]}")

    page.get_by_role("link", name="Edit").click()
    page.get_by_label("Redirect URIs", exact=True).fill(LOOPBACK_CALLBACK)
    page.get_by_role("button", name="Save changes").click()
    # New redirect URIs: the portal asks for the password again, then saves what was typed.
    expect(page).to_have_url(re.compile(r"/accounts/reauthenticate/\?next="))
    page.get_by_label("Password:").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_test_id("redirect-uris")).to_have_text(LOOPBACK_CALLBACK)

    page.get_by_label("Keep the current secret working for").select_option("3600")
    page.get_by_role("button", name="Rotate secret").click()
    new_secret = _copy_secret(page)
    assert new_secret != first_secret
    expect(page.get_by_test_id("secret-row")).to_have_count(2)

    # Staff approve and trust the app (the staff pages have their own journey).
    get_application_model().objects.filter(client_id=client_id).update(
        review_status="approved", skip_authorization=True
    )

    # A real OAuth client signs erin in and calls the API with its token.
    erins_browser = sign_in(base, "erin")
    oauth = OAuth2Session(
        client_id, new_secret, scope="read", redirect_uri=LOOPBACK_CALLBACK, code_challenge_method="S256"
    )
    verifier = secrets.token_urlsafe(48)
    callback = authorize(erins_browser, oauth, base, verifier, secrets.token_urlsafe(8))
    oauth.fetch_token(f"{base}/o/token/", authorization_response=callback, code_verifier=verifier)
    assert oauth.get(f"{base}/api/me").json()["username"] == "erin"

    page.reload()  # the token count sits outside the fragment htmx swapped; a reload is a plain GET now
    page.get_by_role("link", name=re.compile(r"Active tokens \(1\)")).click()
    row = page.get_by_test_id("token-row")
    expect(row).to_contain_text("erin")
    expect(row).to_contain_text("read")
    row.get_by_role("button", name="Revoke").click()
    dialog = page.get_by_test_id("confirm-dialog")
    expect(dialog).to_contain_text("and its refresh token stop working at once")
    dialog.get_by_role("button", name="Revoke the token").click()
    expect(page.get_by_test_id("token-row")).to_have_count(0)

    assert oauth.get(f"{base}/api/me").status_code == 401

    # Deleting asks for the app's name; a wrong one changes nothing.
    page.get_by_role("link", name="← Photo Printer").click()
    page.get_by_role("link", name="Delete app…").click()
    page.get_by_label("Type the app's name to confirm").fill("photo printer")
    page.get_by_role("button", name="Delete the app").click()
    expect(page.get_by_role("alert")).to_contain_text("That is not the app's name")
    page.get_by_label("Type the app's name to confirm").fill("Photo Printer")
    page.get_by_role("button", name="Delete the app").click()
    expect(page.get_by_text("Photo Printer was deleted with its tokens, secrets and logo.")).to_be_visible()
    expect(page.get_by_role("heading", name="No apps yet")).to_be_visible()
    assert not get_application_model().objects.filter(client_id=client_id).exists()
    erins_browser.close()
    oauth.close()
