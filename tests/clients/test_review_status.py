"""Review status is one enum (ReviewStatus), asked through the model's properties in code and templates,
and what people are told about an unusable app is written once (portal/clients/status_messages.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from oauth2_provider.models import get_application_model

from portal.clients import status_messages, validators
from portal.clients.models import ReviewStatus
from portal.consent import views as consent_views

Application = get_application_model()


@pytest.mark.parametrize("status", ReviewStatus.values)
def test_exactly_one_status_property_holds(status):
    app = Application(review_status=status)
    held = [
        name for name in ("is_pending", "is_approved", "is_rejected", "is_suspended") if getattr(app, name)
    ]
    assert held == [f"is_{status}"]
    assert Application.ReviewStatus is ReviewStatus


@pytest.mark.parametrize("status", ReviewStatus.values)
def test_changes_need_review_once_staff_approved(status):
    # No decision leads from approved back to pending or rejected, so only those were never live.
    app = Application(review_status=status)
    assert app.changes_need_review is (status in (ReviewStatus.APPROVED, ReviewStatus.SUSPENDED))


def test_unusable_app_messages_live_in_one_place():
    assert validators.UNUSABLE_REASONS is status_messages.UNUSABLE_REASONS
    assert consent_views.UNUSABLE_TITLES is status_messages.UNUSABLE_TITLES
    unusable = set(ReviewStatus.values) - {ReviewStatus.APPROVED}
    assert set(status_messages.UNUSABLE_REASONS) == set(status_messages.UNUSABLE_TITLES) == unusable


def test_no_template_compares_the_review_status_with_a_string():
    compared = re.compile(r"review_status\s*(==|!=|in)\s")
    offenders = [
        str(path)
        for path in Path(settings.BASE_DIR, "templates").rglob("*.html")
        if compared.search(path.read_text())
    ]
    assert offenders == []
