"""Signing up and signing in: where people land, which app is asking, and sentence case."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.conftest import PASSWORD
from tests.consent.conftest import authorization_request

pytestmark = pytest.mark.django_db


def test_a_new_account_lands_in_the_developer_console_with_a_next_step(client, current_terms):
    response = client.post(
        "/accounts/signup/",
        {"email": "new@example.com", "username": "newdev", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302 and response["Location"] == "/developer/"
    html = client.get("/developer/").content.decode()
    assert "Register your first app" in html and "keep working" not in html


def test_the_sign_in_page_says_which_app_is_asking(client, alice, make_app):
    app, _secret = make_app(alice, name="Alice's Photo Printer", skip_authorization=False)
    next_url = authorization_request(app).url
    html = client.get(f"/accounts/login/?next={quote(next_url)}").content.decode()
    assert 'Sign in <span class="entrance-app">to continue to Alice&#x27;s Photo Printer</span>' in html
    assert "Sign In" not in html  # the portal's sentence case, not allauth's title case
    # A pending app's name is not put in front of people, nor is anything outside the authorize URL.
    pending, _ = make_app(alice, name="Unreviewed", review_status="pending", skip_authorization=False)
    pending_next = quote(authorization_request(pending).url)
    assert "continue to" not in client.get(f"/accounts/login/?next={pending_next}").content.decode()
    assert "continue to" not in client.get("/accounts/login/?next=/developer/").content.decode()


def test_signing_in_adds_no_success_notice(client, erin):
    response = client.post("/accounts/login/", {"login": "erin", "password": PASSWORD}, follow=True)
    html = response.content.decode()
    assert 'data-testid="welcome"' in html and "Successfully signed in" not in html


def test_a_short_password_is_said_once_in_a_styled_error(client):
    response = client.post(
        "/accounts/signup/",
        {"email": "s@example.com", "username": "short", "password1": "short", "password2": "short"},
    )
    html = response.content.decode()
    assert html.count("This password is too short") == 1
    assert 'class="field-error" id="id_password1_error" role="alert"' in html
