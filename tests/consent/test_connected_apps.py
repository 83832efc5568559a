"""Connected apps: a person sees the apps that hold access to their account and takes it back."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from oauth2_provider.models import (
    get_access_token_model,
    get_grant_model,
    get_id_token_model,
    get_refresh_token_model,
)

from portal.audit.models import AuditEvent
from portal.consent.models import Consent
from tests.helpers.consent import authorization_request, callback_params, consent_form_data, exchange

pytestmark = pytest.mark.django_db


def _connect(client, user, app, secret, scope="openid email read") -> dict:
    """Sign `user` in to `app` (consenting when asked) and return the token response."""
    client.force_login(user)
    request = authorization_request(app, scope=scope)
    response = client.get(request.url)
    if response.status_code == 200:
        response = client.post(request.url, consent_form_data(response))
    return exchange(client, app, secret, callback_params(response)["code"], request.verifier)


def _bearer(token: dict) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token['access_token']}"}


def test_one_row_per_app_with_what_it_can_do(client, erin, alice, consent_app, make_app):
    app, secret = consent_app
    trusted, trusted_secret = make_app(alice, name="In-house", skip_authorization=True)
    _connect(client, erin, app, secret)
    _connect(client, erin, app, secret)  # a second sign-in: still one row
    _connect(client, erin, trusted, trusted_secret, scope="read")

    response = client.get("/accounts/connected-apps/")
    assert response.status_code == 200
    rows = list(response.context["connections"])
    assert [row.application.name for row in rows] == ["In-house", "Photo Printer"]
    printer = rows[1]
    assert printer.scopes == ["openid", "email", "read"]
    newest = get_access_token_model().objects.filter(application=app).latest("created").created
    assert printer.last_used_at == newest
    page = response.content.decode()
    assert "See your email address" in page
    assert page.count('data-testid="connected-app"') == 2
    assert page.count('class="badge badge-trusted"') == 1  # In-house only


def test_the_list_costs_the_same_queries_for_one_app_or_many(client, erin, alice, make_app):
    client.force_login(erin)
    first, _ = make_app(alice, name="First")
    Consent.objects.create(user=erin, application=first, scopes=["read"])
    # The first request of a session records it for the sessions page (allauth.usersessions); every
    # later one only updates "last seen". Measure two later ones.
    client.get("/accounts/connected-apps/")
    with CaptureQueriesContext(connection) as one:
        client.get("/accounts/connected-apps/")
    for number in range(4):
        app, _ = make_app(alice, name=f"App {number}")
        Consent.objects.create(user=erin, application=app, scopes=["read"])
    with CaptureQueriesContext(connection) as five:
        response = client.get("/accounts/connected-apps/")
    assert response.content.decode().count('data-testid="connected-app"') == 5
    assert len(five) == len(one)


def test_revoking_removes_everything_at_once_and_is_audited(client, erin, consent_app):
    app, secret = consent_app
    token = _connect(client, erin, app, secret)
    assert client.get("/api/me", **_bearer(token)).status_code == 200
    # A code issued but not yet exchanged must die too.
    pending = authorization_request(app)
    callback_params(client.get(pending.url))
    assert get_grant_model().objects.filter(user=erin).exists()
    assert get_id_token_model().objects.filter(user=erin).exists()
    consent = Consent.objects.get(user=erin, application=app)

    response = client.post(f"/accounts/connected-apps/{consent.application_id}/revoke/", {"confirmed": "yes"})
    assert response.status_code == 302 and response["Location"] == "/accounts/connected-apps/"
    assert "Photo Printer no longer has access" in client.get(response["Location"]).content.decode()
    for model in (get_access_token_model, get_refresh_token_model, get_id_token_model, get_grant_model):
        assert not model().objects.filter(user=erin, application=app).exists(), model
    assert not Consent.objects.exists()
    event = AuditEvent.objects.get(action=AuditEvent.Action.CONSENT_REVOKED)
    assert event.actor == erin and event.application_id == app.pk
    assert event.changes["access_tokens"] == 1 and event.changes["authorization_codes"] == 1

    client.logout()
    assert client.get("/api/me", **_bearer(token)).status_code == 401
    refresh = client.post(
        "/o/token/",
        {"grant_type": "refresh_token", "refresh_token": token["refresh_token"]},
        HTTP_AUTHORIZATION=_basic(app, secret),
    )
    assert refresh.status_code == 400
    # The next authorization request asks again.
    client.force_login(erin)
    assert client.get(authorization_request(app).url).status_code == 200


def _basic(app, secret) -> str:
    return "Basic " + base64.b64encode(f"{app.client_id}:{secret}".encode()).decode()


def test_revoking_keeps_other_peoples_and_other_apps_tokens(
    client, erin, charlie, alice, consent_app, make_app
):
    app, secret = consent_app
    other_app, other_secret = make_app(alice, name="Other")
    erins = _connect(client, erin, app, secret)
    erins_other = _connect(client, erin, other_app, other_secret, scope="read")
    charlies = _connect(client, charlie, app, secret)
    client.force_login(erin)
    consent = Consent.objects.get(user=erin, application=app)
    client.post(f"/accounts/connected-apps/{consent.application_id}/revoke/", {"confirmed": "yes"})
    client.logout()
    assert client.get("/api/me", **_bearer(erins)).status_code == 401
    assert client.get("/api/me", **_bearer(erins_other)).status_code == 200
    assert client.get("/api/me", **_bearer(charlies)).status_code == 200


def test_with_htmx_the_row_is_removed_in_place(client, erin, alice, consent_app, make_app):
    app, secret = consent_app
    other_app, other_secret = make_app(alice, name="Other")
    _connect(client, erin, app, secret)
    _connect(client, erin, other_app, other_secret, scope="read")
    consent = Consent.objects.get(user=erin, application=app)

    response = client.post(
        f"/accounts/connected-apps/{consent.application_id}/revoke/",
        {"confirmed": "yes"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    fragment = response.content.decode()
    assert "<html" not in fragment and "<tr" not in fragment
    assert 'hx-swap-oob="true"' in fragment and "Photo Printer no longer has access" in fragment
    assert 'id="connected-apps"' not in fragment  # another app remains: the list stays

    last = Consent.objects.get(user=erin)
    fragment = client.post(
        f"/accounts/connected-apps/{last.application_id}/revoke/",
        {"confirmed": "yes"},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert 'id="connected-apps" hx-swap-oob="true"' in fragment and "no-connected-apps" in fragment


def test_the_page_works_without_javascript(client, erin, consent_app):
    app, secret = consent_app
    _connect(client, erin, app, secret)
    page = client.get("/accounts/connected-apps/").content.decode()
    consent = Consent.objects.get(user=erin)
    action = f"/accounts/connected-apps/{consent.application_id}/revoke/"
    assert f'<form method="post" action="{action}"' in page
    assert f'hx-post="{action}"' in page
    assert 'name="csrfmiddlewaretoken"' in page


def test_another_persons_connections_cannot_be_seen_or_revoked(client, erin, charlie, consent_app):
    app, secret = consent_app
    token = _connect(client, erin, app, secret)
    consent = Consent.objects.get(user=erin, application=app)

    client.force_login(charlie)
    page = client.get("/accounts/connected-apps/")
    assert list(page.context["connections"]) == []
    assert "Photo Printer" not in page.content.decode()
    assert client.post(f"/accounts/connected-apps/{consent.application_id}/revoke/").status_code == 404
    assert (
        client.post(
            f"/accounts/connected-apps/{consent.application_id}/revoke/", HTTP_HX_REQUEST="true"
        ).status_code
        == 404
    )
    assert Consent.objects.filter(pk=consent.pk).exists()
    client.logout()
    assert client.get("/api/me", **_bearer(token)).status_code == 200
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.CONSENT_REVOKED).exists()


def test_signed_out_people_are_sent_to_sign_in(client, erin, consent_app):
    response = client.get("/accounts/connected-apps/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert client.post("/accounts/connected-apps/1/revoke/").status_code == 302


def test_revoking_is_a_post(client, erin, consent_app):
    app, secret = consent_app
    _connect(client, erin, app, secret)
    consent = Consent.objects.get(user=erin)
    assert client.get(f"/accounts/connected-apps/{consent.application_id}/revoke/").status_code == 405
    assert Consent.objects.filter(pk=consent.pk).exists()


def test_the_navigation_links_connected_apps(client, erin):
    client.force_login(erin)
    page = client.get("/").content.decode()
    assert 'href="/accounts/connected-apps/"' in page


# --- Apps that hold tokens without a consent record (issue 9, finding 11) ---------------------------


def _stock_dot_tokens(user, app, *, scope: str) -> tuple[str, str]:
    """Tokens as a stock DOT install stores them: no portal consent record. Returns (access, refresh)."""
    access_value, refresh_value = f"at-{app.pk}-{user.pk}", f"rt-{app.pk}-{user.pk}"
    access = get_access_token_model().objects.create(
        user=user,
        application=app,
        token=access_value,
        scope=scope,
        expires=timezone.now() + timedelta(hours=1),
    )
    get_refresh_token_model().objects.create(
        user=user, application=app, token=refresh_value, access_token=access
    )
    return access_value, refresh_value


def test_apps_holding_tokens_without_a_consent_record_are_listed(client, erin, charlie, alice, make_app):
    tokens_app, _ = make_app(alice, name="Adopted Tokens", skip_authorization=False)
    code_app, _ = make_app(alice, name="Pending Code", skip_authorization=False)
    _stock_dot_tokens(erin, tokens_app, scope="read email")
    get_grant_model().objects.create(
        user=erin,
        application=code_app,
        code="a-code",
        redirect_uri="http://127.0.0.1:8765/callback",
        scope="openid",
        expires=tokens_app.created,
        code_challenge="x" * 43,
        code_challenge_method="S256",
    )
    _stock_dot_tokens(charlie, make_app(alice, name="Charlie's Only")[0], scope="read")

    client.force_login(erin)
    response = client.get("/accounts/connected-apps/")
    rows = response.context["connections"]
    assert [row.application.name for row in rows] == ["Adopted Tokens", "Pending Code"]
    assert rows[0].scopes == ["email", "read"] and rows[1].scopes == ["openid"]
    assert rows[0].created_at is not None and rows[0].last_used_at is not None
    assert "Charlie's Only" not in response.content.decode()


def test_revoking_an_app_without_a_consent_record_takes_everything_back(
    client, erin, charlie, alice, make_app
):
    app, _ = make_app(alice, name="Adopted Tokens", skip_authorization=False)
    access, _refresh = _stock_dot_tokens(erin, app, scope="read")
    charlies_access, _ = _stock_dot_tokens(charlie, app, scope="read")
    assert client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {access}").status_code == 200

    client.force_login(erin)
    response = client.post(f"/accounts/connected-apps/{app.pk}/revoke/", {"confirmed": "yes"})
    assert response.status_code == 302
    client.logout()
    assert client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {access}").status_code == 401
    assert not get_refresh_token_model().objects.filter(user=erin).exists()
    assert client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {charlies_access}").status_code == 200
    event = AuditEvent.objects.get(action=AuditEvent.Action.CONSENT_REVOKED)
    assert (
        event.actor == erin and event.changes["access_tokens"] == 1 and event.changes["refresh_tokens"] == 1
    )

    client.force_login(erin)
    assert client.get("/accounts/connected-apps/").context["connections"] == []
    # Nothing left of erin's there: the app is no longer hers to revoke.
    assert client.post(f"/accounts/connected-apps/{app.pk}/revoke/").status_code == 404
