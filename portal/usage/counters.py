"""Usage counters on the hot path: one cache increment per counted event, no database write.

Each count lives in the shared cache (Redis with REDIS_URL, so every instance adds to the same number) under
``usage:n:<day>:<app id>:<kind>``. The first increment of a key of the day also appends ``<app id>:<kind>``
to that day's index (an atomic counter ``usage:ix:<day>:n`` and one entry per number), which is how
`flush_usage` (portal.usage.services.usage_flush) finds the keys without scanning the cache. In the steady
state an event costs one ``incr``; the first of an app's day costs an ``add`` and the index entry too.

Distinct people per app and day: a person counts once when ``cache.add`` of a key made from a keyed hash of
(app, day, user id) succeeds. The hash is HMAC-SHA-256 under SECRET_KEY, so the cache holds no user id in
clear, and the database only ever gets the number.

Counting never fails a request: when the cache is unreachable the event is logged and dropped (the limits
in portal.ratelimits decide on their own whether the request may go on).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.core.cache.backends.redis import RedisCache

from portal.ratelimits import CACHE_ERRORS
from portal.usage.models import Kind

logger = logging.getLogger(__name__)

# Unflushed counts survive this long; `flush_usage` runs every minute, so only a flush that stopped for
# days loses anything (the README says to alert on it).
KEY_TTL_SECONDS = 3 * 24 * 3600
PENDING_DAYS = 3

# oauthlib's grant type names (RFC 6749 and RFC 8628) -> the counted kind.
GRANT_KINDS = {
    "authorization_code": Kind.TOKEN_AUTHORIZATION_CODE,
    "client_credentials": Kind.TOKEN_CLIENT_CREDENTIALS,
    "urn:ietf:params:oauth:grant-type:device_code": Kind.TOKEN_DEVICE_CODE,
    "implicit": Kind.TOKEN_IMPLICIT,
    "password": Kind.TOKEN_PASSWORD,
    "refresh_token": Kind.REFRESH,
}


def today() -> date:
    return datetime.now(UTC).date()


def counter_key(day: date, application_id: int, kind: str) -> str:
    return f"usage:n:{day:%Y%m%d}:{application_id}:{kind}"


def index_count_key(day: date) -> str:
    return f"usage:ix:{day:%Y%m%d}:n"


def index_entry_key(day: date, number: int) -> str:
    return f"usage:ix:{day:%Y%m%d}:{number}"


def _backend():
    return caches[DEFAULT_CACHE_ALIAS]


def _redis_incr_or_create(key: str, amount: int) -> bool:
    """Redis: INCRBY and TTL in one pipelined round trip (Django's incr() costs an EXISTS first). A key
    INCRBY just created has no expiry yet (TTL -1): give it one; that call is the first of the day. Asking
    every time (rather than remembering which keys exist) also re-indexes a key Redis evicted under memory
    pressure, so its counts still reach the database."""
    backend = _backend()
    full_key = backend.make_and_validate_key(key)
    client = backend._cache.get_client(full_key, write=True)
    _value, ttl = client.pipeline(transaction=False).incrby(full_key, amount).ttl(full_key).execute()
    if ttl == -1:
        client.expire(full_key, KEY_TTL_SECONDS)
        return True
    return False


def incr_or_create(key: str, amount: int) -> bool:
    """Add `amount` to `key`; True when this call created it (the first of the day)."""
    if isinstance(_backend(), RedisCache):
        return _redis_incr_or_create(key, amount)
    try:
        cache.incr(key, amount)
        return False
    except ValueError:  # not there yet (or evicted)
        if cache.add(key, amount, timeout=KEY_TTL_SECONDS):
            return True
        cache.incr(key, amount)  # another request created it in between
        return False


def _index(day: date, application_id: int, kind: str) -> None:
    count_key = index_count_key(day)
    cache.add(count_key, 0, timeout=KEY_TTL_SECONDS)
    number = cache.incr(count_key)
    cache.set(index_entry_key(day, number), f"{application_id}:{kind}", timeout=KEY_TTL_SECONDS)


def count(*, application_id: int | None, kind: str, amount: int = 1) -> None:
    """Count `amount` events of `kind` for the app today (UTC)."""
    if not settings.USAGE_COUNTING or application_id is None:
        return
    day = today()
    try:
        if incr_or_create(counter_key(day, application_id, kind), amount):
            _index(day, application_id, kind)
    except CACHE_ERRORS as exc:
        logger.warning("usage count %s dropped: cache unreachable (%s)", kind, type(exc).__name__)


def _person_key(day: date, application_id: int, user_id: int) -> str:
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"{application_id}:{day}:{user_id}".encode(), hashlib.sha256
    ).hexdigest()[:32]
    return f"usage:who:{day:%Y%m%d}:{application_id}:{digest}"


def token_issued(*, application_id: int | None, grant_type: str | None, user_id: int | None) -> None:
    """A token was issued (or refreshed); the person it was issued for, if any, is active today."""
    if not settings.USAGE_COUNTING or application_id is None:
        return
    count(application_id=application_id, kind=GRANT_KINDS.get(grant_type or "", Kind.TOKEN_OTHER))
    if user_id is None:
        return
    day = today()
    try:
        first_today = cache.add(_person_key(day, application_id, user_id), 1, timeout=KEY_TTL_SECONDS)
    except CACHE_ERRORS as exc:
        logger.warning("usage person count dropped: cache unreachable (%s)", type(exc).__name__)
        return
    if first_today:
        count(application_id=application_id, kind=Kind.PEOPLE)


def pending_days() -> list[date]:
    """The days whose counts may still be in the cache, oldest first."""
    now = today()
    return [now - timedelta(days=back) for back in range(PENDING_DAYS - 1, -1, -1)]


def pending_keys(day: date) -> dict[str, tuple[int, str]]:
    """The counter keys of `day` the index knows of: key -> (app id, kind)."""
    total = cache.get(index_count_key(day)) or 0
    if not total:
        return {}
    entries = cache.get_many([index_entry_key(day, number) for number in range(1, total + 1)])
    found: dict[str, tuple[int, str]] = {}
    for entry in entries.values():
        app_id, _, kind = str(entry).partition(":")
        if app_id.isdigit() and kind:
            found[counter_key(day, int(app_id), kind)] = (int(app_id), kind)
    return found


def pending_counts(*, application_id: int | None = None) -> dict[tuple[int, date, str], int]:
    """Counts not flushed yet: (app id, day, kind) -> count, for one app or all. Empty when the cache
    cannot be reached (the pages then show what the database has)."""
    found: dict[tuple[int, date, str], int] = {}
    try:
        for day in pending_days():
            keys = pending_keys(day)
            if application_id is not None:
                keys = {key: where for key, where in keys.items() if where[0] == application_id}
            if not keys:
                continue
            for key, value in cache.get_many(list(keys)).items():
                if value:
                    app_id, kind = keys[key]
                    found[(app_id, day, kind)] = int(value)
    except CACHE_ERRORS as exc:
        logger.warning("usage: unflushed counts unreadable (%s)", type(exc).__name__)
    return found
