"""prompt=login and max_age over real HTTP: the person types their password again, and a link on another
site can no longer sign them out (issue 9, finding 6)."""

from __future__ import annotations

import secrets
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
from authlib.integrations.requests_client import OAuth2Session

from tests.helpers.constants import LOOPBACK_CALLBACK, PASSWORD
from tests.helpers.oauth import csrf_of, sign_in


@pytest.fixture(autouse=True)
def _allow_plain_http_to_the_test_server(monkeypatch):
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("extra", [{"prompt": "login"}, {"max_age": "0"}])
def test_reauthentication_keeps_the_session_and_returns_to_the_request(
    live_server, alice, erin, make_app, extra
):
    base = live_server.url
    app, secret = make_app(alice, skip_authorization=True)
    browser = sign_in(base, "erin")
    oauth = OAuth2Session(
        app.client_id,
        secret,
        scope="openid read",
        redirect_uri=LOOPBACK_CALLBACK,
        code_challenge_method="S256",
    )
    verifier = secrets.token_urlsafe(48)
    url, _state = oauth.create_authorization_url(f"{base}/o/authorize/", code_verifier=verifier, **extra)

    # A cross-site GET (no Referer, no Origin): the person is asked for the password...
    response = browser.get(url, allow_redirects=False)
    assert response.status_code == 302
    reauthenticate = urljoin(base, response.headers["Location"])
    assert urlsplit(reauthenticate).path == "/accounts/reauthenticate/"
    # ...and is still signed in meanwhile.
    assert browser.get(f"{base}/accounts/connected-apps/", allow_redirects=False).status_code == 200

    page = browser.get(reauthenticate)
    assert page.status_code == 200
    back = browser.post(
        reauthenticate,
        data={"csrfmiddlewaretoken": csrf_of(page.text), "password": PASSWORD},
        headers={"Referer": reauthenticate},
        allow_redirects=False,
    )
    assert back.status_code == 302
    assert urlsplit(back.headers["Location"]).path == "/o/authorize/"
    callback = browser.get(urljoin(base, back.headers["Location"]), allow_redirects=False)
    assert callback.status_code == 302
    assert callback.headers["Location"].startswith(LOOPBACK_CALLBACK)
    assert "code" in parse_qs(urlsplit(callback.headers["Location"]).query)
    token = oauth.fetch_token(
        f"{base}/o/token/", authorization_response=callback.headers["Location"], code_verifier=verifier
    )
    assert oauth.get(f"{base}/api/me").json()["username"] == "erin"
    assert "id_token" in token


@pytest.mark.django_db(transaction=True)
def test_a_wrong_password_on_reauthentication_issues_nothing(live_server, alice, erin, make_app):
    base = live_server.url
    app, secret = make_app(alice, skip_authorization=True)
    browser = sign_in(base, "erin")
    oauth = OAuth2Session(
        app.client_id, secret, scope="read", redirect_uri=LOOPBACK_CALLBACK, code_challenge_method="S256"
    )
    url, _state = oauth.create_authorization_url(
        f"{base}/o/authorize/", code_verifier=secrets.token_urlsafe(48), prompt="login"
    )
    reauthenticate = urljoin(base, browser.get(url, allow_redirects=False).headers["Location"])
    page = browser.get(reauthenticate)
    wrong = browser.post(
        reauthenticate,
        data={"csrfmiddlewaretoken": csrf_of(page.text), "password": "not-my-password"},
        headers={"Referer": reauthenticate},
        allow_redirects=False,
    )
    assert wrong.status_code == 200  # the form again, with an error
    assert "code=" not in wrong.text
