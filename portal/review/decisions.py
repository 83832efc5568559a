"""Staff decisions about an app, each described once: the states it may start from, whether it needs a
reason, the fields it sets, what else it does, its audit action, the email the developer gets and the notice
staff see. Services, views, URLs, admin actions, the review page's forms and which of them are offered are
all derived from this table (portal/review/services.py, views.py, urls.py, forms.py, admin.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError

from portal.audit.models import AuditEvent
from portal.clients.models import REVIEWED_FIELDS, ReviewStatus
from portal.clients.services import proposed_logo_discard, replace_logo_after_commit, revoke_everything_of

# Stands for "the reason staff typed" among the fields a decision sets.
REASON = object()
ALL_STATES = frozenset(ReviewStatus.values)
STALE = "The app changed while you were looking; review it again. Nothing was applied."
TRUST_REMOVED = "The app is no longer trusted; trust it again if the change warrants it."


class ReviewError(ValueError):
    """A decision that does not fit the app's current state; the message is shown to the reviewer."""


def _apply_proposal(app) -> dict[str, Any]:
    """Put the proposed values into the live fields; returns {"field": [before, after]}."""
    proposed = dict(app.proposed_changes)
    unknown = sorted(set(proposed) - set(REVIEWED_FIELDS))
    if unknown:
        raise ReviewError(f"The proposed change contains fields staff cannot apply: {', '.join(unknown)}.")
    changes = {}
    for name, value in proposed.items():
        if name == "logo":
            changes[name] = [app.logo.name or None, value]
            replace_logo_after_commit(app, value)
            continue
        before = app.registered_grant_types() if name == "grant_types" else getattr(app, name)
        if name == "grant_types":
            app.set_grant_types(value)
        else:
            setattr(app, name, value)
        after = getattr(app, name)
        if before != after:
            changes[name] = [before, after]
    # The change was valid when the developer proposed it; the rules may have tightened since.
    app.full_clean()
    return changes


def _discard_proposal(app) -> dict[str, Any]:
    proposed_logo_discard(app)
    return {}


def _revoke_everything(app) -> dict[str, Any]:
    # Suspension stops the app at once: nothing it holds keeps working.
    return {"revoked": revoke_everything_of(app)}


def _always(app) -> bool:
    return True


@dataclass(frozen=True)
class Decision:
    code: str
    path: str  # under /staff/apps/<pk>/
    label: str  # the button
    help: str  # the sentence above the button
    from_states: frozenset[str]
    refusal: str  # when the app's status is not one of from_states; {status} is filled in
    sets: Mapping[str, Any]
    audit_action: str
    notice: str  # {name} is filled in
    admin_description: str
    email: str | None = None
    reason_label: str = ""  # non-empty: a reason the developer is shown is required
    when: Callable[[Any], bool] = _always  # a further condition on the app ...
    when_refusal: str = ""  # ... and what staff are told when it does not hold
    effect: Callable[[Any], dict[str, Any]] | None = None  # runs before `sets`; returns audit facts
    marks_reviewed: bool = True
    # Removing trust as a side effect is also its own "Trust removed" event, so filtering the log by it
    # finds it (a suspension says so in its own event: everything the app had is gone anyway).
    trust_removal_event: bool = False
    style: str = ""  # the button's class: "" is the primary action
    section: str = "status"  # "change" (in the proposal's box), "status" or "danger"

    @property
    def needs_reason(self) -> bool:
        return bool(self.reason_label)

    @property
    def url_name(self) -> str:
        return f"staff:application_{self.code}"

    def refusal_for(self, app) -> str | None:
        """Why this decision does not fit the app now, or None when it does."""
        if app.review_status not in self.from_states:
            return self.refusal.format(status=app.get_review_status_display().lower())
        if not self.when(app):
            return self.when_refusal
        return None

    def allows(self, app) -> bool:
        return self.refusal_for(app) is None

    def notice_for(self, app, *, trust_removed: bool) -> str:
        notice = self.notice.format(name=app.name)
        return f"{notice} {TRUST_REMOVED}" if trust_removed else notice


def _has_proposal(app) -> bool:
    return app.has_proposed_changes


def _is_trusted(app) -> bool:
    return app.skip_authorization


def _is_not_trusted(app) -> bool:
    return not app.skip_authorization


APPROVE = Decision(
    code="approve",
    path="approve/",
    label="Approve",
    help="Approve: the app can get codes and tokens, and the developer is told by email.",
    from_states=frozenset({ReviewStatus.PENDING, ReviewStatus.REJECTED}),
    refusal="Only a pending or rejected app can be approved; this one is {status}.",
    sets={"review_status": ReviewStatus.APPROVED, "review_reason": ""},
    audit_action=AuditEvent.Action.APP_APPROVED,
    email="approved",
    notice="{name} is approved. The developer has been told by email.",
    admin_description="Approve selected apps",
)
REJECT = Decision(
    code="reject",
    path="reject/",
    label="Reject",
    help="",
    from_states=frozenset({ReviewStatus.PENDING}),
    refusal="Only a pending app can be rejected; this one is {status}. Suspend an approved app instead.",
    reason_label="Why it is not approved (the developer sees this)",
    sets={"review_status": ReviewStatus.REJECTED, "review_reason": REASON, "skip_authorization": False},
    audit_action=AuditEvent.Action.APP_REJECTED,
    email="rejected",
    notice="{name} is rejected. The developer has been told why.",
    admin_description="Reject selected apps (asks for a reason)",
    style="secondary",
)
APPROVE_CHANGE = Decision(
    code="approve_change",
    path="change/approve/",
    label="Approve change",
    help="The proposed values go live. A trusted app loses its trust: staff trusted what they reviewed.",
    from_states=ALL_STATES,
    refusal="",
    when=_has_proposal,
    when_refusal="This app has no change waiting for review.",
    effect=_apply_proposal,
    sets={"proposed_changes": {}, "review_reason": "", "skip_authorization": False},
    audit_action=AuditEvent.Action.CHANGE_APPROVED,
    trust_removal_event=True,
    email="change_approved",
    notice="The change is approved and live.",
    admin_description="Approve the changes waiting on selected apps",
    section="change",
)
REJECT_CHANGE = Decision(
    code="reject_change",
    path="change/reject/",
    label="Reject change",
    help="",
    from_states=ALL_STATES,
    refusal="",
    when=_has_proposal,
    when_refusal="This app has no change waiting for review.",
    reason_label="Why the change is not approved (the developer sees this)",
    effect=_discard_proposal,
    sets={"proposed_changes": {}, "review_reason": REASON},
    audit_action=AuditEvent.Action.CHANGE_REJECTED,
    email="change_rejected",
    notice="The change is rejected; the app keeps its current settings.",
    admin_description="Reject the changes waiting on selected apps (asks for a reason)",
    style="secondary",
    section="change",
)
TRUST = Decision(
    code="trust",
    path="trust/",
    label="Mark trusted",
    help="Trust: its users are not asked for consent. Only for apps the operator vouches for.",
    from_states=frozenset({ReviewStatus.APPROVED}),
    refusal="Only an approved app can be trusted; this one is {status}.",
    when=_is_not_trusted,
    when_refusal="This app is already trusted.",
    sets={"skip_authorization": True},
    marks_reviewed=False,
    audit_action=AuditEvent.Action.APP_TRUSTED,
    notice="{name} is trusted: its users see no consent screen.",
    admin_description="Mark selected apps trusted (no consent screen)",
    style="outline",
)
UNTRUST = Decision(
    code="untrust",
    path="untrust/",
    label="Remove trust",
    help="Its users currently see no consent screen.",
    from_states=ALL_STATES,
    refusal="",
    when=_is_trusted,
    when_refusal="This app is not trusted.",
    sets={"skip_authorization": False},
    marks_reviewed=False,
    audit_action=AuditEvent.Action.APP_UNTRUSTED,
    notice="{name} is no longer trusted: its users are asked for consent.",
    admin_description="Remove trust from selected apps",
    style="outline secondary",
)
REINSTATE = Decision(
    code="reinstate",
    path="reinstate/",
    label="Reinstate",
    help="Reinstate: approved again, as it is shown here. Trust is not restored; tokens revoked at "
    "suspension stay revoked; a change waiting for review still waits.",
    from_states=frozenset({ReviewStatus.SUSPENDED}),
    refusal="Only a suspended app can be reinstated; this one is {status}.",
    sets={"review_status": ReviewStatus.APPROVED, "review_reason": ""},
    audit_action=AuditEvent.Action.APP_REINSTATED,
    email="reinstated",
    notice="{name} is reinstated and approved again.",
    admin_description="Reinstate selected suspended apps",
)
SUSPEND = Decision(
    code="suspend",
    path="suspend/",
    label="Suspend app",
    help="Suspending revokes every token, code and device grant the app holds, at once, and refuses it "
    "new ones.",
    from_states=ALL_STATES - {ReviewStatus.SUSPENDED},
    refusal="This app is already suspended.",
    reason_label="Why it is suspended (the developer sees this)",
    effect=_revoke_everything,
    sets={"review_status": ReviewStatus.SUSPENDED, "review_reason": REASON, "skip_authorization": False},
    audit_action=AuditEvent.Action.APP_SUSPENDED,
    email="suspended",
    notice="{name} is suspended and every token it held is revoked.",
    admin_description="Suspend selected apps and revoke their tokens (asks for a reason)",
    style="danger",
    section="danger",
)

DECISIONS = (APPROVE, REJECT, APPROVE_CHANGE, REJECT_CHANGE, TRUST, UNTRUST, REINSTATE, SUSPEND)
BY_CODE = {decision.code: decision for decision in DECISIONS}


def decisions_for(app) -> list[Decision]:
    """The decisions that fit the app's state (the services check again, under a lock)."""
    return [decision for decision in DECISIONS if decision.allows(app)]


def validation_refusal(exc: ValidationError) -> str:
    return f"The app would no longer be valid: {'; '.join(exc.messages)}"
