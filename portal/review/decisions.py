"""Staff decisions about an app, each described once in decisions.toml: the states it may start from,
whether it needs a reason, the fields it sets, what else it does, its audit action, the email the developer
gets and the notice staff see. Services, views, URLs, admin actions, the review page's forms and which of
them are offered are all derived from that table (portal/review/services.py, views.py, urls.py, forms.py,
portal/review/admin.py).
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError

from portal.audit.models import AuditEvent
from portal.clients.models import REVIEWED_FIELDS, TRANSFER_FIELD, ReviewStatus
from portal.clients.services import (
    application_logo_replace_after_commit,
    application_proposed_logo_discard,
    application_revoke_everything,
)
from portal.teams.models import Team

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
    unknown = sorted(set(proposed) - set(REVIEWED_FIELDS) - {TRANSFER_FIELD})
    if unknown:
        raise ReviewError(f"The proposed change contains fields staff cannot apply: {', '.join(unknown)}.")
    changes = {}
    for name, value in proposed.items():
        if name == "logo":
            changes[name] = [app.logo.name or None, value]
            application_logo_replace_after_commit(application=app, name=value)
            continue
        if name == TRANSFER_FIELD:
            team = Team.objects.filter(pk=value).first()
            if team is None:
                raise ReviewError("The team this app was to move to no longer exists; reject the change.")
            changes[name] = [app.team.name if app.team else None, team.name]
            app.team = team
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
    application_proposed_logo_discard(application=app)
    return {}


def _revoke_everything(app) -> dict[str, Any]:
    # Suspension stops the app at once: nothing it holds keeps working.
    return {"revoked": application_revoke_everything(application=app)}


def _always(app) -> bool:
    return True


@dataclass(frozen=True)
class Decision:
    code: str
    path: str  # under /staff/apps/<pk>/
    label: str  # the button
    from_states: frozenset[str]  # all states when the table names none
    sets: Mapping[str, Any]  # field -> value; REASON stands for the reason staff typed
    audit_action: str
    notice: str  # what staff are told afterwards; {name} is filled in
    admin_description: str
    help: str = ""  # the sentence above the button
    refusal: str = ""  # when the app's status is not one of from_states; {status} is filled in
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
    # Trusting, suspending, approving: staff re-authenticate first (portal/reauth.py).
    reauthenticate: bool = False
    # Non-empty: staff confirm first (portal/confirm.py), for one-click decisions with wide effects.
    confirm_title: str = ""  # {name} is filled in
    confirm_message: str = ""

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


# What decisions.toml may name as a condition (`when`) or a further effect (`effect`).
_CONDITIONS = {
    "always": _always,
    "has_proposal": _has_proposal,
    "is_trusted": _is_trusted,
    "is_not_trusted": _is_not_trusted,
}
_EFFECTS = {
    "apply_proposal": _apply_proposal,
    "discard_proposal": _discard_proposal,
    "revoke_everything": _revoke_everything,
}


def _load(path: Path) -> tuple[Decision, ...]:
    """Read the table, checking every status, audit action, condition and effect it names, so a typo
    fails at start-up rather than when staff press the button."""
    with path.open("rb") as file:
        table = tomllib.load(file)
    loaded = []
    for code, row in table.items():
        sets = {name: REASON if value == "{reason}" else value for name, value in row.pop("sets").items()}
        if "review_status" in sets:
            sets["review_status"] = ReviewStatus(str(sets["review_status"]))
        loaded.append(
            Decision(
                code=code,
                from_states=frozenset(ReviewStatus(state) for state in row.pop("from_states", ALL_STATES)),
                audit_action=AuditEvent.Action(row.pop("audit_action")),
                when=_CONDITIONS[row.pop("when", "always")],
                effect=_EFFECTS[row.pop("effect")] if "effect" in row else None,
                sets=sets,
                **row,
            )
        )
    return tuple(loaded)


DECISIONS = _load(Path(__file__).with_name("decisions.toml"))
BY_CODE = {decision.code: decision for decision in DECISIONS}
APPROVE, REJECT, APPROVE_CHANGE, REJECT_CHANGE, TRUST, UNTRUST, REINSTATE, SUSPEND = (
    BY_CODE[code]
    for code in (
        "approve",
        "reject",
        "approve_change",
        "reject_change",
        "trust",
        "untrust",
        "reinstate",
        "suspend",
    )
)


def decisions_for(app) -> list[Decision]:
    """The decisions that fit the app's state (the services check again, under a lock)."""
    return [decision for decision in DECISIONS if decision.allows(app)]


def validation_refusal(exc: ValidationError) -> str:
    return f"The app would no longer be valid: {'; '.join(exc.messages)}"
