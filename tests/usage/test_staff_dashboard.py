"""The staff dashboard at /staff/: apps by status, queue age, platform charts, top and suspended apps."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from portal.usage import errorlog
from tests.helpers.usage import usage_sample

pytestmark = pytest.mark.django_db


def test_the_dashboard_shows_what_staff_need(staff_client, alice, make_app):
    busy, _ = make_app(alice, name="Busy App")
    quiet, _ = make_app(alice, name="Quiet App")
    make_app(alice, name="Waiting App", review_status="pending", skip_authorization=False)
    banned, _ = make_app(alice, name="Banned App", review_status="suspended", skip_authorization=False)
    usage_sample(busy)
    for _ in range(60):
        errorlog.error_record(application_id=quiet.pk, endpoint="token", code="invalid_client")
    # Two decisions: one took 2 hours, one 4 hours (the median is the lower middle).
    now = timezone.now()
    type(busy).objects.filter(pk=busy.pk).update(
        submitted_at=now - timedelta(hours=5), reviewed_at=now - timedelta(hours=3)
    )
    type(busy).objects.filter(pk=quiet.pk).update(
        submitted_at=now - timedelta(hours=6), reviewed_at=now - timedelta(hours=2)
    )

    page = staff_client.get("/staff/").content.decode()
    statuses = dict(re.findall(r"<tr><td>([^<]+)</td><td>(\d+)</td></tr>", page))
    assert statuses == {"Pending review": "1", "Approved": "2", "Rejected": "0", "Suspended": "1"}
    assert re.search(r'data-testid="queue-waiting"><a [^>]+>1 app<', page)
    assert "2\xa0hours" in page and "over 2 decisions in 90 days" in page
    tokens = page.split('data-testid="top-tokens"', 1)[1].split("</ol>", 1)[0]
    assert "Busy App" in tokens and "Quiet App" not in tokens
    errors = page.split('data-testid="top-errors"', 1)[1].split("</ol>", 1)[0]
    assert errors.index("Quiet App") < errors.index("Busy App")
    assert "60 errors" in errors
    assert "Banned App" in page.split('data-testid="suspended"', 1)[1]
    # Platform-wide tokens per day: today holds the 9 unflushed client-credentials tokens of the sample.
    chart = page.split('data-testid="chart-tokens"', 1)[1].split("</svg>", 1)[0]
    assert re.findall(r'data-value="(\d+)"', chart)[-1] == "9"


def test_the_period_switch_replaces_the_charts(staff_client):
    fragment = staff_client.get("/staff/", {"days": "90"}, headers={"HX-Request": "true"}).content.decode()
    assert fragment.lstrip().startswith('<section id="charts"') and "Every app, last 90 days" in fragment
    chart = fragment.split('data-testid="chart-tokens"', 1)[1].split("</svg>", 1)[0]
    assert len(re.findall(r"<rect ", chart)) == 90


def test_the_dashboard_is_staff_only(client, alice):
    client.force_login(alice)
    assert client.get("/staff/").status_code == 404
    assert client.get("/staff/", headers={"HX-Request": "true"}).status_code == 404


def test_the_dashboard_stays_flat_with_more_apps(
    staff_client, alice, make_app, django_assert_max_num_queries
):
    for number in range(3):
        app, _ = make_app(alice, name=f"App {number}")
        usage_sample(app, days=5)
    staff_client.get("/staff/")
    with django_assert_max_num_queries(20) as few:
        staff_client.get("/staff/")
    for number in range(3, 10):
        app, _ = make_app(alice, name=f"App {number}")
        usage_sample(app, days=5)
    with django_assert_max_num_queries(len(few.captured_queries)):
        staff_client.get("/staff/")


def test_staff_see_any_apps_usage_and_errors(staff_client, alice, make_app):
    app, _ = make_app(alice, name="Investigated App")
    errorlog.error_record(
        application_id=app.pk,
        endpoint="authorize",
        code="redirect_uri_mismatch",
        value="https://x.example/cb",
    )
    review = staff_client.get(f"/staff/apps/{app.pk}/").content.decode()
    assert f'href="/staff/apps/{app.pk}/usage/"' in review
    page = staff_client.get(f"/staff/apps/{app.pk}/usage/").content.decode()
    assert "https://x.example/cb" in page and f'href="/staff/apps/{app.pk}/"' in page
    assert f'hx-get="/staff/apps/{app.pk}/usage/"' in page
    exported = staff_client.get(f"/staff/apps/{app.pk}/usage.csv", {"days": "7"})
    assert exported["Content-Type"].startswith("text/csv") and exported.content.decode().count("\n") == 8
