"""The app's usage page: charts of tokens, active people and errors (7, 30 or 90 days), the integration error
log with a hint per error, and the daily counts as CSV.

Who may see an app's usage is decided in one place, `_app_for_usage`: a member of the app's team in any
role (viewers included: counts only, nothing about the people behind them); anyone else gets a 404.
"""

from __future__ import annotations

import csv

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_GET

from portal.clients import selectors as client_selectors
from portal.htmx import render_partial_or_page
from portal.teams.roles import Permission
from portal.usage import charts, errorlog
from portal.usage import selectors as usage_selectors
from portal.usage.models import ISSUED_KINDS, Kind

ERRORS_SHOWN = 50


def _app_for_usage(request: HttpRequest, pk: int):
    """The app whose usage the signed-in person may see, or a 404."""
    return client_selectors.application_get_for_member(
        user=request.user, pk=pk, permission=Permission.VIEW_APP
    )


def usage_page(request: HttpRequest, app, *, usage_url: str, csv_url: str, back_url: str) -> HttpResponse:
    """The usage page of `app` (or the part an htmx request asks for), for whoever the calling view let
    in: its developer here, staff in portal.review.dashboard. The URLs are the caller's own."""
    period = usage_selectors.period_from(request.GET.get("days"))
    codes = usage_selectors.integration_error_codes(application=app)
    code = request.GET.get("error", "")
    code = code if code in codes else ""
    counts = usage_selectors.usage_daily_counts(application=app, period=period)
    errors = [
        (row, errorlog.info_for(row.code, row.endpoint))
        for row in usage_selectors.integration_error_list(application=app, code=code)[:ERRORS_SHOWN]
    ]
    context = {
        "app": app,
        "usage_url": usage_url,
        "csv_url": csv_url,
        "back_url": back_url,
        "period": period,
        "periods": usage_selectors.PERIODS,
        "charts": charts.usage_charts(counts),
        "totals": {
            "tokens": counts.total(ISSUED_KINDS),
            "refreshes": counts.total([Kind.REFRESH]),
            "denials": counts.total([Kind.DENIAL]),
            "errors": sum(value for _day, value in counts.errors),
        },
        "errors": errors,
        "error_codes": [(value, errorlog.info_for(value).title) for value in codes],
        "error_code": code,
    }
    # The period switch replaces the charts, the error filter the log: two partials of one page.
    partial = "errors" if request.GET.get("part") == "errors" else "charts"
    return render_partial_or_page(request, "usage/application_usage.html", partial, context)


@login_required
@require_GET
def application_usage(request: HttpRequest, pk: int) -> HttpResponse:
    app = _app_for_usage(request, pk)
    return usage_page(
        request,
        app,
        usage_url=reverse("developer:application_usage", args=[app.pk]),
        csv_url=reverse("developer:application_usage_csv", args=[app.pk]),
        back_url=reverse("developer:application_detail", args=[app.pk]),
    )


def usage_csv(request: HttpRequest, app) -> HttpResponse:
    """The app's daily counts over the period asked for, one row per day and a column per kind."""
    period = usage_selectors.period_from(request.GET.get("days"))
    counts = usage_selectors.usage_daily_counts(application=app, period=period)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="usage-app-{app.pk}-{period}d.csv"'
    writer = csv.writer(response)
    writer.writerow(["day", *(kind.value for kind in Kind)])
    for row in counts.rows():
        writer.writerow([row["day"].isoformat(), *(row[kind.value] for kind in Kind)])
    return response


@login_required
@require_GET
def application_usage_csv(request: HttpRequest, pk: int) -> HttpResponse:
    return usage_csv(request, _app_for_usage(request, pk))
