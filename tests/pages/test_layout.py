from __future__ import annotations

import re

import pytest
from django.db import OperationalError, connection

from tests.helpers.accounts import sign_in_with_second_factor


@pytest.mark.django_db
def test_home_page_tells_a_newcomer_what_the_portal_is(client):
    page = client.get("/").content.decode()
    assert "Developers" in page and "People who sign in" in page and "Staff" in page
    assert "/o/.well-known/openid-configuration" in page
    assert 'href="/accounts/signup/"' in page


@pytest.mark.django_db
def test_every_htmx_request_carries_the_csrf_token(client, erin):
    client.force_login(erin)
    page = client.get("/").content.decode()
    match = re.search(r"<body hx-headers='\{\"X-CSRFToken\": \"([^\"]+)\"\}'>", page)
    assert match and len(match.group(1)) >= 32
    assert "/static/vendor/htmx-2.0.11/htmx.min.js" in page


@pytest.mark.django_db
def test_assets_are_served_from_our_own_origin(client):
    page = client.get("/").content.decode()
    assert not re.search(r"(src|href)=\"https?://", page.split("<footer")[0])


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/o/authorize/"])
def test_pages_cannot_be_framed(client, path):
    response = client.get(path)
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


@pytest.mark.django_db
def test_navigation_shows_staff_links_only_to_staff(client, erin, sam):
    client.force_login(erin)
    assert "/admin/" not in client.get("/").content.decode()
    sign_in_with_second_factor(client, sam)
    assert 'href="/admin/"' in client.get("/").content.decode()


@pytest.mark.django_db
def test_the_account_name_leads_to_the_account_security_pages(client, erin):
    client.force_login(erin)
    page = client.get("/developer/").content.decode()
    assert re.search(r'<a href="/accounts/2fa/"[^>]*data-testid="signed-in-as"[^>]*>erin</a>', page)
    security = client.get("/accounts/2fa/").content.decode()
    assert 'href="/accounts/sessions/"' in security and 'href="/accounts/password/change/"' in security


@pytest.mark.django_db
def test_sign_out_is_a_post_form(client, erin):
    client.force_login(erin)
    page = client.get("/").content.decode()
    assert re.search(r'<form method="post" action="/accounts/logout/"', page)


@pytest.mark.django_db
def test_healthz_answers_for_any_host_without_redirecting(client, settings):
    settings.ALLOWED_HOSTS = ["portal.example.com"]
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/healthz", HTTP_HOST="10.0.0.7:8000")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_other_pages_still_refuse_unknown_hosts(client, settings):
    settings.ALLOWED_HOSTS = ["portal.example.com"]
    assert client.get("/", HTTP_HOST="10.0.0.7:8000").status_code == 400


@pytest.mark.django_db
def test_healthz_is_503_when_the_database_does_not_answer(client, monkeypatch):
    def broken_cursor(*args, **kwargs):
        raise OperationalError("database is down")

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"
