"""Helpers for driving the portal over real HTTP (requests, Authlib) against pytest-django's live_server."""

from __future__ import annotations

import re
import secrets

import requests
from authlib.integrations.requests_client import OAuth2Session

from tests.helpers.constants import LOOPBACK_CALLBACK, PASSWORD


def csrf_of(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def sign_in(base_url: str, username: str) -> requests.Session:
    """Sign in through the real allauth form, as a browser would, and keep the session cookie."""
    browser = requests.Session()
    form = browser.get(f"{base_url}/accounts/login/").text
    csrf = csrf_of(form)
    response = browser.post(
        f"{base_url}/accounts/login/",
        data={"csrfmiddlewaretoken": csrf, "login": username, "password": PASSWORD},
        headers={"Referer": f"{base_url}/accounts/login/"},
        allow_redirects=False,
    )
    assert response.status_code == 302, "sign-in failed"
    return browser


def authorize(
    browser: requests.Session, oauth: OAuth2Session, base_url: str, verifier: str, nonce: str
) -> str:
    """Run the front channel and return the callback URL the browser was sent to."""
    url, _state = oauth.create_authorization_url(
        f"{base_url}/o/authorize/", code_verifier=verifier, nonce=nonce
    )
    response = browser.get(url, allow_redirects=False)
    assert response.status_code == 302, response.text[:500]
    return response.headers["Location"]


def tokens_for(base_url: str, app, secret: str, username: str, scope: str = "openid read"):
    """Sign `username` in and run the authorization code flow (PKCE) for a trusted `app`.

    Returns (signed-in browser session, Authlib session holding the token, token response)."""
    browser = sign_in(base_url, username)
    oauth = OAuth2Session(
        app.client_id, secret, scope=scope, redirect_uri=LOOPBACK_CALLBACK, code_challenge_method="S256"
    )
    verifier = secrets.token_urlsafe(48)
    callback = authorize(browser, oauth, base_url, verifier, secrets.token_urlsafe(16))
    token = oauth.fetch_token(f"{base_url}/o/token/", authorization_response=callback, code_verifier=verifier)
    return browser, oauth, token
