"""The staff pages: the queue (order, filters, search, htmx fragment), the review page, decisions with
and without htmx, and the admin's decision actions. The audit log's view: tests/audit/test_log_view.py."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from portal.audit.models import AuditEvent
from portal.clients import grants
from portal.review.selectors import (
    application_count_waiting_for_review,
    application_list_for_review,
    redirect_uri_warnings,
)
from tests.helpers.accounts import sign_in_with_second_factor
from tests.helpers.constants import LOOPBACK_CALLBACK
from tests.helpers.review import HTMX, audit_events_but_personal_teams

pytestmark = pytest.mark.django_db


def _shown_version(client, app, code: str) -> str:
    """The version the review page's form for `code` carries, as a reviewer's browser would post it."""
    page = client.get(reverse("staff:application_review", kwargs={"pk": app.pk})).content.decode()
    prefix = "grant" if code == "allow_grant" else code
    match = re.search(rf'name="{prefix}-version" value="([0-9a-f]+)"', page)
    assert match, f"the review page offers no {code} form"
    return match.group(1)


def _decide(client, app, code: str, data: dict | None = None, **headers):
    """Load the review page, then press the decision's button (with `data` typed into its form)."""
    version = _shown_version(client, app, code)
    url = reverse(f"staff:application_{code}", kwargs={"pk": app.pk})
    prefix = "grant" if code == "allow_grant" else code
    return client.post(url, {f"{prefix}-version": version, **(data or {})}, **headers)


def _queue_names(client, **params) -> list[str]:
    response = client.get(reverse("staff:review_queue"), params)
    assert response.status_code == 200
    return [app.name for app in response.context["page"].object_list]


@pytest.fixture
def queue(alice, charlie, make_app):
    """Apps in every state; `submitted_at` makes the queue order differ from creation order."""
    now = timezone.now()

    def app(owner, name, status, submitted_minutes_ago=None, **extra):
        made, _secret = make_app(owner, name=name, review_status=status, skip_authorization=False)
        for field, value in extra.items():
            setattr(made, field, value)
        if submitted_minutes_ago is not None:
            made.submitted_at = now - timedelta(minutes=submitted_minutes_ago)
        made.save()
        return made

    return {
        "newer": app(alice, "Newer Pending", "pending", 5),
        "older": app(charlie, "Older Pending", "pending", 60),
        "change": app(
            alice, "Changed App", "approved", 30, proposed_changes={"redirect_uris": "https://x.io/"}
        ),
        "approved": app(alice, "Quiet Approved", "approved"),
        "rejected": app(charlie, "Rejected One", "rejected", 90),
        "suspended": app(charlie, "Suspended One", "suspended"),
    }


def test_queue_is_waiting_apps_oldest_first(staff_client, queue):
    assert _queue_names(staff_client) == ["Older Pending", "Changed App", "Newer Pending"]
    assert application_count_waiting_for_review() == 3


def test_queue_without_submission_time_falls_back_to_creation(alice, make_app):
    first, _ = make_app(alice, name="First", review_status="pending")
    second, _ = make_app(alice, name="Second", review_status="pending")
    assert [app.name for app in application_list_for_review()] == ["First", "Second"]


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("new", ["Older Pending", "Newer Pending"]),
        ("changes", ["Changed App"]),
        ("rejected", ["Rejected One"]),
        ("suspended", ["Suspended One"]),
        ("approved", ["Changed App", "Quiet Approved"]),
    ],
)
def test_queue_filters_by_status(staff_client, queue, status, expected):
    assert _queue_names(staff_client, status=status) == expected


def test_queue_searches_name_client_id_and_developer(staff_client, queue):
    assert _queue_names(staff_client, q="older") == ["Older Pending"]
    assert _queue_names(staff_client, q=queue["newer"].client_id) == ["Newer Pending"]
    assert _queue_names(staff_client, q="charlie") == ["Older Pending"]
    assert _queue_names(staff_client, q="alice@example", status="all") == [
        "Changed App",
        "Newer Pending",
        "Quiet Approved",
    ]
    assert _queue_names(staff_client, q="nobody-matches") == []


def test_queue_htmx_request_gets_only_the_list(staff_client, queue):
    response = staff_client.get(reverse("staff:review_queue"), {"q": "older"}, **HTMX)
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert body.lstrip().startswith('<section id="queue"') and "Older Pending" in body
    assert "Newer Pending" not in body
    assert "HX-Request" in response["Vary"]
    full = staff_client.get(reverse("staff:review_queue")).content.decode()
    assert "<html" in full and 'hx-get="/staff/queue/"' in full


def test_review_page_shows_what_a_reviewer_needs(staff_client, alice, make_app):
    app, _ = make_app(
        alice,
        name="Photo Sync",
        review_status="pending",
        skip_authorization=False,
        redirect_uris=["https://photos.example.com/cb", "https://203.0.113.5:8443/cb", LOOPBACK_CALLBACK],
        description="Syncs photos.",
        homepage_url="https://photos.example.com/",
    )
    make_app(alice, name="Alice Other App")
    body = staff_client.get(reverse("staff:application_review", kwargs={"pk": app.pk})).content.decode()
    assert "Syncs photos." in body and app.client_id in body and "alice@example.com" in body
    assert "Alice Other App" in body
    assert "The host is an IP address (203.0.113.5)" in body and "Non-default port 8443" in body
    assert "Plain http on a loopback address" in body
    assert body.count('data-testid="uri-warning"') == 4  # IP, port, host differs, loopback http
    assert f'action="/staff/apps/{app.pk}/approve/"' in body


def test_redirect_uri_warnings():
    assert redirect_uri_warnings(uri="https://app.example.com/cb", homepage_url="https://example.com") == []
    assert (
        redirect_uri_warnings(uri="https://www.example.com/cb", homepage_url="https://www.example.com") == []
    )
    assert any(
        "differs" in w for w in redirect_uri_warnings(uri="https://evil.io/cb", homepage_url="https://a.io")
    )
    assert any("Private-use" in w for w in redirect_uri_warnings(uri="com.example.app:/cb"))
    assert any("localhost" in w for w in redirect_uri_warnings(uri="http://localhost:8080/cb"))
    assert any("query" in w for w in redirect_uri_warnings(uri="https://a.io/cb?x=1"))


def test_review_page_shows_a_change_before_and_after(staff_client, alice, make_app):
    app, _ = make_app(alice, name="Changing")
    app.proposed_changes = {"redirect_uris": "https://new.example.com/cb"}
    app.save()
    body = staff_client.get(reverse("staff:application_review", kwargs={"pk": app.pk})).content.decode()
    assert "Change waiting for review" in body
    assert f"<del>{LOOPBACK_CALLBACK}</del>" in body and "<ins>https://new.example.com/cb</ins>" in body
    assert "removes the app" in body  # it is trusted (make_app default)


def test_approve_without_javascript_redirects_with_a_message(staff_client, pending_app):
    version = _shown_version(staff_client, pending_app, "approve")
    url = reverse("staff:application_approve", kwargs={"pk": pending_app.pk})
    response = staff_client.post(url, {"approve-version": version}, follow=True)
    assert response.redirect_chain[-1][0] == reverse(
        "staff:application_review", kwargs={"pk": pending_app.pk}
    )
    assert "is approved" in response.content.decode()
    pending_app.refresh_from_db()
    assert pending_app.review_status == "approved"


def test_approve_with_htmx_swaps_the_review_partial(staff_client, pending_app):
    response = _decide(staff_client, pending_app, "approve", **HTMX)
    body = response.content.decode()
    assert (
        response.status_code == 200 and "<html" not in body and body.lstrip().startswith('<div id="review">')
    )
    assert 'data-testid="notice"' in body and "Approved" in body
    assert "Mark trusted" in body  # the next decision is offered


@pytest.mark.parametrize("headers", [{}, HTMX])
def test_reject_without_a_reason_is_a_form_error_and_nothing_changes(staff_client, pending_app, headers):
    url = reverse("staff:application_reject", kwargs={"pk": pending_app.pk})
    response = staff_client.post(url, {"reject-reason": ""}, **headers)
    assert response.status_code == (200 if headers else 400)
    assert "Give a reason: the developer is shown it." in response.content.decode()
    pending_app.refresh_from_db()
    assert pending_app.review_status == "pending" and not audit_events_but_personal_teams().exists()


def test_reject_with_a_reason(staff_client, pending_app, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = _decide(
            staff_client, pending_app, "reject", {"reject-reason": "Your homepage is empty."}, **HTMX
        )
    assert "Your homepage is empty." in response.content.decode()
    pending_app.refresh_from_db()
    assert pending_app.review_status == "rejected"
    assert "Your homepage is empty." in mail.outbox[0].body


def test_a_decision_that_no_longer_fits_is_explained(staff_client, approved_app):
    url = reverse("staff:application_reject", kwargs={"pk": approved_app.pk})
    response = staff_client.post(url, {"reject-reason": "late"}, **HTMX)
    assert response.status_code == 200 and "Suspend an approved app instead" in response.content.decode()


@pytest.mark.parametrize("headers", [{}, HTMX])
def test_allowing_a_grant_without_justification_stores_nothing(staff_client, approved_app, headers):
    url = reverse("staff:application_allow_grant", kwargs={"pk": approved_app.pk})
    response = staff_client.post(url, {"grant-grant": grants.PASSWORD, "grant-justification": ""}, **headers)
    assert "Write down why this app needs a deprecated grant." in response.content.decode()
    approved_app.refresh_from_db()
    assert approved_app.staff_allowed_grants == [] and approved_app.grant_types == [grants.AUTHORIZATION_CODE]
    assert not audit_events_but_personal_teams().exists()


def test_allowing_a_grant_with_justification(staff_client, approved_app):
    _decide(
        staff_client,
        approved_app,
        "allow_grant",
        {"grant-grant": grants.PASSWORD, "grant-justification": "Legacy device."},
    )
    approved_app.refresh_from_db()
    assert approved_app.staff_allowed_grants == [grants.PASSWORD]
    # Once allowed, it is no longer offered.
    page = staff_client.get(reverse("staff:application_review", kwargs={"pk": approved_app.pk}))
    assert grants.PASSWORD not in [c for c, _ in page.context["grant_form"].fields["grant"].choices]


def test_trust_suspend_reinstate_through_the_views(staff_client, approved_app):
    asked = _decide(staff_client, approved_app, "trust")
    approved_app.refresh_from_db()
    assert not approved_app.skip_authorization and 'data-testid="confirm-page"' in asked.content.decode()
    _decide(staff_client, approved_app, "trust", {"confirmed": "yes"})
    approved_app.refresh_from_db()
    assert approved_app.skip_authorization
    _decide(staff_client, approved_app, "suspend", {"suspend-reason": "Spam"})
    approved_app.refresh_from_db()
    assert approved_app.review_status == "suspended" and not approved_app.skip_authorization
    _decide(staff_client, approved_app, "reinstate")
    approved_app.refresh_from_db()
    assert approved_app.review_status == "approved"
    _decide(staff_client, approved_app, "trust", {"confirmed": "yes"})
    _decide(staff_client, approved_app, "untrust", {"confirmed": "yes"})
    approved_app.refresh_from_db()
    assert not approved_app.skip_authorization
    actions = list(audit_events_but_personal_teams().order_by("id").values_list("action", flat=True))
    assert actions == [
        AuditEvent.Action.APP_TRUSTED,
        AuditEvent.Action.APP_SUSPENDED,
        AuditEvent.Action.APP_REINSTATED,
        AuditEvent.Action.APP_TRUSTED,
        AuditEvent.Action.APP_UNTRUSTED,
    ]


def test_change_approve_and_reject_through_the_views(staff_client, approved_app):
    approved_app.proposed_changes = {"redirect_uris": "https://new.example.com/cb"}
    approved_app.save()
    _decide(staff_client, approved_app, "reject_change", {"reject_change-reason": "No."})
    approved_app.refresh_from_db()
    assert approved_app.proposed_changes == {} and approved_app.redirect_uris == LOOPBACK_CALLBACK
    approved_app.proposed_changes = {"redirect_uris": "https://new.example.com/cb"}
    approved_app.save()
    _decide(staff_client, approved_app, "approve_change")
    approved_app.refresh_from_db()
    assert approved_app.redirect_uris == "https://new.example.com/cb"


def test_review_page_shows_the_developers_terms_acceptance(staff_client, approved_app, alice):
    from portal.terms.models import TermsAcceptance, TermsVersion

    old = TermsVersion.objects.create(
        version="2025-01", body="Old.", published_at=timezone.now() - timedelta(days=9)
    )
    TermsAcceptance.objects.create(user=alice, version=old, ip_address="192.0.2.4")
    TermsVersion.objects.create(version="2026-11", body="New.")
    url = reverse("staff:application_review", kwargs={"pk": approved_app.pk})
    body = staff_client.get(url).content.decode()
    assert "Has not accepted the current terms (version 2026-11)" in body
    assert "Version 2025-01 accepted" in body and "192.0.2.4" in body


# --- The admin goes through the same services ------------------------------------------------------


@pytest.fixture
def admin_client(client, sam):
    sam.is_superuser = True
    sam.save()
    sign_in_with_second_factor(client, sam)
    return client


def _admin_version(page, app) -> str:
    return re.search(rf'name="version-{app.pk}" value="([0-9a-f]+)"', page.content.decode()).group(1)


def test_admin_approve_action_is_audited(admin_client, pending_app, sam):
    data = {"action": "approve_selected", "_selected_action": [pending_app.pk]}
    page = admin_client.post("/admin/clients/application/", data)
    assert page.status_code == 200 and LOOPBACK_CALLBACK in page.content.decode()  # what staff approve
    pending_app.refresh_from_db()
    assert pending_app.review_status == "pending"
    version = {f"version-{pending_app.pk}": _admin_version(page, pending_app)}
    response = admin_client.post("/admin/clients/application/", {**data, "apply": "1", **version})
    assert response.status_code == 302
    pending_app.refresh_from_db()
    assert pending_app.review_status == "approved"
    assert AuditEvent.objects.get(action=AuditEvent.Action.APP_APPROVED).actor == sam


def test_admin_suspend_action_asks_for_a_reason(admin_client, approved_app):
    data = {"action": "suspend_selected", "_selected_action": [approved_app.pk]}
    page = admin_client.post("/admin/clients/application/", data)
    assert page.status_code == 200 and "Why it is suspended" in page.content.decode()
    approved_app.refresh_from_db()
    assert approved_app.review_status == "approved"
    version = {f"version-{approved_app.pk}": _admin_version(page, approved_app)}
    admin_client.post(
        "/admin/clients/application/", {**data, "apply": "1", "suspend-reason": "Spam", **version}
    )
    approved_app.refresh_from_db()
    assert approved_app.review_status == "suspended" and approved_app.review_reason == "Spam"
    assert AuditEvent.objects.filter(action=AuditEvent.Action.APP_SUSPENDED).count() == 1


def test_admin_cannot_edit_review_fields_and_never_shows_the_secret(admin_client, pending_app):
    page = admin_client.get(f"/admin/clients/application/{pending_app.pk}/change/").content.decode()
    assert 'name="review_status"' not in page and 'name="skip_authorization"' not in page
    assert 'name="client_secret"' not in page and pending_app.client_secret not in page


@pytest.mark.django_db
def test_deleting_in_the_admin_is_audited_and_removes_the_logo(
    admin_client, alice, make_app, settings, tmp_path, django_capture_on_commit_callbacks
):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    settings.MEDIA_ROOT = tmp_path
    app, _secret = make_app(alice, name="Admin Deleted")
    app.logo.save("logo.png", ContentFile(b"png"), save=True)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"/admin/clients/application/{app.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not type(app).objects.filter(pk=app.pk).exists()
    assert not default_storage.exists(app.logo.name)
    assert AuditEvent.objects.get(action="app.deleted").application_label == "Admin Deleted"


def test_review_page_does_not_count_terms_scheduled_for_later_as_current(staff_client, approved_app, alice):
    # Staff and the developer console agree on the version in force (portal/terms/selectors.py): one
    # published for next week is not what the developer had to accept.
    from portal.terms.models import TermsAcceptance, TermsVersion

    now = TermsVersion.objects.create(version="2026-10", body="Now.", published_at=timezone.now())
    TermsAcceptance.objects.create(user=alice, version=now)
    TermsVersion.objects.create(
        version="2027-01", body="Later.", published_at=timezone.now() + timedelta(days=7)
    )
    url = reverse("staff:application_review", kwargs={"pk": approved_app.pk})
    body = staff_client.get(url).content.decode()
    assert "Accepted the current terms (version 2026-10)" in body
    assert "2027-01" not in body
