"""Staff decisions: their effect on the app, the audit event with before/after, the developer's email."""

from __future__ import annotations

import base64

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import transaction
from django.test import RequestFactory

from portal.audit.models import AuditEvent
from portal.clients import grants
from portal.review import services
from tests.helpers.constants import LOOPBACK_CALLBACK
from tests.helpers.review import audit_events_but_personal_teams, token_counts

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_request(sam):
    request = RequestFactory().post("/staff/", REMOTE_ADDR="198.51.100.7")
    request.user = sam
    return request


def _event(action):
    return AuditEvent.objects.get(action=action)


def test_approve(pending_app, sam, staff_request, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.application_approve(
            application=pending_app, reviewer=sam, version=pending_app.review_version(), request=staff_request
        )
    assert pending_app.review_status == "approved" and pending_app.reviewed_by == sam
    assert pending_app.reviewed_at is not None
    event = _event(AuditEvent.Action.APP_APPROVED)
    assert event.actor == sam and event.application == pending_app and event.ip_address == "198.51.100.7"
    assert event.changes == {"review_status": ["pending", "approved"]}
    (message,) = mail.outbox
    assert message.to == ["alice@example.com"]
    assert "Pending App is approved" in message.subject and pending_app.client_id in message.body


class _LaterFailure(Exception):
    """Something after the decision, in the same transaction, that fails."""


def test_no_email_when_the_decision_is_rolled_back(pending_app, sam, django_capture_on_commit_callbacks):
    # The decision is taken, then the transaction around it rolls back: the app stays pending, no audit
    # event remains, and the developer is not told about a decision that never happened.
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(_LaterFailure),
        transaction.atomic(),
    ):
        services.application_approve(
            application=pending_app, reviewer=sam, version=pending_app.review_version()
        )
        raise _LaterFailure
    pending_app.refresh_from_db()
    assert pending_app.review_status == "pending" and pending_app.reviewed_by is None
    assert not audit_events_but_personal_teams().exists()
    assert callbacks == [] and mail.outbox == []


def test_the_email_waits_for_the_commit(pending_app, sam, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.application_approve(
            application=pending_app, reviewer=sam, version=pending_app.review_version()
        )
    assert len(callbacks) == 1 and mail.outbox == []  # sent only once the transaction commits


def test_reject_needs_a_reason_and_tells_the_developer(
    pending_app, sam, staff_request, django_capture_on_commit_callbacks
):
    def reject(reason: str):
        return services.application_reject(
            application=pending_app,
            reviewer=sam,
            version=pending_app.review_version(),
            reason=reason,
            request=staff_request,
        )

    with pytest.raises(services.ReviewError):
        reject("  ")
    pending_app.refresh_from_db()
    assert pending_app.review_status == "pending" and not audit_events_but_personal_teams().exists()

    with django_capture_on_commit_callbacks(execute=True):
        reject("Add a privacy policy.")
    assert pending_app.review_status == "rejected" and pending_app.review_reason == "Add a privacy policy."
    assert _event(AuditEvent.Action.APP_REJECTED).changes == {
        "review_status": ["pending", "rejected"],
        "reason": "Add a privacy policy.",
    }
    assert "Add a privacy policy." in mail.outbox[0].body
    assert "was not approved" in mail.outbox[0].subject


def test_a_rejected_app_can_be_approved_later_and_the_reason_is_cleared(pending_app, sam):
    services.application_reject(
        application=pending_app, reviewer=sam, version=pending_app.review_version(), reason="Fix it."
    )
    services.application_approve(application=pending_app, reviewer=sam, version=pending_app.review_version())
    assert pending_app.review_status == "approved" and pending_app.review_reason == ""


def test_an_approved_app_cannot_be_rejected_or_approved_again(approved_app, sam):
    with pytest.raises(services.ReviewError, match="Suspend"):
        services.application_reject(
            application=approved_app, reviewer=sam, version=approved_app.review_version(), reason="x"
        )
    with pytest.raises(services.ReviewError):
        services.application_approve(
            application=approved_app, reviewer=sam, version=approved_app.review_version()
        )


def test_trust_only_for_approved_apps(pending_app, approved_app, sam, staff_request):
    with pytest.raises(services.ReviewError, match="approved"):
        services.application_trust(
            application=pending_app, reviewer=sam, version=pending_app.review_version()
        )
    services.application_trust(
        application=approved_app, reviewer=sam, version=approved_app.review_version(), request=staff_request
    )
    assert approved_app.skip_authorization is True
    assert _event(AuditEvent.Action.APP_TRUSTED).changes == {"skip_authorization": [False, True]}
    with pytest.raises(services.ReviewError, match="already"):
        services.application_trust(
            application=approved_app, reviewer=sam, version=approved_app.review_version()
        )
    services.application_untrust(
        application=approved_app, reviewer=sam, version=approved_app.review_version(), request=staff_request
    )
    assert approved_app.skip_authorization is False
    assert _event(AuditEvent.Action.APP_UNTRUSTED).changes == {"skip_authorization": [True, False]}


def _propose(app, **changes):
    app.proposed_changes = changes
    app.save(update_fields=["proposed_changes"])


def test_approving_a_change_applies_it_and_removes_trust(
    approved_app, sam, staff_request, django_capture_on_commit_callbacks
):
    services.application_trust(application=approved_app, reviewer=sam, version=approved_app.review_version())
    new_uris = f"{LOOPBACK_CALLBACK} https://app.example.com/callback"
    _propose(
        approved_app,
        redirect_uris=new_uris,
        grant_types=[grants.AUTHORIZATION_CODE, grants.CLIENT_CREDENTIALS],
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.application_approve_change(
            application=approved_app,
            reviewer=sam,
            version=approved_app.review_version(),
            request=staff_request,
        )
    assert approved_app.redirect_uris == new_uris
    assert approved_app.grant_types == [grants.AUTHORIZATION_CODE, grants.CLIENT_CREDENTIALS]
    assert approved_app.proposed_changes == {} and approved_app.skip_authorization is False
    assert approved_app.review_status == "approved"
    changes = _event(AuditEvent.Action.CHANGE_APPROVED).changes
    assert changes["redirect_uris"] == [LOOPBACK_CALLBACK, new_uris]
    assert changes["grant_types"] == [
        [grants.AUTHORIZATION_CODE],
        [grants.AUTHORIZATION_CODE, grants.CLIENT_CREDENTIALS],
    ]
    assert changes["skip_authorization"] == [True, False]
    # Trust removal is its own event too, so filtering the log by "Trust removed" finds it.
    assert AuditEvent.objects.filter(action=AuditEvent.Action.APP_UNTRUSTED).count() == 1
    assert "is approved" in mail.outbox[0].subject


def test_approving_a_change_of_the_main_grant_keeps_dots_field_consistent(approved_app, sam):
    _propose(approved_app, grant_types=[grants.CLIENT_CREDENTIALS], redirect_uris="")
    services.application_approve_change(
        application=approved_app, reviewer=sam, version=approved_app.review_version()
    )
    assert approved_app.authorization_grant_type == grants.CLIENT_CREDENTIALS
    assert approved_app.allows_grant_type(grants.CLIENT_CREDENTIALS)
    assert not approved_app.allows_grant_type(grants.AUTHORIZATION_CODE)


def test_a_change_that_breaks_the_rules_is_not_applied(approved_app, sam):
    _propose(approved_app, redirect_uris="http://evil.example.com/callback")
    with pytest.raises(ValidationError):
        services.application_approve_change(
            application=approved_app, reviewer=sam, version=approved_app.review_version()
        )
    approved_app.refresh_from_db()
    assert approved_app.redirect_uris == LOOPBACK_CALLBACK and approved_app.proposed_changes
    assert not audit_events_but_personal_teams().exists()


def test_rejecting_a_change_keeps_the_live_settings_and_trust(
    approved_app, sam, django_capture_on_commit_callbacks
):
    services.application_trust(application=approved_app, reviewer=sam, version=approved_app.review_version())
    _propose(approved_app, redirect_uris="https://other.example.net/cb")
    with pytest.raises(services.ReviewError):
        services.application_reject_change(
            application=approved_app, reviewer=sam, version=approved_app.review_version(), reason=""
        )
    with django_capture_on_commit_callbacks(execute=True):
        services.application_reject_change(
            application=approved_app,
            reviewer=sam,
            version=approved_app.review_version(),
            reason="That host is not yours.",
        )
    assert approved_app.redirect_uris == LOOPBACK_CALLBACK and approved_app.proposed_changes == {}
    assert approved_app.skip_authorization is True and approved_app.review_status == "approved"
    assert approved_app.review_reason == "That host is not yours."
    changes = _event(AuditEvent.Action.CHANGE_REJECTED).changes
    assert changes == {
        "proposed_changes": [{"redirect_uris": "https://other.example.net/cb"}, {}],
        "reason": "That host is not yours.",
    }
    assert "That host is not yours." in mail.outbox[0].body


def test_no_change_no_change_decision(approved_app, sam):
    with pytest.raises(services.ReviewError):
        services.application_approve_change(
            application=approved_app, reviewer=sam, version=approved_app.review_version()
        )
    with pytest.raises(services.ReviewError):
        services.application_reject_change(
            application=approved_app, reviewer=sam, version=approved_app.review_version(), reason="x"
        )


def _basic(app, secret):
    return "Basic " + base64.b64encode(f"{app.client_id}:{secret}".encode()).decode()


def test_suspension_revokes_everything_at_once_and_refuses_new_tokens(
    client, alice, erin, sam, make_app, issue_tokens, staff_request, django_capture_on_commit_callbacks
):
    app, secret = make_app(alice, grant_types=[grants.AUTHORIZATION_CODE, grants.CLIENT_CREDENTIALS])
    other, _other_secret = make_app(alice, name="Other App")
    tokens = issue_tokens(app, erin)
    other_tokens = issue_tokens(other, erin)
    assert client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {tokens['access']}").status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        services.application_suspend(
            application=app,
            reviewer=sam,
            version=app.review_version(),
            reason="Phishing reports.",
            request=staff_request,
        )

    assert app.review_status == "suspended" and app.review_reason == "Phishing reports."
    assert app.skip_authorization is False  # trust does not come back by itself on reinstatement
    assert token_counts(app) == {"access": 0, "refresh": 0, "id": 0, "codes": 0, "device": 0}
    assert token_counts(other) == {"access": 1, "refresh": 1, "id": 1, "codes": 1, "device": 1}
    assert client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {tokens['access']}").status_code == 401
    assert client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {other_tokens['access']}").status_code == 200

    for data in (
        {"grant_type": "client_credentials", "scope": "read"},
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh"]},
    ):
        response = client.post("/o/token/", data, HTTP_AUTHORIZATION=_basic(app, secret))
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_client"
        assert "suspended" in response.json()["error_description"]

    changes = _event(AuditEvent.Action.APP_SUSPENDED).changes
    assert changes["review_status"] == ["approved", "suspended"]
    assert changes["reason"] == "Phishing reports."
    assert changes["skip_authorization"] == [True, False]
    assert changes["revoked"] == {
        "access_tokens": 1,
        "refresh_tokens": 1,
        "id_tokens": 1,
        "authorization_codes": 1,
        "device_grants": 1,
    }
    (message,) = mail.outbox
    assert "suspended" in message.subject and "Phishing reports." in message.body


def test_suspend_needs_a_reason(approved_app, sam):
    with pytest.raises(services.ReviewError):
        services.application_suspend(
            application=approved_app, reviewer=sam, version=approved_app.review_version(), reason=""
        )
    approved_app.refresh_from_db()
    assert approved_app.review_status == "approved"


def test_reinstate_returns_a_suspended_app_to_approved(approved_app, sam, staff_request):
    with pytest.raises(services.ReviewError):
        services.application_reinstate(
            application=approved_app, reviewer=sam, version=approved_app.review_version()
        )
    services.application_suspend(
        application=approved_app, reviewer=sam, version=approved_app.review_version(), reason="Abuse"
    )
    with pytest.raises(services.ReviewError, match="already"):
        services.application_suspend(
            application=approved_app, reviewer=sam, version=approved_app.review_version(), reason="Abuse"
        )
    services.application_reinstate(
        application=approved_app, reviewer=sam, version=approved_app.review_version(), request=staff_request
    )
    assert approved_app.review_status == "approved" and approved_app.review_reason == ""
    assert _event(AuditEvent.Action.APP_REINSTATED).changes == {"review_status": ["suspended", "approved"]}


def test_allowing_a_deprecated_grant_needs_a_justification(approved_app, sam, staff_request):
    with pytest.raises(services.ReviewError, match="why"):
        services.application_allow_deprecated_grant(
            application=approved_app,
            reviewer=sam,
            version=approved_app.review_version(),
            grant=grants.PASSWORD,
            justification=" ",
        )
    with pytest.raises(services.ReviewError, match="not a deprecated grant"):
        services.application_allow_deprecated_grant(
            application=approved_app,
            reviewer=sam,
            version=approved_app.review_version(),
            grant=grants.CLIENT_CREDENTIALS,
            justification="x",
        )
    approved_app.refresh_from_db()
    assert approved_app.staff_allowed_grants == [] and not audit_events_but_personal_teams().exists()

    services.application_allow_deprecated_grant(
        application=approved_app,
        reviewer=sam,
        version=approved_app.review_version(),
        grant=grants.PASSWORD,
        justification="Legacy TV app, migrating to device flow by June.",
        request=staff_request,
    )
    assert approved_app.staff_allowed_grants == [grants.PASSWORD]
    assert approved_app.grant_types == [grants.AUTHORIZATION_CODE, grants.PASSWORD]
    assert approved_app.allows_grant_type(grants.PASSWORD)
    changes = _event(AuditEvent.Action.GRANT_ALLOWED).changes
    assert changes["justification"] == "Legacy TV app, migrating to device flow by June."
    assert changes["staff_allowed_grants"] == [[], [grants.PASSWORD]]
    with pytest.raises(services.ReviewError, match="already"):
        services.application_allow_deprecated_grant(
            application=approved_app,
            reviewer=sam,
            version=approved_app.review_version(),
            grant=grants.PASSWORD,
            justification="again",
        )


def test_a_grant_the_developer_already_listed_is_not_listed_twice(alice, sam, make_app):
    app, _secret = make_app(alice, grant_types=[grants.AUTHORIZATION_CODE, grants.IMPLICIT])
    assert not app.allows_grant_type(grants.IMPLICIT)
    services.application_allow_deprecated_grant(
        application=app,
        reviewer=sam,
        version=app.review_version(),
        grant=grants.IMPLICIT,
        justification="Old SPA.",
    )
    assert app.grant_types == [grants.AUTHORIZATION_CODE, grants.IMPLICIT]
    assert app.allows_grant_type(grants.IMPLICIT)
    assert "grant_types" not in _event(AuditEvent.Action.GRANT_ALLOWED).changes


@pytest.mark.django_db
def test_the_developer_sees_why_a_change_was_rejected_until_a_new_one_is_proposed(
    client, alice, sam, make_app
):
    from portal.clients.services import application_update
    from portal.review.services import application_reject_change

    app, _secret = make_app(alice)
    values = {"redirect_uris": "https://new.example/cb"}
    application_update(application=app, values=values, logo=None, actor=alice, request=None)
    application_reject_change(
        application=app,
        reviewer=sam,
        version=app.review_version(),
        reason="new.example is not your domain",
        request=None,
    )
    client.force_login(alice)
    page = client.get(f"/developer/apps/{app.pk}/").content.decode()
    assert "Staff did not approve your last change." in page and "new.example is not your domain" in page

    app.refresh_from_db()
    application_update(
        application=app,
        values={"redirect_uris": "https://mine.example/cb"},
        logo=None,
        actor=alice,
        request=None,
    )
    page = client.get(f"/developer/apps/{app.pk}/").content.decode()
    assert "new.example is not your domain" not in page and "Change waiting for staff review" in page
