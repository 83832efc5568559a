"""Consent journeys in Chromium, with a real OAuth client (Authlib) on the other side.

The client's redirect URI is a loopback URL where nothing listens; Playwright answers it with a tiny page
and the test reads the code from the URL, as a native app would. Tokens are fetched and used over HTTP
against the live server.
"""

from __future__ import annotations

import re
import secrets
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from playwright.sync_api import Page, expect

from tests.helpers.constants import LOOPBACK_CALLBACK, PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _allow_plain_http_to_the_test_server(monkeypatch):
    # The live test server speaks http on 127.0.0.1; Authlib refuses that unless told it is a test.
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")


@pytest.fixture(autouse=True)
def _answer_the_callback(page: Page):
    page.route(
        f"{LOOPBACK_CALLBACK.rsplit('/', 1)[0]}/**",
        lambda route: route.fulfill(status=200, content_type="text/html", body="<title>Callback</title>"),
    )


class Client:
    """One OAuth client: builds authorization URLs with PKCE and exchanges codes, as a relying party does."""

    def __init__(self, base: str, app, secret: str):
        self.base = base
        self.session = OAuth2Session(
            app.client_id, secret, redirect_uri=LOOPBACK_CALLBACK, code_challenge_method="S256"
        )
        self.verifier = ""

    def start(self, page: Page, scope: str, **extra) -> None:
        self.verifier = secrets.token_urlsafe(48)
        self.session.scope = scope
        url, self.session.state = self.session.create_authorization_url(
            f"{self.base}/o/authorize/", code_verifier=self.verifier, nonce=secrets.token_urlsafe(8), **extra
        )
        page.goto(url)

    def callback(self, page: Page) -> str:
        page.wait_for_url(f"{LOOPBACK_CALLBACK}*")
        return page.url

    def token(self, page: Page) -> dict:
        return self.session.fetch_token(
            f"{self.base}/o/token/", authorization_response=self.callback(page), code_verifier=self.verifier
        )

    def api_me(self, token: dict) -> requests.Response:
        return requests.get(
            f"{self.base}/api/me", headers={"Authorization": f"Bearer {token['access_token']}"}, timeout=10
        )


@pytest.fixture
def oauth_client(live_server):
    made: list[Client] = []

    def make(app, secret) -> Client:
        made.append(Client(live_server.url, app, secret))
        return made[-1]

    yield make
    for client in made:
        client.session.close()


@pytest.fixture
def printer(alice, make_app):
    app, secret = make_app(alice, name="Photo Printer", skip_authorization=False)
    app.privacy_policy_url = "https://printer.example.com/privacy"
    app.save()
    return app, secret


def _sign_in(page: Page, username: str) -> None:
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.get_by_placeholder("Username or email").fill(username)
    page.get_by_label("Password:").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()


def _consent_screen(page: Page):
    screen = page.get_by_test_id("consent")
    expect(screen).to_be_visible()
    return screen


def test_consent_is_asked_once_and_remembered_on_the_next_sign_in(page: Page, erin, printer, oauth_client):
    client = oauth_client(*printer)
    client.start(page, "openid email read")
    _sign_in(page, "erin")
    screen = _consent_screen(page)
    expect(screen.get_by_role("heading", level=1)).to_have_text("Photo Printer wants to use your account")
    expect(screen.get_by_test_id("developer")).to_have_text("Alice Example")
    expect(screen.get_by_role("link", name="Privacy policy")).to_have_attribute(
        "href", "https://printer.example.com/privacy"
    )
    expect(screen.get_by_text("See your email address")).to_be_visible()
    expect(screen.get_by_test_id("redirect-host")).to_have_text("127.0.0.1:8765")
    screen.get_by_role("button", name="Allow").click()
    token = client.token(page)
    assert set(token["scope"].split()) == {"openid", "email", "read"}
    assert client.api_me(token).status_code == 200

    # Sign out of the portal; the next sign-in to the app goes straight back with a code.
    page.goto(f"{client.base}/")
    page.get_by_role("button", name="Sign out").click()
    client.start(page, "openid email read")
    _sign_in(page, "erin")
    token = client.token(page)
    assert set(token["scope"].split()) == {"openid", "email", "read"}


def test_a_new_scope_is_asked_for_on_its_own(page: Page, erin, printer, oauth_client):
    client = oauth_client(*printer)
    client.start(page, "openid read")
    _sign_in(page, "erin")
    _consent_screen(page).get_by_role("button", name="Allow").click()
    client.token(page)

    client.start(page, "openid read groups")
    screen = _consent_screen(page)
    choices = screen.get_by_role("group")
    expect(choices.get_by_role("checkbox")).to_have_count(1)
    expect(choices.get_by_label("See which groups you belong to")).to_be_checked()
    expect(screen.get_by_test_id("already-granted")).to_contain_text("You already allowed")
    screen.get_by_role("button", name="Allow").click()
    assert set(client.token(page)["scope"].split()) == {"openid", "read", "groups"}


def test_an_unticked_scope_is_not_in_the_token(page: Page, erin, printer, oauth_client):
    client = oauth_client(*printer)
    client.start(page, "openid email read")
    _sign_in(page, "erin")
    screen = _consent_screen(page)
    expect(screen.get_by_label("Sign you in with your account (OpenID Connect)")).to_be_disabled()
    screen.get_by_label("See your email address").uncheck()
    screen.get_by_role("button", name="Allow").click()
    token = client.token(page)
    assert set(token["scope"].split()) == {"openid", "read"}
    userinfo = client.session.get(f"{client.base}/o/userinfo/").json()
    assert userinfo["sub"] == str(erin.pk) and "email" not in userinfo


def test_a_trusted_app_signs_in_without_a_screen(page: Page, erin, alice, make_app, oauth_client):
    client = oauth_client(*make_app(alice, name="In-house", skip_authorization=True))
    client.start(page, "openid profile read")
    _sign_in(page, "erin")
    token = client.token(page)
    assert set(token["scope"].split()) == {"openid", "profile", "read"}
    assert client.api_me(token).json()["username"] == "erin"


def test_deny_returns_access_denied_to_the_client(page: Page, erin, printer, oauth_client):
    client = oauth_client(*printer)
    client.start(page, "openid read")
    _sign_in(page, "erin")
    _consent_screen(page).get_by_role("button", name="Deny").click()
    answer = parse_qs(urlsplit(client.callback(page)).query)
    assert answer["error"] == ["access_denied"]
    assert answer["state"] == [client.session.state] and "code" not in answer


def test_revoking_a_connected_app_makes_its_token_fail(page: Page, erin, printer, oauth_client):
    client = oauth_client(*printer)
    client.start(page, "openid email read")
    _sign_in(page, "erin")
    _consent_screen(page).get_by_role("button", name="Allow").click()
    token = client.token(page)
    assert client.api_me(token).status_code == 200

    page.goto(f"{client.base}/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Connected apps").click()
    row = page.get_by_test_id("connected-app")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Photo Printer")
    expect(row).to_contain_text("See your email address")
    row.get_by_role("button", name="Revoke access of Photo Printer").click()
    page.get_by_test_id("confirm-dialog").get_by_role("button", name="Revoke access").click()
    # htmx removed the row in place: no navigation, a status line instead.
    expect(page.get_by_role("status")).to_have_text("Photo Printer no longer has access to your account.")
    expect(page.get_by_test_id("connected-app")).to_have_count(0)
    expect(page.get_by_test_id("no-connected-apps")).to_be_visible()
    assert page.url.endswith("/accounts/connected-apps/")

    assert client.api_me(token).status_code == 401
    # And the app's next authorization request asks again.
    client.start(page, "openid email read")
    _consent_screen(page)
