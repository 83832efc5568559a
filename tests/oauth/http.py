"""Helpers for driving the portal over real HTTP (requests, Authlib) against pytest-django's live_server."""

from __future__ import annotations

import re

import requests
from authlib.integrations.requests_client import OAuth2Session

from tests.conftest import PASSWORD


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
