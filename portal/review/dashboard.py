"""The staff dashboard at /staff/: apps by status, how long the review queue makes developers wait, the
platform's tokens, people and errors per day (the charts of an app's usage page, for every app together),
the top apps by tokens and by errors, and the suspended apps. Staff only (`staff_required`, a 404 for anyone
else); the period switch (7/30/90 days) replaces the charts in place with htmx."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_GET

from portal.access import staff_required
from portal.developer.usage import usage_csv, usage_page
from portal.htmx import render_partial_or_page
from portal.review import selectors
from portal.usage import charts
from portal.usage import selectors as usage_selectors
from portal.usage.models import ERROR_KINDS, ISSUED_KINDS

TOP_APPS = 5
SUSPENDED_SHOWN = 20


@staff_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    period = usage_selectors.period_from(request.GET.get("days"))
    counts = usage_selectors.usage_daily_counts(period=period)
    suspended = selectors.application_list_suspended()
    context = {
        "period": period,
        "periods": usage_selectors.PERIODS,
        "status_counts": selectors.application_count_by_status(),
        "queue": selectors.review_queue_age(),
        "charts": charts.usage_charts(counts),
        "top_by_tokens": usage_selectors.usage_top_applications(
            kinds=ISSUED_KINDS, period=period, limit=TOP_APPS
        ),
        "top_by_errors": usage_selectors.usage_top_applications(
            kinds=ERROR_KINDS, period=period, limit=TOP_APPS
        ),
        "suspended": suspended[:SUSPENDED_SHOWN],
        "suspended_count": suspended.count(),
    }
    return render_partial_or_page(request, "review/dashboard.html", "charts", context)


@staff_required
@require_GET
def application_usage(request: HttpRequest, pk: int) -> HttpResponse:
    """One app's usage page and error log, as its developer sees them: what staff look at when an app tops
    the errors or is being investigated."""
    app = selectors.application_get_for_review(pk=pk)
    return usage_page(
        request,
        app,
        usage_url=reverse("staff:application_usage", args=[app.pk]),
        csv_url=reverse("staff:application_usage_csv", args=[app.pk]),
        back_url=reverse("staff:application_review", args=[app.pk]),
    )


@staff_required
@require_GET
def application_usage_csv(request: HttpRequest, pk: int) -> HttpResponse:
    return usage_csv(request, selectors.application_get_for_review(pk=pk))
