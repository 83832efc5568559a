"""Reads of usage data. Daily counts are the database's rows plus what the cache still holds for the last
days (not flushed yet): a developer who just made a request sees it at once, whether or not `flush_usage`
ran, and a single dev server (local-memory cache, which a separate `flush_usage` process cannot see) shows
its counts too. A flush moves a count from the cache to the database between two reads, never into both.

Every function takes the app (already fetched through an owner- or staff-scoped selector by the view) or
asks for platform-wide figures (staff only, by the view's decorator)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import QuerySet, Sum
from oauth2_provider.models import get_application_model

from portal.usage import counters
from portal.usage.models import ERROR_KINDS, ISSUED_KINDS, IntegrationError, Kind, UsageDaily

PERIODS = (7, 30, 90)
DEFAULT_PERIOD = 30


def period_from(raw: str | None) -> int:
    """7, 30 or 90 days; anything else (hostile input included) is the default."""
    return int(raw) if raw in {str(days) for days in PERIODS} else DEFAULT_PERIOD


@dataclass
class DailyCounts:
    """Counts per kind and day over `days` (oldest first), zero-filled."""

    days: list[date]
    by_kind: dict[str, dict[date, int]] = field(default_factory=lambda: defaultdict(dict))

    def series(self, kinds) -> list[tuple[date, int]]:
        kinds = [str(kind) for kind in kinds]
        return [(day, sum(self.by_kind.get(kind, {}).get(day, 0) for kind in kinds)) for day in self.days]

    def total(self, kinds) -> int:
        return sum(value for _day, value in self.series(kinds))

    def rows(self) -> list[dict]:
        """One row per day with every kind, for the CSV export and the table alternatives."""
        return [
            {"day": day, **{kind.value: self.by_kind.get(kind.value, {}).get(day, 0) for kind in Kind}}
            for day in self.days
        ]

    @property
    def tokens(self) -> list[tuple[date, int]]:
        return self.series(ISSUED_KINDS)

    @property
    def people(self) -> list[tuple[date, int]]:
        return self.series([Kind.PEOPLE])

    @property
    def errors(self) -> list[tuple[date, int]]:
        return self.series(ERROR_KINDS)


def _days(period: int) -> list[date]:
    last = counters.today()
    return [last - timedelta(days=back) for back in range(period - 1, -1, -1)]


def usage_daily_counts(*, application=None, period: int = DEFAULT_PERIOD) -> DailyCounts:
    """Daily counts of one app, or of every app together (application None: the staff dashboard)."""
    days = _days(period)
    counts = DailyCounts(days=days)
    rows = UsageDaily.objects.filter(day__gte=days[0])
    if application is not None:
        rows = rows.filter(application=application)
    for day, kind, total in rows.values_list("day", "kind").annotate(total=Sum("count")).order_by():
        counts.by_kind[kind][day] = counts.by_kind[kind].get(day, 0) + total
    pending = counters.pending_counts(application_id=application.pk if application is not None else None)
    for (_app_id, day, kind), value in pending.items():
        if day >= days[0]:
            counts.by_kind[kind][day] = counts.by_kind[kind].get(day, 0) + value
    return counts


@dataclass(frozen=True)
class AppTotal:
    application: object
    total: int


def usage_top_applications(*, kinds, period: int = DEFAULT_PERIOD, limit: int = 5) -> list[AppTotal]:
    """The apps with the most events of `kinds` over the period, database and unflushed counts together."""
    since = _days(period)[0]
    wanted = {str(kind) for kind in kinds}
    totals: dict[int, int] = defaultdict(int)
    for app_id, total in (
        UsageDaily.objects.filter(day__gte=since, kind__in=wanted)
        .values_list("application_id")
        .annotate(total=Sum("count"))
        .order_by()
    ):
        totals[app_id] += total
    for (app_id, day, kind), value in counters.pending_counts().items():
        if kind in wanted and day >= since:
            totals[app_id] += value
    top = sorted(((total, app_id) for app_id, total in totals.items() if total), reverse=True)[:limit]
    apps = get_application_model().objects.select_related("user").in_bulk([app_id for _t, app_id in top])
    return [AppTotal(apps[app_id], total) for total, app_id in top if app_id in apps]


def integration_error_list(*, application, code: str = "") -> QuerySet:
    """The app's logged errors, newest first, optionally of one code."""
    errors = IntegrationError.objects.filter(application=application)
    if code:
        errors = errors.filter(code=code)
    return errors.order_by("-last_seen", "-id")


def integration_error_codes(*, application) -> list[str]:
    """The error codes the app's log holds, for the filter."""
    return sorted(
        IntegrationError.objects.filter(application=application).values_list("code", flat=True).distinct()
    )
