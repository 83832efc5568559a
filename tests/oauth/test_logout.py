"""RP-initiated logout (/o/logout/) over real HTTP (issue 9, finding 2): it ends only the person's own
session in this browser, after they confirm; no app loses a token; expired hints, unknown clients and
unregistered post-logout URIs are refused with a page, and the logout is audited."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests

from portal.audit.models import AuditEvent
from tests.helpers.oauth import csrf_of, tokens_for

SIGNED_OUT = "http://127.0.0.1:8765/signed-out"


@pytest.fixture(autouse=True)
def _allow_plain_http_to_the_test_server(monkeypatch):
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")


@pytest.fixture
def trusted_app(alice, make_app):
    app, secret = make_app(alice, name="Photo Printer", skip_authorization=True)
    app.post_logout_redirect_uris = SIGNED_OUT
    app.save()
    return app, secret


def _logout_url(base: str, **params: str) -> str:
    return f"{base}/o/logout/?{urlencode(params)}"


def _still_signed_in(browser: requests.Session, base: str) -> bool:
    response = browser.get(f"{base}/accounts/connected-apps/", allow_redirects=False)
    return response.status_code == 200


@pytest.mark.django_db(transaction=True)
def test_an_id_token_without_a_session_deletes_nothing(live_server, erin, trusted_app):
    base = live_server.url
    app, secret = trusted_app
    _browser, oauth, token = tokens_for(base, app, secret, "erin")

    # Someone who got hold of the ID token, with no cookies at all.
    stranger = requests.Session()
    response = stranger.get(_logout_url(base, id_token_hint=token["id_token"]), allow_redirects=False)
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/"

    assert oauth.get(f"{base}/api/me").status_code == 200
    assert oauth.refresh_token(f"{base}/o/token/", refresh_token=token["refresh_token"])["access_token"]
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.LOGOUT).exists()


@pytest.mark.django_db(transaction=True)
def test_logout_asks_then_ends_only_the_session_and_returns_to_the_app(live_server, erin, trusted_app):
    base = live_server.url
    app, secret = trusted_app
    browser, oauth, token = tokens_for(base, app, secret, "erin")
    url = _logout_url(base, id_token_hint=token["id_token"], post_logout_redirect_uri=SIGNED_OUT, state="s1")

    page = browser.get(url, allow_redirects=False)
    assert page.status_code == 200
    assert 'data-testid="logout-confirm"' in page.text and "Photo Printer" in page.text
    assert _still_signed_in(browser, base)  # a GET ends nothing

    form = {
        "csrfmiddlewaretoken": csrf_of(page.text),
        "id_token_hint": token["id_token"],
        "post_logout_redirect_uri": SIGNED_OUT,
        "state": "s1",
        "allow": "true",
    }
    forged = browser.post(url, data={k: v for k, v in form.items() if k != "csrfmiddlewaretoken"})
    assert forged.status_code == 403
    assert _still_signed_in(browser, base)

    response = browser.post(url, data=form, headers={"Referer": url}, allow_redirects=False)
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == SIGNED_OUT
    assert parse_qs(location.query)["state"] == ["s1"]
    assert not _still_signed_in(browser, base)

    # The app keeps its tokens: signing out of the portal is not taking access back.
    assert oauth.get(f"{base}/api/me").status_code == 200
    event = AuditEvent.objects.get(action=AuditEvent.Action.LOGOUT)
    assert event.actor == erin and event.application == app


@pytest.mark.django_db(transaction=True)
def test_staying_signed_in_changes_nothing(live_server, erin, trusted_app):
    base = live_server.url
    app, secret = trusted_app
    browser, _oauth, token = tokens_for(base, app, secret, "erin")
    url = _logout_url(base, id_token_hint=token["id_token"])
    page = browser.get(url)
    response = browser.post(
        url,
        data={"csrfmiddlewaretoken": csrf_of(page.text), "id_token_hint": token["id_token"]},
        headers={"Referer": url},
    )
    assert response.status_code == 400
    assert "You are still signed in" in response.text
    assert _still_signed_in(browser, base)
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.LOGOUT).exists()


@pytest.mark.django_db(transaction=True)
def test_an_expired_id_token_hint_is_refused(live_server, settings, erin, trusted_app):
    # ID tokens issued five minutes in the past: beyond any clock-skew leeway.
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "ID_TOKEN_EXPIRE_SECONDS": -300}
    base = live_server.url
    app, secret = trusted_app
    browser, oauth, token = tokens_for(base, app, secret, "erin")
    response = browser.get(
        _logout_url(base, id_token_hint=token["id_token"], post_logout_redirect_uri=SIGNED_OUT),
        allow_redirects=False,
    )
    assert response.status_code == 400
    assert 'data-testid="logout-error"' in response.text
    assert _still_signed_in(browser, base)


@pytest.mark.django_db(transaction=True)
def test_refused_requests_are_pages_not_redirects(live_server, alice, erin, trusted_app, make_app):
    base = live_server.url
    app, secret = trusted_app
    browser, _oauth, token = tokens_for(base, app, secret, "erin")
    other, _ = make_app(alice, name="Other App")
    other.post_logout_redirect_uris = "http://127.0.0.1:8765/other"
    other.save()
    hint = token["id_token"]
    cases = [
        # An unknown client (DOT: a 500).
        {"client_id": "no-such-client"},
        # A redirect URI the hint's app did not register, or that another app registered.
        {"id_token_hint": hint, "post_logout_redirect_uri": "https://evil.example/"},
        {"id_token_hint": hint, "post_logout_redirect_uri": "http://127.0.0.1:8765/other"},
        # A redirect without a hint naming the app, even with the app's own client_id.
        {"client_id": app.client_id, "post_logout_redirect_uri": SIGNED_OUT},
        # A hint and a client_id that disagree.
        {"id_token_hint": hint, "client_id": other.client_id},
        # Not an ID token at all.
        {"id_token_hint": "not-a-jwt"},
    ]
    for params in cases:
        response = browser.get(_logout_url(base, **params), allow_redirects=False)
        assert response.status_code == 400, params
        assert 'data-testid="logout-error"' in response.text, params
        assert "Location" not in response.headers
    # A NUL byte never reaches the view (portal/request_guard.py): a plain 400, nothing else happens.
    response = browser.get(_logout_url(base, client_id="a\x00b"), allow_redirects=False)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert "NUL byte" in response.json()["error_description"]
    assert _still_signed_in(browser, base)
