"""Retake the README's screenshots (docs/screenshots/) from a running portal with the demo data.

make run                      # in one terminal
.venv/bin/python scripts/screenshots.py [--base-url http://127.0.0.1:8000] [--staff-totp-secret BASE32]

The staff pages need a second factor: give the base32 secret of an authenticator app set up for the demo
`staff` user (at /accounts/2fa/), and the script types its current code when the sign-in asks for one.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import struct
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
DEMO_PASSWORD = "portal-demo-2026"  # noqa: S105 - the demo accounts seed_demo prints
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]

# The consent screen of seed_demo's approved, untrusted app (PKCE S256 with a fixed, throwaway challenge;
# prompt=consent shows it even after erin allowed the app on an earlier run).
CONSENT_URL = (
    "/o/authorize/?response_type=code&client_id=demo-consent-app"
    "&redirect_uri=http%3A%2F%2F127.0.0.1%3A8765%2Fcallback&scope=openid+profile+email+read&state=screenshot"
    "&code_challenge_method=S256&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&prompt=consent"
)

LAPTOP = {"width": 1200, "height": 800}
PHONE = {"width": 390, "height": 844}

# file name, path, demo user to sign in as (None: signed out), links to follow from there, viewport
PAGES = [
    ("home", "/", None, [], LAPTOP),
    ("sign-in", "/accounts/login/", None, [], LAPTOP),
    ("developer-apps", "/developer/", "alice", [], LAPTOP),
    ("developer-app-detail", "/developer/", "alice", ["Alice's Demo App (trusted)"], LAPTOP),
    ("developer-app-edit", "/developer/", "alice", ["Alice's Demo App (trusted)", "Edit"], LAPTOP),
    ("developer-register", "/developer/apps/new/", "alice", [], LAPTOP),
    ("developer-teams", "/developer/teams/", "alice", [], LAPTOP),
    ("staff-queue", "/staff/queue/", "staff", [], LAPTOP),
    ("staff-review", "/staff/queue/", "staff", ["Alice's Second App (pending review)"], LAPTOP),
    ("staff-audit-log", "/staff/audit/", "staff", [], LAPTOP),
    ("staff-dashboard", "/staff/", "staff", [], LAPTOP),
    (
        "developer-app-usage",
        "/developer/",
        "alice",
        ["Alice's Demo App (trusted)", "Usage and errors"],
        LAPTOP,
    ),
    ("consent", CONSENT_URL, "erin", [], LAPTOP),
    ("phone-consent", CONSENT_URL, "erin", [], PHONE),
    ("connected-apps", "/accounts/connected-apps/", "erin", [], LAPTOP),
    ("phone-developer-apps", "/developer/", "alice", [], PHONE),
    ("phone-developer-app-detail", "/developer/", "alice", ["Alice's Demo App (trusted)"], PHONE),
    ("phone-staff-queue", "/staff/queue/", "staff", [], PHONE),
    ("phone-connected-apps", "/accounts/connected-apps/", "erin", [], PHONE),
]


def totp(secret: str) -> str:
    """The current six-digit code of an authenticator app (RFC 6238: SHA-1, 30 seconds)."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", int(time.time()) // 30), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return f"{(struct.unpack('>I', digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"


_used_codes: set[str] = set()


def sign_in(page, base: str, username: str, totp_secret: str = "") -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_placeholder("Username or email").fill(username)
    page.get_by_label("Password:").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    if totp_secret and "/2fa/authenticate" in page.url:
        # allauth refuses a code used before (replay protection): wait for the next 30-second code.
        while totp(totp_secret) in _used_codes:
            time.sleep(1)
        _used_codes.add(totp(totp_secret))
        page.get_by_label("Code").fill(totp(totp_secret))
        page.get_by_role("button", name="Sign In", exact=True).click()
    page.get_by_test_id("signed-in-as").wait_for()


def allow_consent_app(browser, base: str) -> None:
    """erin allows the consent app once, so connected apps lists it (the redirect to the demo callback
    fails: nothing listens there, and nothing needs to)."""
    context = browser.new_context(viewport=LAPTOP)
    page = context.new_page()
    sign_in(page, base, "erin")
    page.goto(f"{base}{CONSENT_URL}")
    allow = page.get_by_role("button", name="Allow")
    if allow.count():
        page.route("http://127.0.0.1:8765/**", lambda route: route.fulfill(body="Signed in."))
        allow.click()
        page.wait_for_url("http://127.0.0.1:8765/**")
    context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument(
        "--staff-totp-secret", default="", help="base32 secret of the staff user's authenticator"
    )
    parser.add_argument("--only", nargs="*", default=[], help="retake only these screenshots (file names)")
    arguments = parser.parse_args()
    base = arguments.base_url.rstrip("/")
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        for name, path, username, links, viewport in PAGES:
            if arguments.only and name not in arguments.only:
                continue
            if name == "connected-apps":
                allow_consent_app(browser, base)
            context = browser.new_context(viewport=viewport)
            page = context.new_page()
            if username:
                sign_in(page, base, username, arguments.staff_totp_secret if username == "staff" else "")
            page.goto(f"{base}{path}")
            for link in links:
                page.get_by_role("link", name=link, exact=True).first.click()
            page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)
            context.close()
            print(f"docs/screenshots/{name}.png  {path}")
        browser.close()


if __name__ == "__main__":
    main()
