"""Writes of usage data: the flush of the cache's counters into UsageDaily, and the error log's pruning.

Flushing is safe when two instances run `flush_usage` at once: a flush runs only while it holds the lock
``usage:flush-lock`` (an atomic ``cache.add``), and it *moves* each count rather than copying it: it reads
the value and takes exactly that much off with ``cache.decr``, so increments that land between the read and
the decrement stay in the cache for the next flush. The database rows are then increased (never set) in one
transaction. If that transaction fails, the amounts are put back in the cache and the next flush retries,
so a count is neither lost nor added twice by a failed write.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import date, timedelta

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from oauth2_provider.models import get_application_model

from portal.usage import counters
from portal.usage.models import IntegrationError, Kind, UsageDaily

logger = logging.getLogger(__name__)

FLUSH_LOCK_KEY = "usage:flush-lock"
# Longer than any flush takes; a flusher that died holding the lock delays the next one by this much.
FLUSH_LOCK_SECONDS = 120

ERROR_LOG_DAYS = 30


@dataclass(frozen=True)
class FlushResult:
    ran: bool
    rows: int = 0
    events: int = 0


def _add_to_row(application_id: int, day: date, kind: str, amount: int) -> None:
    updated = UsageDaily.objects.filter(application_id=application_id, day=day, kind=kind).update(
        count=F("count") + amount
    )
    if updated:
        return
    try:
        with transaction.atomic():
            UsageDaily.objects.create(application_id=application_id, day=day, kind=kind, count=amount)
    except IntegrityError:  # created meanwhile (a flush run without the shared lock, e.g. another cache)
        UsageDaily.objects.filter(application_id=application_id, day=day, kind=kind).update(
            count=F("count") + amount
        )


def usage_flush() -> FlushResult:
    """Move every pending count from the cache into UsageDaily. `ran` is False when another flush holds
    the lock (it will have moved the counts)."""
    token = secrets.token_hex(8)
    if not cache.add(FLUSH_LOCK_KEY, token, timeout=FLUSH_LOCK_SECONDS):
        return FlushResult(ran=False)
    moved: dict[str, tuple[int, date, str, int]] = {}
    try:
        for day in counters.pending_days():
            keys = counters.pending_keys(day)
            if not keys:
                continue
            for key, value in cache.get_many(list(keys)).items():
                if not value:
                    continue
                cache.decr(key, int(value))
                app_id, kind = keys[key]
                moved[key] = (app_id, day, kind, int(value))
        if moved:
            live = set(
                get_application_model()
                .objects.filter(pk__in={app_id for app_id, _d, _k, _n in moved.values()})
                .values_list("pk", flat=True)
            )
            with transaction.atomic():
                for app_id, day, kind, amount in moved.values():
                    if app_id in live:  # a deleted app's counts go with it
                        _add_to_row(app_id, day, kind, amount)
    except Exception:
        # Whatever was taken out of the cache goes back, so the next flush writes it.
        for key, (_app_id, _day, _kind, amount) in moved.items():
            counters.incr_or_create(key, amount)
        raise
    finally:
        if cache.get(FLUSH_LOCK_KEY) == token:
            cache.delete(FLUSH_LOCK_KEY)
    return FlushResult(ran=True, rows=len(moved), events=sum(n for *_rest, n in moved.values()))


def integration_errors_prune() -> int:
    """Delete error-log rows older than ERROR_LOG_DAYS (each write also keeps its app's newest rows only)."""
    cutoff = timezone.now() - timedelta(days=ERROR_LOG_DAYS)
    deleted, _per_model = IntegrationError.objects.filter(last_seen__lt=cutoff).delete()
    return deleted


def usage_demo_seed(*, application) -> bool:
    """A month of made-up daily counts and three logged errors for a demo app (seed_demo), so the usage
    page and the staff dashboard show something on a fresh install. Only for an app without usage rows:
    running seed_demo again changes nothing. True if it added them."""
    if UsageDaily.objects.filter(application=application).exists():
        return False
    today = counters.today()
    rows = []
    for back in range(1, 31):
        day = today - timedelta(days=back)
        wave = (back * 7) % 11
        weekend = day.weekday() >= 5
        people = (6 if weekend else 14) + wave
        for kind, count in (
            (Kind.TOKEN_AUTHORIZATION_CODE, people + wave),
            (Kind.TOKEN_CLIENT_CREDENTIALS, 30 + 2 * wave),
            (Kind.REFRESH, people * 2),
            (Kind.PEOPLE, people),
            (Kind.DENIAL, back % 3),
            (Kind.ERROR_INVALID_GRANT, back % 4),
            (Kind.ERROR_REDIRECT_URI, 3 if back in (4, 5) else 0),
        ):
            if count:
                rows.append(UsageDaily(application=application, day=day, kind=kind, count=count))
    UsageDaily.objects.bulk_create(rows)
    now = timezone.now()
    for minutes, endpoint, code, value, count in (
        (7, "authorize", "redirect_uri_mismatch", "https://example.com/oauth/callback-old", 3),
        (42, "token", "invalid_grant", "", 2),
        (180, "token", "invalid_scope", "openid", 1),
    ):
        seen = now - timedelta(minutes=minutes)
        IntegrationError.objects.create(
            application=application,
            endpoint=endpoint,
            code=code,
            value=value,
            fingerprint=f"demo-{code}",
            count=count,
            first_seen=seen,
            last_seen=seen,
        )
    return True
