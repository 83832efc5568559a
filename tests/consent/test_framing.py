"""The sign-in, consent and connected-apps pages cannot be framed (RFC 9700 4.16: clickjacking)."""

from __future__ import annotations

import pytest

from tests.helpers.consent import authorization_request

pytestmark = pytest.mark.django_db


def _assert_unframeable(response):
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_the_consent_screen_cannot_be_framed(client, erin, consent_app):
    app, _secret = consent_app
    client.force_login(erin)
    response = client.get(authorization_request(app).url)
    assert response.status_code == 200 and "consent-form" in response.content.decode()
    _assert_unframeable(response)


def test_the_authorization_error_page_cannot_be_framed(client, consent_app):
    app, _secret = consent_app
    response = client.get(authorization_request(app).url.replace(app.client_id, "unknown"))
    assert response.status_code == 400
    _assert_unframeable(response)


def test_the_authorization_redirects_cannot_be_framed(client, consent_app):
    app, _secret = consent_app
    response = client.get(authorization_request(app).url)
    assert response.status_code == 302
    _assert_unframeable(response)


@pytest.mark.parametrize("path", ["/accounts/login/", "/accounts/signup/"])
def test_the_sign_in_pages_cannot_be_framed(client, path):
    response = client.get(path)
    assert response.status_code == 200
    _assert_unframeable(response)


def test_connected_apps_cannot_be_framed(client, erin):
    client.force_login(erin)
    _assert_unframeable(client.get("/accounts/connected-apps/"))
