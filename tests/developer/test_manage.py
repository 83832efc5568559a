"""Editing, material changes, secret rotation with a grace period, tokens, deletion."""

from __future__ import annotations

import base64
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_application_model, get_refresh_token_model
from oauth2_provider.oauth2_validators import set_token_value

from portal.audit.models import AuditEvent
from portal.clients import grants
from portal.clients.models import ClientSecret
from tests.developer.conftest import registration

Application = get_application_model()


def _token_request(client, app, secret):
    auth = base64.b64encode(f"{app.client_id}:{secret}".encode()).decode()
    return client.post(
        "/o/token/", {"grant_type": "client_credentials", "scope": "read"}, HTTP_AUTHORIZATION=f"Basic {auth}"
    )


def _rotate(client, app, grace: str) -> str:
    html = client.post(
        f"/developer/apps/{app.pk}/secrets/rotate/", {"grace": grace, "confirmed": "yes"}, follow=True
    ).content.decode()
    return re.search(r'id="client-secret" value="([^"]+)"', html).group(1)


def _issue_tokens(app, user, count: int, prefix: str = "token") -> list:
    Token = get_access_token_model()
    tokens = []
    for n in range(count):
        token = Token(user=user, application=app, scope="read", expires=timezone.now() + timedelta(hours=1))
        set_token_value(token, f"{prefix}-{app.pk}-{n}")
        token.save()
        tokens.append(token)
    return tokens


@pytest.fixture
def cc_app(developer, make_app):
    return make_app(developer, grant_types=[grants.CLIENT_CREDENTIALS], redirect_uris=[])


@pytest.mark.django_db
def test_editing_a_pending_app_applies_at_once(client, developer):
    client.post("/developer/apps/new/", registration())
    app = Application.objects.get()
    data = registration(name="Renamed", redirect_uris="https://photos.example.com/new")
    assert client.post(f"/developer/apps/{app.pk}/edit/", data).status_code == 302
    app.refresh_from_db()
    assert app.name == "Renamed" and app.redirect_uris == "https://photos.example.com/new"
    event = AuditEvent.objects.get(action="app.changed")
    assert event.changes["name"] == ["Alice's Photo App", "Renamed"]


@pytest.mark.django_db
def test_material_changes_to_an_approved_app_wait_for_staff(client, developer, make_app):
    app, _secret = make_app(developer, name="Live App", skip_authorization=True)
    data = registration(
        name="Live App",
        homepage_url="",
        description="Now with prints.",
        redirect_uris="https://attacker.example/cb",
        grant_types=["authorization-code", "client-credentials"],
    )
    response = client.post(f"/developer/apps/{app.pk}/edit/", data, follow=True)
    assert b"waits for staff review" in response.content
    app.refresh_from_db()
    # The description changes now; what widens the app's reach does not.
    assert app.description == "Now with prints."
    assert app.redirect_uris == "http://127.0.0.1:8765/callback"
    assert app.grant_types == ["authorization-code"]
    assert app.skip_authorization and app.is_approved
    assert app.proposed_changes == {
        "redirect_uris": "https://attacker.example/cb",
        "grant_types": ["authorization-code", "client-credentials"],
    }
    assert app.submitted_at is not None
    proposal = AuditEvent.objects.get(action="app.change_proposed")
    assert proposal.changes["redirect_uris"] == [
        "http://127.0.0.1:8765/callback",
        "https://attacker.example/cb",
    ]


@pytest.mark.django_db
def test_editing_a_rejected_app_sends_it_back_to_review(client, developer, make_app):
    app, _secret = make_app(developer, review_status="rejected")
    client.post(f"/developer/apps/{app.pk}/edit/", registration())
    app.refresh_from_db()
    assert app.review_status == "pending" and app.submitted_at is not None


@pytest.mark.django_db
def test_an_invalid_edit_leaves_the_app_as_it_was(client, developer, make_app):
    app, _secret = make_app(developer)
    before = Application.objects.filter(pk=app.pk).values().get()
    response = client.post(
        f"/developer/apps/{app.pk}/edit/", registration(redirect_uris="http://evil.example/cb")
    )
    assert b"only https is allowed" in response.content
    assert Application.objects.filter(pk=app.pk).values().get() == before


@pytest.mark.django_db
def test_rotation_keeps_the_old_secret_working_for_the_grace_period(client, cc_app):
    app, old_secret = cc_app
    new_secret = _rotate(client, app, "3600")
    assert new_secret != old_secret
    assert _token_request(client, app, old_secret).status_code == 200
    assert _token_request(client, app, new_secret).status_code == 200
    rows = list(ClientSecret.objects.filter(application=app))
    assert len(rows) == 2
    previous = next(row for row in rows if not row.is_current)
    assert previous.last_used_at is not None and previous.last_four == old_secret[-4:]

    # The grace period ends: only the new secret works.
    ClientSecret.objects.filter(pk=previous.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert _token_request(client, app, old_secret).status_code == 401
    assert _token_request(client, app, new_secret).status_code == 200
    assert AuditEvent.objects.filter(action="secret.rotated", application=app).exists()


@pytest.mark.django_db
def test_rotation_without_grace_ends_the_old_secret_at_once(client, cc_app):
    app, old_secret = cc_app
    new_secret = _rotate(client, app, "0")
    assert _token_request(client, app, old_secret).status_code == 401
    assert _token_request(client, app, new_secret).status_code == 200


@pytest.mark.django_db
def test_at_most_two_secrets_live_and_the_previous_can_be_revoked_early(client, cc_app):
    app, first = cc_app
    second = _rotate(client, app, "604800")
    third = _rotate(client, app, "604800")
    assert ClientSecret.objects.filter(application=app).count() == 2
    assert _token_request(client, app, first).status_code == 401
    assert _token_request(client, app, second).status_code == 200

    previous = ClientSecret.objects.get(application=app, expires_at__isnull=False)
    revoke = f"/developer/apps/{app.pk}/secrets/{previous.pk}/revoke/"
    # One click only asks (a <dialog> with htmx); the secret keeps working until the answer.
    asked = client.post(revoke, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="secrets")
    assert asked["HX-Retarget"] == "body" and 'data-testid="confirm-dialog"' in asked.content.decode()
    assert 'hx-target="#secrets"' in asked.content.decode()
    assert _token_request(client, app, second).status_code == 200
    response = client.post(revoke, {"confirmed": "yes"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and b'id="secrets"' in response.content
    assert b"<html" not in response.content  # the partial, not the page
    # The notice is in the part that changed, not queued for some later page.
    assert f"The previous secret …{previous.last_four} no longer works." in response.content.decode()
    assert "no longer works" not in client.get(f"/developer/apps/{app.pk}/").content.decode()
    assert _token_request(client, app, second).status_code == 401
    assert _token_request(client, app, third).status_code == 200
    current = ClientSecret.objects.get(application=app)
    assert client.post(f"/developer/apps/{app.pk}/secrets/{current.pk}/revoke/").status_code == 302
    assert ClientSecret.objects.filter(pk=current.pk).exists()


@pytest.mark.django_db
def test_rotating_with_htmx_answers_with_the_secrets_partial(client, cc_app):
    app, _secret = cc_app
    response = client.post(
        f"/developer/apps/{app.pk}/secrets/rotate/", {"grace": "3600"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="secrets">') and 'data-testid="client-secret"' in html
    assert "no-store" in response["Cache-Control"]
    # Without htmx: POST, redirect, and the page shows the new secret once; a reload does not repeat it.
    redirected = client.post(f"/developer/apps/{app.pk}/secrets/rotate/", {"grace": "3600"})
    assert redirected.status_code == 302 and "secret" not in redirected["Location"]
    full = client.get(redirected["Location"])
    assert 'data-testid="client-secret"' in full.content.decode() and "no-store" in full["Cache-Control"]
    assert 'data-testid="client-secret"' not in client.get(redirected["Location"]).content.decode()


@pytest.mark.django_db
def test_a_bad_grace_period_is_refused(client, cc_app):
    app, secret = cc_app
    response = client.post(f"/developer/apps/{app.pk}/secrets/rotate/", {"grace": "99999999"})
    assert b"Select a valid choice" in response.content
    assert _token_request(client, app, secret).status_code == 200


@pytest.mark.django_db
def test_tokens_are_listed_paginated_and_revocable(client, developer, make_app, erin):
    app, _secret = make_app(developer)
    tokens = _issue_tokens(app, erin, 30)
    expired = _issue_tokens(app, erin, 1, prefix="expired")[0]
    get_access_token_model().objects.filter(pk=expired.pk).update(
        expires=timezone.now() - timedelta(seconds=1)
    )

    first_page = client.get(f"/developer/apps/{app.pk}/tokens/").content.decode()
    assert first_page.count('data-testid="token-row"') == 25
    assert "30 tokens" in first_page and ">erin<" in first_page
    older = re.search(r'href="\?older=(\d+)"', first_page).group(1)
    second = client.get(
        f"/developer/apps/{app.pk}/tokens/?older={older}", HTTP_HX_REQUEST="true"
    ).content.decode()
    assert second.count('data-testid="token-row"') == 5 and "<html" not in second

    victim = tokens[0]
    assert client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer token-{app.pk}-0").status_code == 200
    revoke = f"/developer/apps/{app.pk}/tokens/{victim.pk}/revoke/"
    asked = client.post(revoke, {"cursor": ""}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="tokens")
    assert 'data-testid="confirm-dialog"' in asked.content.decode()
    assert client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer token-{app.pk}-0").status_code == 200
    response = client.post(revoke, {"cursor": "", "confirmed": "yes"}, HTTP_HX_REQUEST="true")
    # The list comes back whole: the count is right and the row is gone.
    html = response.content.decode()
    assert response.status_code == 200 and html.lstrip().startswith('<div id="tokens">')
    assert "29 tokens" in html and f'id="token-{victim.pk}"' not in html
    assert client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer token-{app.pk}-0").status_code == 401
    assert AuditEvent.objects.filter(action="token.revoked", application=app).exists()


@pytest.mark.django_db
def test_revoking_all_tokens_needs_the_apps_name(client, developer, make_app, erin):
    app, _secret = make_app(developer, name="Photo App")
    _issue_tokens(app, erin, 3)
    wrong = client.post(f"/developer/apps/{app.pk}/tokens/revoke-all/", {"name": "photo app"})
    assert b"That is not the app&#x27;s name" in wrong.content
    assert get_access_token_model().objects.filter(application=app).count() == 3
    client.post(f"/developer/apps/{app.pk}/tokens/revoke-all/", {"name": "Photo App"})
    assert not get_access_token_model().objects.filter(application=app).exists()
    assert not get_refresh_token_model().objects.filter(application=app, revoked__isnull=True).exists()
    assert client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer token-{app.pk}-1").status_code == 401


@pytest.mark.django_db
def test_deleting_needs_the_name_and_removes_tokens(client, developer, make_app, erin):
    app, _secret = make_app(developer, name="Photo App")
    _issue_tokens(app, erin, 2)
    client.post(f"/developer/apps/{app.pk}/delete/", {"name": "nope"})
    assert Application.objects.filter(pk=app.pk).exists()
    assert client.post(f"/developer/apps/{app.pk}/delete/", {"name": "Photo App"}).status_code == 302
    assert not Application.objects.filter(pk=app.pk).exists()
    assert not get_access_token_model().objects.exists()
    assert AuditEvent.objects.get(action="app.deleted").application_label == "Photo App"


@pytest.mark.django_db
def test_the_list_shows_status_grants_and_token_counts(client, developer, make_app, erin):
    app, _secret = make_app(
        developer, name="Counted", grant_types=[grants.AUTHORIZATION_CODE, grants.CLIENT_CREDENTIALS]
    )
    _issue_tokens(app, erin, 4)
    html = client.get("/developer/").content.decode()
    row = html[html.index("Counted") :]
    assert "<td>4</td>" in row and "Client credentials" in row and "Approved" in row and "just now" in row


@pytest.mark.django_db
def test_the_empty_list_explains_the_next_step(client, developer):
    assert b"Register your first app" in client.get("/developer/").content
