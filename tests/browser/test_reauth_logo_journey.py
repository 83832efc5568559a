"""In Chromium: an edit that changes the redirect URIs and uploads a logo asks for the password again, and
after it both the URIs and the logo are saved (allauth replays fields; portal/reauth.py keeps the file)."""

from __future__ import annotations

import io
import re

import pytest
from django.core.files.storage import default_storage
from PIL import Image
from playwright.sync_api import Page, expect

from portal.terms.services import terms_accept
from tests.helpers.accounts import browser_sign_in
from tests.helpers.constants import LOOPBACK_CALLBACK, PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_a_logo_chosen_before_re_authentication_is_saved_after_it(
    live_server, page: Page, alice, current_terms, make_app, tmp_path
):
    terms_accept(user=alice, version=current_terms, request=None)
    app, _secret = make_app(alice, review_status="pending", skip_authorization=False)
    logo = tmp_path / "new-logo.png"
    buffer = io.BytesIO()
    Image.new("RGB", (400, 400), (20, 160, 90)).save(buffer, format="PNG")
    logo.write_bytes(buffer.getvalue())
    base = live_server.url

    browser_sign_in(page, base, "alice", PASSWORD)
    page.goto(f"{base}/developer/apps/{app.pk}/edit/")
    page.get_by_label("Redirect URIs", exact=True).fill(f"{LOOPBACK_CALLBACK}\nhttps://photos.example.com/cb")
    page.get_by_label("Logo", exact=True).set_input_files(str(logo))
    page.get_by_role("button", name="Save changes").click()

    expect(page).to_have_url(re.compile(r"/accounts/reauthenticate/\?next="))
    page.get_by_label("Password:").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()

    expect(page).to_have_url(f"{base}/developer/apps/{app.pk}/")
    expect(page.get_by_text("Saved.")).to_be_visible()
    expect(page.get_by_test_id("redirect-uris")).to_contain_text("https://photos.example.com/cb")
    expect(page.locator("img.app-logo")).to_be_visible()
    app.refresh_from_db()
    with default_storage.open(app.logo.name) as stored:
        image = Image.open(io.BytesIO(stored.read()))
        assert image.size == (256, 256)
        assert image.convert("RGB").getpixel((128, 128)) == (20, 160, 90)
    kept = tmp_path / "media" / "reauth-kept"
    assert list(kept.iterdir()) == [], "the copy kept during re-authentication is deleted"
