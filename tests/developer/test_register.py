"""Registering an app: terms first, every field validated, the secret shown once and stored hashed."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.hashers import check_password
from oauth2_provider.models import get_application_model

from portal.audit.models import AuditEvent
from portal.terms.models import TermsAcceptance, TermsVersion
from tests.helpers.developer import registration

Application = get_application_model()


def _secret_in(html: str) -> str:
    return re.search(r'data-testid="client-secret"', html) and re.search(
        r'id="client-secret" value="([^"]+)"', html
    ).group(1)


@pytest.mark.django_db
def test_terms_must_be_accepted_before_registering(client, alice):
    client.force_login(alice)
    response = client.get("/developer/apps/new/")
    assert response.status_code == 302
    assert response["Location"].startswith("/developer/terms/")

    refused = client.post("/developer/terms/", {"next": "/developer/apps/new/"})
    assert b"Tick the box" in refused.content
    assert not TermsAcceptance.objects.exists()

    accepted = client.post(
        "/developer/terms/", {"accept": "yes", "next": "/developer/apps/new/"}, REMOTE_ADDR="198.51.100.4"
    )
    assert accepted["Location"] == "/developer/apps/new/"
    acceptance = TermsAcceptance.objects.get(user=alice)
    assert acceptance.version.version == "1" and acceptance.ip_address == "198.51.100.4"
    assert AuditEvent.objects.filter(action="terms.accepted", actor=alice).exists()
    assert client.get("/developer/apps/new/").status_code == 200


@pytest.mark.django_db
def test_a_new_terms_version_must_be_accepted_but_existing_apps_keep_working(client, developer, make_app):
    app, _secret = make_app(developer)
    TermsVersion.objects.create(version="2", body="New rules.")
    assert client.get("/developer/apps/new/").status_code == 302
    assert client.get(f"/developer/apps/{app.pk}/edit/").status_code == 302
    assert client.get(f"/developer/apps/{app.pk}/").status_code == 200
    assert b"New developer terms (version 2)" in client.get("/developer/").content
    app.refresh_from_db()
    assert app.is_usable(None)


@pytest.mark.django_db
def test_terms_redirect_never_leaves_the_site(client, alice):
    client.force_login(alice)
    response = client.post("/developer/terms/", {"accept": "yes", "next": "https://evil.example/"})
    assert response["Location"] == "/developer/"


@pytest.mark.django_db
def test_registering_shows_the_secret_once_and_stores_a_hash(client, developer):
    posted = client.post(
        "/developer/apps/new/", registration(grant_types=["authorization-code", "client-credentials"])
    )
    # POST, redirect, GET: a reload of the page cannot register the app twice.
    assert posted.status_code == 302 and posted["Location"].endswith("?created=1")
    response = client.get(posted["Location"])
    assert "no-store" in response["Cache-Control"]
    assert "waits for staff review" in response.content.decode()
    secret = _secret_in(response.content.decode())
    assert secret not in posted["Location"]
    app = Application.objects.get()
    assert app.review_status == "pending" and app.submitted_at is not None
    assert app.user == developer
    assert app.grant_types == ["authorization-code", "client-credentials"]
    assert secret not in app.client_secret and check_password(secret, app.client_secret)
    assert app.secrets.get().last_four == secret[-4:]
    event = AuditEvent.objects.get(action="app.created")
    assert event.application == app and event.changes["name"] == [None, "Alice's Photo App"]
    assert secret not in str(event.changes)

    # Shown once: the next visit shows only the last four characters.
    detail = client.get(f"/developer/apps/{app.pk}/").content.decode()
    assert secret not in detail and f"…{secret[-4:]}" in detail
    assert "Waiting for staff review" in detail


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("http://photos.example.com/callback", "only https is allowed, except http on 127.0.0.1"),
        ("https://photos.example.com/cb#section", "has a fragment"),
        ("https://user:pass@photos.example.com/cb", "contains user credentials"),
        ("https://*.example.com/cb", "contains a wildcard"),
        ("photos:/cb", "private-use scheme"),
        ("javascript:alert(document.cookie)", "uses the scheme &#x27;javascript:&#x27;"),
        ("//photos.example.com/cb", "has no scheme"),
    ],
)
def test_each_redirect_uri_rule_names_the_uri_and_stores_nothing(client, developer, uri, message):
    response = client.post(
        "/developer/apps/new/", registration(redirect_uris=f"https://ok.example/cb\n{uri}")
    )
    html = response.content.decode()
    assert response.status_code == 200
    errors = re.findall(r'class="field-error" role="alert">([^<]*)<', html)
    assert len(errors) == 1 and message in errors[0]
    assert errors[0].startswith(uri[:15].replace("'", "&#x27;"))
    assert not Application.objects.exists()


@pytest.mark.django_db
def test_loopback_and_native_redirects_are_accepted(client, developer):
    uris = "http://127.0.0.1/cb\nhttp://[::1]:3000/cb\nhttp://localhost:8080/cb\ncom.example.photos:/oauth2"
    client.post("/developer/apps/new/", registration(redirect_uris=uris, client_type="public"))
    assert Application.objects.get().redirect_uris.split() == uris.split()


@pytest.mark.django_db
def test_deprecated_grants_are_not_offered_and_refused(client, developer):
    page = client.get("/developer/apps/new/").content.decode()
    assert 'value="password"' not in page and 'value="implicit"' not in page
    assert "RFC 9700" in page
    response = client.post("/developer/apps/new/", registration(grant_types=["password"]))
    assert b"Select a valid choice. password is not one of the available choices." in response.content
    assert not Application.objects.exists()


@pytest.mark.django_db
def test_a_deprecated_grant_staff_allowed_is_offered_on_edit(client, developer, make_app):
    app, _secret = make_app(developer)
    app.staff_allowed_grants = ["password"]
    app.save()
    assert 'value="password"' in client.get(f"/developer/apps/{app.pk}/edit/").content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("missing", ["name", "grant_types"])
def test_required_fields(client, developer, missing):
    data = registration()
    data.pop(missing)
    response = client.post("/developer/apps/new/", data)
    assert b"This field is required." in response.content
    assert not Application.objects.exists()


@pytest.mark.django_db
def test_authorization_code_without_redirect_uri_is_refused(client, developer):
    response = client.post("/developer/apps/new/", registration(redirect_uris=""))
    assert b"Add at least one redirect URI" in response.content
    client.post("/developer/apps/new/", registration(redirect_uris="", grant_types=["client-credentials"]))
    assert Application.objects.get().grant_types == ["client-credentials"]


@pytest.mark.django_db
def test_oversized_and_hostile_text_is_refused_cleanly(client, developer):
    response = client.post(
        "/developer/apps/new/",
        registration(name="x" * 5000, homepage_url="javascript:alert(1)", description="\x00 nul"),
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Ensure this value has at most 100 characters" in html
    assert "Enter a valid URL." in html
    assert not Application.objects.exists()


@pytest.mark.django_db
def test_the_reveal_cookie_cannot_show_a_secret_on_another_page(client, developer, make_app):
    other, _secret = make_app(developer, name="Other")
    posted = client.post("/developer/apps/new/", registration())
    app = Application.objects.exclude(pk=other.pk).get()
    cookie = posted.cookies["portal_new_secret"]
    assert (
        cookie["httponly"]
        and cookie["samesite"] == "Strict"
        and cookie["path"] == f"/developer/apps/{app.pk}/"
    )
    # Replayed against another app's page, the signed value is refused.
    client.cookies["portal_new_secret"] = cookie.value
    client.cookies["portal_new_secret"]["path"] = f"/developer/apps/{other.pk}/"
    assert 'data-testid="client-secret"' not in client.get(f"/developer/apps/{other.pk}/").content.decode()
