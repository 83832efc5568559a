"""Usage data for pages and screenshots: a month of daily counts and a few logged errors for one app."""

from __future__ import annotations

from datetime import timedelta

from portal.usage import counters, errorlog
from portal.usage.models import Kind, UsageDaily


def usage_sample(app, *, days: int = 30) -> None:
    today = counters.today()
    rows = []
    for back in range(1, days):
        day = today - timedelta(days=back)
        wave = (back * 7) % 11
        rows += [
            UsageDaily(application=app, day=day, kind=Kind.TOKEN_AUTHORIZATION_CODE, count=20 + wave * 3),
            UsageDaily(application=app, day=day, kind=Kind.TOKEN_CLIENT_CREDENTIALS, count=40 + wave),
            UsageDaily(application=app, day=day, kind=Kind.REFRESH, count=15 + wave),
            UsageDaily(application=app, day=day, kind=Kind.PEOPLE, count=12 + wave),
            UsageDaily(application=app, day=day, kind=Kind.ERROR_INVALID_GRANT, count=back % 4),
        ]
    UsageDaily.objects.bulk_create(rows)
    counters.count(application_id=app.pk, kind=Kind.TOKEN_CLIENT_CREDENTIALS, amount=9)
    errorlog.error_record(
        application_id=app.pk,
        endpoint="authorize",
        code="redirect_uri_mismatch",
        value="https://photo-printer.example.com/oauth/callback-old",
    )
    errorlog.error_record(application_id=app.pk, endpoint="token", code="invalid_grant")
    errorlog.error_record(application_id=app.pk, endpoint="token", code="invalid_scope", value="openid")
