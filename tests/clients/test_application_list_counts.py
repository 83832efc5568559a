"""The developer's app list shows each app's active tokens (counted up to a thousand: "1000+" beyond) and
its newest token's time, in the one query of the list (portal.clients.selectors)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from oauth2_provider.models import get_access_token_model

from portal.clients.selectors import ACTIVE_TOKENS_COUNTED, application_list_for_member

pytestmark = pytest.mark.django_db


def _tokens(app, user, n: int, *, expires_in: int = 3600, start: int = 0) -> None:
    model = get_access_token_model()
    expires = timezone.now() + timedelta(seconds=expires_in)
    model.objects.bulk_create(
        model(
            user=user,
            application=app,
            scope="read",
            expires=expires,
            token="",
            token_checksum=f"{app.pk:08d}{start + i:08d}".ljust(64, "0"),
        )
        for i in range(n)
    )


def _listed(owner) -> dict:
    with CaptureQueriesContext(connection) as queries:
        apps = list(application_list_for_member(user=owner))
    assert len(queries.captured_queries) == 1
    return {app.name: (app.active_tokens, app.last_activity) for app in apps}


def test_active_tokens_are_counted_exactly_up_to_the_bound(alice, erin, make_app):
    quiet, _ = make_app(alice, name="Quiet")
    some, _ = make_app(alice, name="Some")
    full, _ = make_app(alice, name="Full")
    _tokens(some, erin, 3)
    _tokens(some, erin, 2, expires_in=-60, start=3)  # expired: not active
    _tokens(full, erin, ACTIVE_TOKENS_COUNTED)
    listed = _listed(alice)
    assert listed["Quiet"] == ("0", None)
    assert listed["Some"][0] == "3"
    assert listed["Full"][0] == "1000"


def test_beyond_the_bound_the_count_says_so(alice, erin, make_app):
    busy, _ = make_app(alice, name="Busy")
    _tokens(busy, erin, ACTIVE_TOKENS_COUNTED + 1)
    assert _listed(alice)["Busy"][0] == "1000+"


def test_the_newest_tokens_time_is_shown(alice, erin, make_app):
    app, _ = make_app(alice, name="Web")
    _tokens(app, erin, 3)
    newest = get_access_token_model().objects.filter(application=app).order_by("-created").first()
    assert _listed(alice)["Web"][1] == newest.created
