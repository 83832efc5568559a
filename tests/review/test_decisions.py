"""The table of staff decisions (portal/review/decisions.toml) is the one description that services, URLs,
views, admin actions and the review page derive from."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.template.loader import get_template
from django.urls import reverse
from oauth2_provider.models import get_application_model

from portal.clients.models import ReviewStatus
from portal.review import decisions, services

Application = get_application_model()


def _codes(**fields) -> set[str]:
    return {decision.code for decision in decisions.decisions_for(Application(**fields))}


@pytest.mark.parametrize(
    ("fields", "offered"),
    [
        ({"review_status": ReviewStatus.PENDING}, {"approve", "reject", "suspend"}),
        ({"review_status": ReviewStatus.REJECTED}, {"approve", "suspend"}),
        ({"review_status": ReviewStatus.APPROVED}, {"trust", "suspend"}),
        ({"review_status": ReviewStatus.APPROVED, "skip_authorization": True}, {"untrust", "suspend"}),
        (
            {"review_status": ReviewStatus.APPROVED, "proposed_changes": {"name": "New"}},
            {"approve_change", "reject_change", "trust", "suspend"},
        ),
        ({"review_status": ReviewStatus.SUSPENDED}, {"reinstate"}),
        # A suspended app keeps its suspension's reason: its change waits until it is reinstated.
        ({"review_status": ReviewStatus.SUSPENDED, "proposed_changes": {"name": "New"}}, {"reinstate"}),
    ],
)
def test_the_decisions_offered_follow_the_table(fields, offered):
    assert _codes(**fields) == offered


@pytest.mark.parametrize("decision", decisions.DECISIONS, ids=lambda decision: decision.code)
def test_each_decision_has_its_url_service_admin_action_and_email(decision):
    assert reverse(decision.url_name, kwargs={"pk": 1}) == f"/staff/apps/1/{decision.path}"
    assert getattr(services, f"application_{decision.code}").__name__ == f"application_{decision.code}"
    actions = admin.site._registry[Application].get_actions(_AdminRequest())
    assert f"{decision.code}_selected" in actions
    if decision.email:
        get_template(f"review/email/{decision.email}_subject.txt")
        get_template(f"review/email/{decision.email}_message.txt")
    assert decision.from_states <= set(ReviewStatus.values)


class _AdminRequest:
    """Enough of a request for ModelAdmin.get_actions: a superuser asking for the change list."""

    GET: dict = {}
    POST: dict = {}

    class user:  # noqa: N801 - stands in for request.user
        is_active = is_staff = is_superuser = True

        @staticmethod
        def has_perm(perm, obj=None) -> bool:
            return True


def test_a_typo_in_the_table_fails_at_start_up(tmp_path):
    table = tmp_path / "decisions.toml"
    table.write_text(
        '[approve]\npath = "approve/"\nlabel = "Approve"\nsets = {}\naudit_action = "review.aproved"\n'
        'notice = ""\nadmin_description = ""\n'
    )
    with pytest.raises(ValueError, match="review.aproved"):
        decisions._load(table)
