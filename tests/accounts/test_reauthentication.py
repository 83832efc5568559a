"""Dangerous actions ask for the password (or a second factor) again, through allauth's re-authentication,
and then complete with what the person had typed; htmx requests are led there with HX-Redirect."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from oauth2_provider.models import get_access_token_model, get_application_model

from portal.clients.models import ClientSecret
from portal.terms.services import terms_accept
from tests.helpers.accounts import sign_in_password_only, sign_in_with_second_factor_long_ago
from tests.helpers.constants import LOOPBACK_CALLBACK, PASSWORD
from tests.helpers.developer import registration

pytestmark = pytest.mark.django_db

REAUTH = "/accounts/reauthenticate/"


@pytest.fixture
def signed_in(client, alice, current_terms):
    """alice, signed in with her password a minute ago and not re-authenticated since."""
    terms_accept(user=alice, version=current_terms, request=None)
    sign_in_password_only(client, alice)
    return client


@pytest.fixture
def app(alice, make_app):
    return make_app(alice)[0]


def _asked(response, path: str) -> None:
    assert response.status_code == 302
    assert response["Location"] == f"{REAUTH}?next={path.replace('/', '%2F')}"


def test_rotating_a_secret_asks_again_then_completes(signed_in, app):
    path = f"/developer/apps/{app.pk}/secrets/rotate/"
    response = signed_in.post(path, {"grace": "3600"})
    _asked(response, path)
    assert ClientSecret.objects.filter(application=app).count() == 1

    wrong = signed_in.post(response["Location"], {"password": "not-it"})
    assert wrong.status_code == 200
    assert ClientSecret.objects.filter(application=app).count() == 1

    done = signed_in.post(response["Location"], {"password": PASSWORD}, follow=True)
    assert done.status_code == 200
    html = done.content.decode()
    assert re.search(r'id="client-secret" value="([^"]+)"', html), "the new secret is shown once"
    # The grace period typed before re-authenticating is the one used: two secrets live.
    assert ClientSecret.objects.filter(application=app).count() == 2


def test_an_htmx_rotation_is_led_to_the_page_and_back(signed_in, app):
    path = f"/developer/apps/{app.pk}/secrets/rotate/"
    response = signed_in.post(path, {"grace": "0", "confirmed": "yes"}, headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response["HX-Redirect"] == f"{REAUTH}?next={path.replace('/', '%2F')}"
    done = signed_in.post(response["HX-Redirect"], {"password": PASSWORD})
    # The kept request is replayed as a plain form post: a redirect to the app's page, which shows the secret.
    assert done.status_code == 302
    assert done["Location"] == f"/developer/apps/{app.pk}/"
    page = signed_in.get(done["Location"]).content.decode()
    assert 'id="client-secret"' in page
    # No grace period was typed away: the old secret ended at once, one secret is live.
    assert ClientSecret.objects.filter(application=app).count() == 1


def test_deleting_keeps_the_typed_name_through_re_authentication(signed_in, app):
    path = f"/developer/apps/{app.pk}/delete/"
    _asked(signed_in.post(path, {"name": app.name}), path)
    assert get_application_model().objects.filter(pk=app.pk).exists()
    done = signed_in.post(f"{REAUTH}?next={path}", {"password": PASSWORD})
    assert done.status_code == 302
    assert done["Location"] == "/developer/"
    assert not get_application_model().objects.filter(pk=app.pk).exists()


def test_revoking_all_tokens_and_an_old_secret_ask_again(signed_in, app, alice):
    path = f"/developer/apps/{app.pk}/tokens/revoke-all/"
    _asked(signed_in.post(path, {"name": app.name}), path)
    previous = ClientSecret.objects.get(application=app)
    signed_in.post(f"{REAUTH}?next=/", {"password": PASSWORD})
    signed_in.post(f"/developer/apps/{app.pk}/secrets/rotate/", {"grace": "3600"})
    # Re-authenticated a moment ago: the next dangerous action goes straight through.
    revoke = f"/developer/apps/{app.pk}/secrets/{previous.pk}/revoke/"
    assert signed_in.post(revoke, {"confirmed": "yes"}).status_code == 302
    assert ClientSecret.objects.filter(application=app).count() == 1
    assert get_access_token_model().objects.filter(application=app).count() == 0


def test_changing_redirect_uris_asks_again_but_a_description_does_not(signed_in, app):
    path = f"/developer/apps/{app.pk}/edit/"
    same = registration(
        name=app.name,
        redirect_uris=LOOPBACK_CALLBACK,
        grant_types=app.grant_types,
        description="Now with more.",
    )
    saved = signed_in.post(path, same)
    assert saved.status_code == 302
    assert saved["Location"] == f"/developer/apps/{app.pk}/"
    moved = dict(same, redirect_uris="https://elsewhere.example/cb")
    _asked(signed_in.post(path, moved), path)
    app.refresh_from_db()
    assert app.redirect_uris == LOOPBACK_CALLBACK


def test_staff_trusting_an_app_confirm_first_but_rejecting_does_not(sam, alice, make_app):
    app, _secret = make_app(alice, skip_authorization=False)
    pending, _secret = make_app(alice, name="Pending app", review_status="pending")
    staff = Client()
    sign_in_with_second_factor_long_ago(staff, sam)

    page = staff.get(f"/staff/apps/{app.pk}/").content.decode()
    version = re.search(r'name="trust-version" value="([0-9a-f]+)"', page).group(1)
    path = f"/staff/apps/{app.pk}/trust/"
    response = staff.post(path, {"trust-version": version, "confirmed": "yes"})
    _asked(response, path)
    app.refresh_from_db()
    assert app.skip_authorization is False
    done = staff.post(response["Location"], {"password": PASSWORD})
    assert done.status_code == 302
    app.refresh_from_db()
    assert app.skip_authorization is True

    # Rejecting trusts nothing: no re-authentication (made long ago again).
    sign_in_with_second_factor_long_ago(staff, sam)
    page = staff.get(f"/staff/apps/{pending.pk}/").content.decode()
    version = re.search(r'name="reject-version" value="([0-9a-f]+)"', page).group(1)
    rejected = staff.post(
        f"/staff/apps/{pending.pk}/reject/",
        {"reject-version": version, "reject-reason": "No privacy policy."},
    )
    assert rejected.status_code == 302
    pending.refresh_from_db()
    assert pending.review_status == "rejected"


def test_an_admin_approval_asks_again_and_then_applies(alice, make_app, django_user_model):
    app, _secret = make_app(alice, review_status="pending", skip_authorization=False)
    root = django_user_model.objects.create_superuser("root", "root@example.com", PASSWORD)
    admin = Client()
    sign_in_with_second_factor_long_ago(admin, root)
    data = {"action": "approve_selected", "_selected_action": [app.pk]}
    page = admin.post("/admin/clients/application/", data).content.decode()
    version = re.search(rf'name="version-{app.pk}" value="([0-9a-f]+)"', page).group(1)
    response = admin.post("/admin/clients/application/", {**data, "apply": "1", f"version-{app.pk}": version})
    _asked(response, "/admin/clients/application/")
    app.refresh_from_db()
    assert app.is_pending
    done = admin.post(response["Location"], {"password": PASSWORD})
    assert done.status_code == 302
    app.refresh_from_db()
    assert app.review_status == "approved"
