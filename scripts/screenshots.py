"""Retake the README's screenshots (docs/screenshots/) from a running portal with the demo data.

make run                      # in one terminal
.venv/bin/python scripts/screenshots.py [--base-url http://127.0.0.1:8000]
"""

from __future__ import annotations

import argparse
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

# The consent screen of seed_demo's approved, untrusted app (PKCE S256 with a fixed, throwaway challenge).
CONSENT_URL = (
    "/o/authorize/?response_type=code&client_id=demo-consent-app"
    "&redirect_uri=http%3A%2F%2F127.0.0.1%3A8765%2Fcallback&scope=openid+profile+email+read&state=screenshot"
    "&code_challenge_method=S256&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
)

# file name, path, demo user to sign in as (None: signed out), links to follow from there
PAGES = [
    ("home", "/", None, []),
    ("sign-in", "/accounts/login/", None, []),
    ("developer-apps", "/developer/", "alice", []),
    ("developer-app-detail", "/developer/", "alice", ["Alice's Demo App (trusted)"]),
    ("developer-app-edit", "/developer/", "alice", ["Alice's Demo App (trusted)", "Edit"]),
    ("developer-register", "/developer/apps/new/", "alice", []),
    ("staff-queue", "/staff/", "staff", []),
    ("staff-review", "/staff/", "staff", ["Alice's Second App (pending review)"]),
    ("staff-audit-log", "/staff/audit/", "staff", []),
    ("consent", CONSENT_URL, "erin", []),
    ("connected-apps", "/accounts/connected-apps/", "erin", []),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    base = parser.parse_args().base_url.rstrip("/")
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        for name, path, username, links in PAGES:
            context = browser.new_context(viewport={"width": 1200, "height": 800})
            page = context.new_page()
            if username:
                page.goto(f"{base}/accounts/login/")
                page.get_by_placeholder("Username or email").fill(username)
                page.get_by_label("Password:").fill(DEMO_PASSWORD)
                page.get_by_role("button", name="Sign In").click()
            page.goto(f"{base}{path}")
            for link in links:
                page.get_by_role("link", name=link, exact=True).first.click()
            page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)
            context.close()
            print(f"docs/screenshots/{name}.png  {path}")
        browser.close()


if __name__ == "__main__":
    main()
