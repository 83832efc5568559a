"""Staff review cannot be bypassed (issue 9): once staff approved an app, what it may do and how it presents
itself change only when staff approve the change, whatever its state, whoever edits it (the developer
console or the Django admin), and a decision applies only to what staff saw."""

from __future__ import annotations

import re

import pytest
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse
from oauth2_provider.models import get_application_model

from portal.audit.models import AuditEvent
from portal.clients import grants
from portal.review import services
from portal.review.selectors import application_list_for_review
from tests.helpers.accounts import sign_in_with_second_factor
from tests.helpers.constants import LOOPBACK_CALLBACK
from tests.helpers.developer import image_upload, registration
from tests.helpers.review import HTMX

pytestmark = pytest.mark.django_db
Application = get_application_model()
ATTACKER_CALLBACK = "https://attacker.example/cb"


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def developer_client(client, developer):
    """The test client, signed in as alice with the current terms accepted (the `developer` fixture)."""
    return client


@pytest.fixture
def staff_client(sam):
    staff = Client()
    sign_in_with_second_factor(staff, sam)
    return staff


def _edit(client, app, **overrides):
    data = registration(
        name=app.name,
        description=app.description,
        homepage_url=app.homepage_url,
        redirect_uris=app.redirect_uris,
        grant_types=app.grant_types or [app.authorization_grant_type],
    )
    data.update(overrides)
    return client.post(f"/developer/apps/{app.pk}/edit/", data)


def _suspend(app, sam):
    services.application_suspend(application=app, reviewer=sam, version=app.review_version(), reason="Spam")


def _page_version(client, app, prefix: str) -> str:
    page = client.get(reverse("staff:application_review", kwargs={"pk": app.pk})).content.decode()
    return re.search(rf'name="{prefix}-version" value="([0-9a-f]+)"', page).group(1)


# --- Finding 1: every state but pending-never-approved sends changes to review ------------------------


def test_editing_a_suspended_app_proposes_and_reinstating_applies_nothing_new(
    developer_client, staff_client, alice, sam, make_app
):
    app, _secret = make_app(alice, name="Photo App", skip_authorization=False)
    _suspend(app, sam)

    response = _edit(
        developer_client,
        app,
        redirect_uris=f"{LOOPBACK_CALLBACK}\n{ATTACKER_CALLBACK}",
        grant_types=[grants.AUTHORIZATION_CODE, grants.CLIENT_CREDENTIALS],
    )
    assert response.status_code == 302
    app.refresh_from_db()
    assert app.redirect_uris == LOOPBACK_CALLBACK and app.grant_types == [grants.AUTHORIZATION_CODE]
    assert app.proposed_changes == {
        "redirect_uris": f"{LOOPBACK_CALLBACK} {ATTACKER_CALLBACK}",
        "grant_types": [grants.AUTHORIZATION_CODE, grants.CLIENT_CREDENTIALS],
    }
    assert app in application_list_for_review()  # staff see it waiting
    assert app.review_reason == "Spam"  # the suspension's reason stays what the developer is shown
    page = staff_client.get(reverse("staff:application_review", kwargs={"pk": app.pk})).content.decode()
    assert "reinstate it to decide on this change" in page and 'name="approve_change-version"' not in page
    with pytest.raises(services.ReviewError, match="Reinstate the app"):
        services.application_approve_change(application=app, reviewer=sam, version=app.review_version())

    services.application_reinstate(application=app, reviewer=sam, version=app.review_version())
    app.refresh_from_db()
    assert app.is_approved
    assert ATTACKER_CALLBACK not in app.redirect_uris.split()
    assert not app.allows_grant_type(grants.CLIENT_CREDENTIALS)
    assert app.has_proposed_changes  # still waiting for its own decision


def test_a_pending_app_that_was_never_approved_changes_directly(developer_client, alice, make_app):
    app, _secret = make_app(alice, review_status="pending", skip_authorization=False)
    _edit(developer_client, app, redirect_uris=ATTACKER_CALLBACK, name="Renamed")
    app.refresh_from_db()
    assert app.redirect_uris == ATTACKER_CALLBACK and app.name == "Renamed" and app.proposed_changes == {}


@pytest.fixture
def admin_client(sam):
    sam.is_superuser = True
    sam.save()
    admin = Client()
    sign_in_with_second_factor(admin, sam)
    return admin


def _admin_form(admin_client, app) -> dict:
    """The admin change form's fields as the browser would submit them."""
    page = admin_client.get(f"/admin/clients/application/{app.pk}/change/").content.decode()
    data = dict(re.findall(r'<input type="(?:text|url|number)" name="(\w+)" value="([^"]*)"', page))
    for name, value in re.findall(r'<textarea name="(\w+)"[^>]*>\s*([^<]*)</textarea>', page):
        data[name] = value.strip()
    for name, value in re.findall(
        r'<select name="(\w+)"[^>]*>.*?<option value="([^"]*)" selected', page, re.S
    ):
        data[name] = value
    return data


@pytest.mark.parametrize("status", ["approved", "suspended"])
def test_the_admin_cannot_change_reviewed_fields_of_an_approved_app(admin_client, alice, make_app, status):
    app, _secret = make_app(alice, review_status=status)
    page = admin_client.get(f"/admin/clients/application/{app.pk}/change/").content.decode()
    for field in ("redirect_uris", "grant_types", "client_type", "name", "homepage_url", "logo"):
        assert f'name="{field}"' not in page
    assert reverse("staff:application_review", kwargs={"pk": app.pk}) in page

    data = {**_admin_form(admin_client, app), "redirect_uris": ATTACKER_CALLBACK, "name": "Google"}
    data["description"] = "Edited in the admin."
    response = admin_client.post(f"/admin/clients/application/{app.pk}/change/", data)
    assert response.status_code == 302
    app.refresh_from_db()
    assert app.description == "Edited in the admin."  # not a reviewed field: applies
    assert app.redirect_uris == LOOPBACK_CALLBACK and app.name == "Alice's App"


def test_the_admin_edits_a_pending_app_and_keeps_dots_grant_in_step(admin_client, alice, make_app):
    app, _secret = make_app(alice, review_status="pending")
    data = {**_admin_form(admin_client, app), "grant_types": '["client-credentials"]', "redirect_uris": ""}
    response = admin_client.post(f"/admin/clients/application/{app.pk}/change/", data)
    assert response.status_code == 302
    app.refresh_from_db()
    assert app.grant_types == [grants.CLIENT_CREDENTIALS]
    assert app.authorization_grant_type == grants.CLIENT_CREDENTIALS and app.algorithm == ""


# --- Finding 5: identity goes through review too --------------------------------------------------------


def test_rebranding_an_approved_trusted_app_waits_for_staff(developer_client, alice, erin, make_app):
    app, _secret = make_app(alice, name="Photo App", skip_authorization=True)
    _edit(
        developer_client,
        app,
        name="Google Account Security",
        homepage_url="https://accounts.google.com/",
        post_logout_redirect_uris="https://attacker.example/bye",
        allowed_origins="https://attacker.example",
        description="Keeps your account safe.",
    )
    app.refresh_from_db()
    assert app.name == "Photo App" and app.homepage_url == ""
    assert app.post_logout_redirect_uris == "" and app.allowed_origins == ""
    assert app.description == "Keeps your account safe."  # not identity: the badge does not vouch for it
    assert app.proposed_changes == {
        "name": "Google Account Security",
        "homepage_url": "https://accounts.google.com/",
        "post_logout_redirect_uris": "https://attacker.example/bye",
        "allowed_origins": "https://attacker.example",
    }
    assert app.skip_authorization

    # The developer sees the proposal in words; the edit form shows it, so saving again keeps it.
    detail = developer_client.get(f"/developer/apps/{app.pk}/").content.decode()
    assert "Change waiting for staff review" in detail and "Google Account Security" in detail
    form = developer_client.get(f"/developer/apps/{app.pk}/edit/").content.decode()
    assert 'value="Google Account Security"' in form


def test_a_proposed_logo_is_stored_apart_and_goes_live_only_when_approved(
    developer_client, alice, sam, make_app, django_capture_on_commit_callbacks
):
    app, _secret = make_app(alice, skip_authorization=False)
    with django_capture_on_commit_callbacks(execute=True):
        _edit(developer_client, app, logo=image_upload())
    app.refresh_from_db()
    live, proposed = app.logo.name, app.proposed_changes["logo"]
    assert live == "" and default_storage.exists(proposed)

    # A second logo supersedes the first proposal, whose file goes.
    with django_capture_on_commit_callbacks(execute=True):
        _edit(developer_client, app, logo=image_upload(size=(64, 64)))
    app.refresh_from_db()
    second = app.proposed_changes["logo"]
    assert second != proposed and not default_storage.exists(proposed) and default_storage.exists(second)
    assert app.logo.name == ""

    with django_capture_on_commit_callbacks(execute=True):
        services.application_approve_change(application=app, reviewer=sam, version=app.review_version())
    app.refresh_from_db()
    assert app.logo.name == second and app.proposed_changes == {}

    # A rejected logo's file goes; the live one stays.
    with django_capture_on_commit_callbacks(execute=True):
        _edit(developer_client, app, logo=image_upload(size=(80, 80)))
    app.refresh_from_db()
    rejected = app.proposed_changes["logo"]
    with django_capture_on_commit_callbacks(execute=True):
        services.application_reject_change(
            application=app, reviewer=sam, version=app.review_version(), reason="Not your brand."
        )
    assert not default_storage.exists(rejected) and default_storage.exists(second)


def test_deleting_an_app_removes_its_proposed_logo(
    developer_client, alice, make_app, django_capture_on_commit_callbacks
):
    app, _secret = make_app(alice)
    with django_capture_on_commit_callbacks(execute=True):
        _edit(developer_client, app, logo=image_upload())
    app.refresh_from_db()
    proposed = app.proposed_changes["logo"]
    with django_capture_on_commit_callbacks(execute=True):
        developer_client.post(f"/developer/apps/{app.pk}/delete/", {"name": app.name})
    assert not Application.objects.filter(pk=app.pk).exists() and not default_storage.exists(proposed)


@pytest.mark.parametrize(
    "name",
    [
        "Photo\u202eppA",  # right-to-left override
        "Photo\u200bApp",  # zero-width space
        "Photo\u2066App",  # left-to-right isolate
        "\u3164",  # Hangul filler: renders blank
        "Photo\u2028App",  # line separator
        "Photo\x07App",  # control character
        "Photo\u00a0App",  # a no-break space can pad a name into looking like another
    ],
)
def test_names_with_invisible_or_control_characters_are_refused(developer_client, name):
    response = developer_client.post("/developer/apps/new/", registration(name=name))
    assert response.status_code == 200
    assert "invisible or control characters" in response.content.decode()
    assert not Application.objects.exists()


def test_a_plain_international_name_is_accepted(developer_client):
    response = developer_client.post("/developer/apps/new/", registration(name="Café Ünïcode 写真"))
    assert response.status_code == 302
    assert Application.objects.get().name == "Café Ünïcode 写真"


# --- Finding 4: a decision is bound to what staff saw ---------------------------------------------------


def test_approving_a_pending_app_that_changed_meanwhile_is_refused(
    staff_client, developer_client, alice, make_app
):
    app, _secret = make_app(alice, review_status="pending", skip_authorization=False)
    version = _page_version(staff_client, app, "approve")
    _edit(developer_client, app, redirect_uris=ATTACKER_CALLBACK)

    url = reverse("staff:application_approve", kwargs={"pk": app.pk})
    response = staff_client.post(url, {"approve-version": version}, **HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert "The app changed while you were looking; review it again." in body
    assert ATTACKER_CALLBACK in body  # the page now shows what it is
    app.refresh_from_db()
    assert app.is_pending and not AuditEvent.objects.filter(action=AuditEvent.Action.APP_APPROVED).exists()

    # Without JavaScript: the same refusal, as a 400 page.
    response = staff_client.post(url, {"approve-version": version})
    assert response.status_code == 400 and "review it again" in response.content.decode()
    # With the version of the page that shows the new URI, it goes through.
    response = staff_client.post(url, {"approve-version": _page_version(staff_client, app, "approve")})
    assert response.status_code == 302
    app.refresh_from_db()
    assert app.is_approved


def test_approving_a_proposal_that_changed_meanwhile_is_refused(
    staff_client, developer_client, alice, make_app
):
    app, _secret = make_app(alice)
    _edit(developer_client, app, redirect_uris="https://photos.example.com/cb")
    app.refresh_from_db()
    version = _page_version(staff_client, app, "approve_change")
    _edit(developer_client, app, redirect_uris=ATTACKER_CALLBACK)

    url = reverse("staff:application_approve_change", kwargs={"pk": app.pk})
    response = staff_client.post(url, {"approve_change-version": version})
    assert response.status_code == 400 and "review it again" in response.content.decode()
    app.refresh_from_db()
    assert app.redirect_uris == LOOPBACK_CALLBACK and app.proposed_changes == {
        "redirect_uris": ATTACKER_CALLBACK
    }


def test_a_decision_without_a_version_applies_nothing(staff_client, alice, make_app):
    app, _secret = make_app(alice)
    response = staff_client.post(
        reverse("staff:application_suspend", kwargs={"pk": app.pk}), {"suspend-reason": "x"}
    )
    assert response.status_code == 400 and "review it again" in response.content.decode()
    app.refresh_from_db()
    assert app.is_approved


def test_an_admin_action_is_bound_to_its_confirmation_page(admin_client, developer_client, alice, make_app):
    app, _secret = make_app(alice, review_status="pending", skip_authorization=False)
    data = {"action": "approve_selected", "_selected_action": [app.pk]}
    page = admin_client.post("/admin/clients/application/", data).content.decode()
    version = re.search(rf'name="version-{app.pk}" value="([0-9a-f]+)"', page).group(1)
    _edit(developer_client, app, redirect_uris=ATTACKER_CALLBACK)

    response = admin_client.post(
        "/admin/clients/application/", {**data, "apply": "1", f"version-{app.pk}": version}, follow=True
    )
    assert "review it again" in response.content.decode()
    app.refresh_from_db()
    assert app.is_pending


def test_the_consent_screen_says_what_staff_verified(client, alice, erin, make_app):
    from urllib.parse import urlencode

    app, _secret = make_app(alice, name="Photo App", skip_authorization=False)
    services.application_suspend(application=app, reviewer=alice, version=app.review_version(), reason="x")
    services.application_reinstate(application=app, reviewer=alice, version=app.review_version())
    client.force_login(erin)
    query = urlencode(
        {
            "client_id": app.client_id,
            "response_type": "code",
            "redirect_uri": LOOPBACK_CALLBACK,
            "scope": "read",
            "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            "code_challenge_method": "S256",
        }
    )
    page = client.get(f"/o/authorize/?{query}").content.decode()
    assert "Staff reviewed this app's name, logo, homepage and redirect addresses on" in page
    assert "Verified by staff" not in page


def test_the_admin_refuses_an_unknown_grant_with_a_form_error(admin_client, alice, make_app):
    app, _secret = make_app(alice, review_status="pending")
    data = {**_admin_form(admin_client, app), "grant_types": '["not-a-grant"]'}
    response = admin_client.post(f"/admin/clients/application/{app.pk}/change/", data)
    assert response.status_code == 200 and "not-a-grant" in response.content.decode()
    app.refresh_from_db()
    assert app.grant_types == [grants.AUTHORIZATION_CODE]


def test_setting_everything_back_withdraws_the_proposal(developer_client, alice, make_app):
    app, _secret = make_app(alice)
    _edit(developer_client, app, name="Renamed")
    app.refresh_from_db()
    assert app.proposed_changes == {"name": "Renamed"}
    _edit(developer_client, app, name="Alice's App")
    app.refresh_from_db()
    assert (
        app.proposed_changes == {} and app.name == "Alice's App" and app not in application_list_for_review()
    )


@pytest.mark.parametrize("version", ["a\x00b", "f" * 5000, ["x", "y"]])
def test_a_hostile_version_is_refused_as_stale(staff_client, alice, make_app, version):
    app, _secret = make_app(alice, review_status="pending")
    url = reverse("staff:application_approve", kwargs={"pk": app.pk})
    response = staff_client.post(url, {"approve-version": version})
    assert response.status_code == 400 and "review it again" in response.content.decode()
    app.refresh_from_db()
    assert app.is_pending
