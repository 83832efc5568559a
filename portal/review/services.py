"""Staff decisions about apps. Every decision runs in one transaction and records one audit event (two when
approving a change also removes trust), so the log always says who decided
what, when, and from where. What each decision does is described once, in portal/review/decisions.py.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from portal.audit.models import AuditEvent
from portal.audit.services import audit_record
from portal.clients import grants
from portal.clients.services import application_set_introspection
from portal.review import decisions
from portal.review.decisions import REASON, STALE, Decision, ReviewError
from portal.review.emails import notify_developer

__all__ = [
    "ReviewError",
    "application_decide",
    "application_allow_deprecated_grant",
    "application_decide_introspection",
]


def _locked(application):
    # Re-read under a row lock: two reviewers clicking at once must not both act on a stale state.
    return type(application).objects.select_for_update().get(pk=application.pk)


def _check_version(app, version: str) -> None:
    """Refuse a decision taken on a page that no longer shows the app as it is (the developer changed it
    meanwhile): staff decide about what they saw, never about what came after."""
    if version != app.review_version():
        raise ReviewError(STALE)


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ReviewError("Give a reason: the developer is shown it.")
    return reason


@transaction.atomic
def application_decide(
    *,
    decision: Decision,
    application,
    reviewer,
    version: str,
    reason: str = "",
    request: HttpRequest | None = None,
):
    """Take a staff decision: check it fits the app as the reviewer saw it, set its fields, do its effect,
    audit it and tell the developer (after commit). Raises ReviewError, or ValidationError when applying a
    proposed change would leave the app invalid; either way nothing is stored."""
    reason = _require_reason(reason) if decision.needs_reason else ""
    app = _locked(application)
    refusal = decision.refusal_for(app)
    if refusal:
        raise ReviewError(refusal)
    _check_version(app, version)
    was_trusted = app.skip_authorization
    changes: dict[str, Any] = decision.effect(app) if decision.effect else {}
    for name, value in decision.sets.items():
        value = reason if value is REASON else value
        before = getattr(app, name)
        if before != value and name != "review_reason":
            changes.setdefault(name, [before, value])
        setattr(app, name, value)
    if decision.marks_reviewed:
        app.reviewed_at = timezone.now()
        app.reviewed_by = reviewer
    app.save()
    if reason:
        changes["reason"] = reason
    audit_record(
        actor=reviewer,
        action=decision.audit_action,
        application=app,
        changes=changes,
        request=request,
    )
    if was_trusted and not app.skip_authorization and decision.trust_removal_event:
        audit_record(
            actor=reviewer,
            action=AuditEvent.Action.APP_UNTRUSTED,
            application=app,
            changes={"skip_authorization": [True, False], "reason": f"{decision.label}: trust goes with it."},
            request=request,
        )
    if decision.email:
        notify_developer(application=app, kind=decision.email, request=request)
    # The caller's instance shows the state just saved, not the one it was given.
    application.refresh_from_db()
    return application


def _service(decision: Decision):
    """`application_<code>(*, application, reviewer, version, reason="", request=None)` for one decision."""

    def decide(*, application, reviewer, version: str, reason: str = "", request: HttpRequest | None = None):
        return application_decide(
            decision=decision,
            application=application,
            reviewer=reviewer,
            version=version,
            reason=reason,
            request=request,
        )

    decide.__name__ = decide.__qualname__ = f"application_{decision.code}"
    decide.__doc__ = decision.admin_description
    return decide


application_approve = _service(decisions.APPROVE)
application_reject = _service(decisions.REJECT)
application_approve_change = _service(decisions.APPROVE_CHANGE)
application_reject_change = _service(decisions.REJECT_CHANGE)
application_trust = _service(decisions.TRUST)
application_untrust = _service(decisions.UNTRUST)
application_reinstate = _service(decisions.REINSTATE)
application_suspend = _service(decisions.SUSPEND)


@transaction.atomic
def application_allow_deprecated_grant(
    *, application, reviewer, grant: str, justification: str, version: str, request: HttpRequest | None = None
):
    """Let this one app use a grant RFC 9700 deprecates (password, implicit, OIDC hybrid)."""
    if grant not in grants.DEPRECATED:
        raise ReviewError(f"{grant} is not a deprecated grant; developers choose other grants themselves.")
    justification = (justification or "").strip()
    if not justification:
        raise ReviewError("Write down why this app needs a deprecated grant.")
    app = _locked(application)
    _check_version(app, version)
    if grant in app.staff_allowed_grants:
        raise ReviewError(f"{grant} is already allowed for this app.")
    before_allowed, before_grants = list(app.staff_allowed_grants), app.registered_grant_types()
    app.staff_allowed_grants = [*app.staff_allowed_grants, grant]
    app.set_grant_types([*before_grants, grant])
    changes = {"staff_allowed_grants": [before_allowed, app.staff_allowed_grants]}
    if app.grant_types != before_grants:
        changes["grant_types"] = [before_grants, app.grant_types]
    app.full_clean()
    app.save()
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


@transaction.atomic
def application_decide_introspection(
    *, application, reviewer, allowed: bool, version: str, request: HttpRequest | None = None
) -> bool:
    """Staff let an app introspect other apps' tokens, or take that back. Allowing widens what the app may
    do, so like every other decision it must fit the app as the reviewer saw it; taking it back is always
    safe and needs no version. Returns whether anything changed."""
    app = _locked(application)
    if allowed:
        _check_version(app, version)
    changed = application_set_introspection(application=app, allowed=allowed, actor=reviewer, request=request)
    application.refresh_from_db()
    return changed
