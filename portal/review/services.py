"""Staff decisions about apps. Every function runs in one transaction and records one audit event (two when
a decision also removes trust), so the log always says who decided what, when, and from where."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from portal.audit.models import AuditEvent
from portal.audit.services import audit_record
from portal.clients import grants
from portal.clients.services import MATERIAL_FIELDS, revoke_everything_of
from portal.review.emails import notify_developer


class ReviewError(ValueError):
    """A decision that does not fit the app's current state; the message is shown to the reviewer."""


def _require_reason(reason: str, what: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ReviewError(f"Give a reason for {what}: the developer is shown it.")
    return reason


def _locked(application):
    # Re-read under a row lock: two reviewers clicking at once must not both act on a stale status.
    return type(application).objects.select_for_update().get(pk=application.pk)


def _mark_reviewed(application, reviewer) -> None:
    application.reviewed_at = timezone.now()
    application.reviewed_by = reviewer


def _status_changes(before: str, after: str, **facts) -> dict:
    return {"review_status": [before, after], **facts}


@transaction.atomic
def application_approve(*, application, reviewer, request: HttpRequest | None = None):
    app = _locked(application)
    Status = type(app).ReviewStatus
    if app.review_status not in (Status.PENDING, Status.REJECTED):
        raise ReviewError(f"Only a pending or rejected app can be approved; this one is {app.review_status}.")
    before = app.review_status
    app.review_status = Status.APPROVED
    app.review_reason = ""
    _mark_reviewed(app, reviewer)
    app.save(update_fields=["review_status", "review_reason", "reviewed_at", "reviewed_by", "updated"])
    audit_record(
        actor=reviewer,
        action=AuditEvent.Action.APP_APPROVED,
        application=app,
        changes=_status_changes(before, app.review_status),
        request=request,
    )
    notify_developer(application=app, kind="approved", request=request)
    # The caller's instance shows the state just saved, not the one it was given.
    application.refresh_from_db()
    return application


@transaction.atomic
def application_reject(*, application, reviewer, reason: str, request: HttpRequest | None = None):
    reason = _require_reason(reason, "rejecting the app")
    app = _locked(application)
    Status = type(app).ReviewStatus
    if app.review_status != Status.PENDING:
        raise ReviewError(
            f"Only a pending app can be rejected; this one is {app.review_status}. "
            "Suspend an approved app instead."
        )
    app.review_status = Status.REJECTED
    app.review_reason = reason
    app.skip_authorization = False
    _mark_reviewed(app, reviewer)
    app.save(
        update_fields=[
            "review_status",
            "review_reason",
            "skip_authorization",
            "reviewed_at",
            "reviewed_by",
            "updated",
        ]
    )
    audit_record(
        actor=reviewer,
        action=AuditEvent.Action.APP_REJECTED,
        application=app,
        changes=_status_changes(Status.PENDING, Status.REJECTED, reason=reason),
        request=request,
    )
    notify_developer(application=app, kind="rejected", request=request)
    # The caller's instance shows the state just saved, not the one it was given.
    application.refresh_from_db()
    return application


def _apply_proposed(app, proposed: dict) -> dict:
    """Put the proposed values into the live fields; returns {"field": [before, after]}."""
    unknown = sorted(set(proposed) - set(MATERIAL_FIELDS))
    if unknown:
        raise ReviewError(f"The proposed change contains fields staff cannot apply: {', '.join(unknown)}.")
    changes = {}
    for name in MATERIAL_FIELDS:
        if name not in proposed:
            continue
        value = proposed[name]
        if name == "redirect_uris":
            value = " ".join(value.split()) if isinstance(value, str) else " ".join(value)
        elif name == "grant_types":
            value = list(value)
        before = getattr(app, name)
        if before != value:
            changes[name] = [before, value]
        setattr(app, name, value)
    if "grant_types" in changes and app.grant_types:
        # DOT's own code reads the single `authorization_grant_type`: keep it one of the app's grants.
        if app.authorization_grant_type not in app.grant_types:
            changes["authorization_grant_type"] = [app.authorization_grant_type, app.grant_types[0]]
            app.authorization_grant_type = app.grant_types[0]
        if grants.AUTHORIZATION_CODE in app.grant_types and not app.algorithm:
            app.algorithm = type(app).RS256_ALGORITHM
    return changes


@transaction.atomic
def application_approve_change(*, application, reviewer, request: HttpRequest | None = None):
    """Apply a material change to an approved app. A trusted app loses its trust: staff trusted what they
    reviewed, not the new redirect URIs or grants, and can trust it again after a look."""
    app = _locked(application)
    if not app.proposed_changes:
        raise ReviewError("This app has no change waiting for review.")
    proposed = dict(app.proposed_changes)
    changes = _apply_proposed(app, proposed)
    app.proposed_changes = {}
    app.review_reason = ""  # an earlier rejected proposal's reason no longer applies
    was_trusted = app.skip_authorization
    if was_trusted:
        app.skip_authorization = False
        changes["skip_authorization"] = [True, False]
    _mark_reviewed(app, reviewer)
    # The change was valid when the developer proposed it; the rules may have tightened since.
    app.full_clean()
    app.save()
    audit_record(
        actor=reviewer,
        action=AuditEvent.Action.CHANGE_APPROVED,
        application=app,
        changes=changes,
        request=request,
    )
    if was_trusted:
        audit_record(
            actor=reviewer,
            action=AuditEvent.Action.APP_UNTRUSTED,
            application=app,
            changes={"skip_authorization": [True, False], "reason": "A material change was approved."},
            request=request,
        )
    notify_developer(application=app, kind="change_approved", request=request)
    # The caller's instance shows the state just saved, not the one it was given.
    application.refresh_from_db()
    return application


@transaction.atomic
def application_reject_change(*, application, reviewer, reason: str, request: HttpRequest | None = None):
    reason = _require_reason(reason, "rejecting the change")
    app = _locked(application)
    if not app.proposed_changes:
        raise ReviewError("This app has no change waiting for review.")
    proposed = app.proposed_changes
    app.proposed_changes = {}
    app.review_reason = reason
    _mark_reviewed(app, reviewer)
    app.save(update_fields=["proposed_changes", "review_reason", "reviewed_at", "reviewed_by", "updated"])
    audit_record(
        actor=reviewer,
        action=AuditEvent.Action.CHANGE_REJECTED,
        application=app,
        changes={"proposed_changes": [proposed, {}], "reason": reason},
        request=request,
    )
    notify_developer(application=app, kind="change_rejected", request=request)
    # The caller's instance shows the state just saved, not the one it was given.
    application.refresh_from_db()
    return application


def _set_trust(application, reviewer, trusted: bool, request):
    app = _locked(application)
    if trusted and not app.is_approved:
        raise ReviewError(f"Only an approved app can be trusted; this one is {app.review_status}.")
    if app.skip_authorization == trusted:
        raise ReviewError("This app is already trusted." if trusted else "This app is not trusted.")
    app.skip_authorization = trusted
    app.save(update_fields=["skip_authorization", "updated"])
    audit_record(
        actor=reviewer,
        action=AuditEvent.Action.APP_TRUSTED if trusted else AuditEvent.Action.APP_UNTRUSTED,
        application=app,
        changes={"skip_authorization": [not trusted, trusted]},
        request=request,
    )
    # The caller's instance shows the state just saved, not the one it was given.
    application.refresh_from_db()
    return application


@transaction.atomic
def application_trust(*, application, reviewer, request: HttpRequest | None = None):
    """End users of a trusted app see no consent screen (DOT's `skip_authorization`)."""
    return _set_trust(application, reviewer, True, request)


@transaction.atomic
def application_untrust(*, application, reviewer, request: HttpRequest | None = None):
    return _set_trust(application, reviewer, False, request)


@transaction.atomic
def application_suspend(*, application, reviewer, reason: str, request: HttpRequest | None = None):
    """Stop an app at once: it gets no codes or tokens (the validator refuses it with invalid_client) and
    everything it holds is revoked. Trust is removed too; reinstating does not silently bring it back."""
    reason = _require_reason(reason, "suspending the app")
    app = _locked(application)
    Status = type(app).ReviewStatus
    if app.review_status == Status.SUSPENDED:
        raise ReviewError("This app is already suspended.")
    before = app.review_status
    was_trusted = app.skip_authorization
    app.review_status = Status.SUSPENDED
    app.review_reason = reason
    app.skip_authorization = False
    _mark_reviewed(app, reviewer)
    app.save(
        update_fields=[
            "review_status",
            "review_reason",
            "skip_authorization",
            "reviewed_at",
            "reviewed_by",
            "updated",
        ]
    )
    revoked = revoke_everything_of(app)
    changes = _status_changes(before, Status.SUSPENDED, reason=reason, revoked=revoked)
    if was_trusted:
        changes["skip_authorization"] = [True, False]
    audit_record(
        actor=reviewer,
        action=AuditEvent.Action.APP_SUSPENDED,
        application=app,
        changes=changes,
        request=request,
    )
    notify_developer(application=app, kind="suspended", request=request)
    # The caller's instance shows the state just saved, not the one it was given.
    application.refresh_from_db()
    return application


@transaction.atomic
def application_reinstate(*, application, reviewer, request: HttpRequest | None = None):
    app = _locked(application)
    Status = type(app).ReviewStatus
    if app.review_status != Status.SUSPENDED:
        raise ReviewError(f"Only a suspended app can be reinstated; this one is {app.review_status}.")
    app.review_status = Status.APPROVED
    app.review_reason = ""
    _mark_reviewed(app, reviewer)
    app.save(update_fields=["review_status", "review_reason", "reviewed_at", "reviewed_by", "updated"])
    audit_record(
        actor=reviewer,
        action=AuditEvent.Action.APP_REINSTATED,
        application=app,
        changes=_status_changes(Status.SUSPENDED, Status.APPROVED),
        request=request,
    )
    notify_developer(application=app, kind="reinstated", request=request)
    # The caller's instance shows the state just saved, not the one it was given.
    application.refresh_from_db()
    return application


@transaction.atomic
def application_allow_deprecated_grant(
    *, application, reviewer, grant: str, justification: str, request: HttpRequest | None = None
):
    """Let this one app use a grant RFC 9700 deprecates (password, implicit, OIDC hybrid)."""
    if grant not in grants.DEPRECATED:
        raise ReviewError(f"{grant} is not a deprecated grant; developers choose other grants themselves.")
    justification = (justification or "").strip()
    if not justification:
        raise ReviewError("Write down why this app needs a deprecated grant.")
    app = _locked(application)
    if grant in app.staff_allowed_grants:
        raise ReviewError(f"{grant} is already allowed for this app.")
    changes = {"staff_allowed_grants": [list(app.staff_allowed_grants), [*app.staff_allowed_grants, grant]]}
    app.staff_allowed_grants = [*app.staff_allowed_grants, grant]
    if grant not in app.grant_types:
        changes["grant_types"] = [list(app.grant_types), [*app.grant_types, grant]]
        app.grant_types = [*app.grant_types, grant]
    app.full_clean()
    app.save(update_fields=["staff_allowed_grants", "grant_types", "updated"])
    audit_record(
        actor=reviewer,
        action=AuditEvent.Action.GRANT_ALLOWED,
        application=app,
        changes={**changes, "grant": grant, "justification": justification},
        request=request,
    )
    # The caller's instance shows the state just saved, not the one it was given.
    application.refresh_from_db()
    return application
