"""The portal's own rate limits, counted in the shared cache so they hold across every instance.

Each limit is named in ``settings.PORTAL_RATE_LIMITS`` (rate from the environment, README "Production"):

    hit("token_client", key=client_id)  ->  Decision(allowed, retry_after, cache_down)

Counting is a fixed window per (limit, key): one atomic ``INCR`` on Redis, so two instances answering the
same client add to the same counter. A fixed window lets a client spend up to twice the amount across a
window boundary; for abuse limits that is fine and it costs one round trip instead of allauth's
lock + read + write of a timestamp list.

When the cache cannot be reached each limit does what its ``fail`` says: ``open`` lets the request through
(and logs it), ``closed`` refuses it with 503 and Retry-After. Sign-in is allauth's limit
(ACCOUNT_RATE_LIMITS), which raises on a cache error; ``OutageMiddleware`` turns that into the
same 503, so sign-in fails closed. Keys are hashed before they reach the cache: no client id or address
is stored in clear.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from allauth.core.exceptions import ReauthenticationRequired
from allauth.core.internal.httpkit import get_client_ip
from allauth.core.internal.ratelimit import respond_429
from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.core.exceptions import ImproperlyConfigured
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from redis.exceptions import RedisError

from portal import confirm
from portal.envconfig import Rate

logger = logging.getLogger(__name__)

# Only the Redis cache raises these (connection refused, timeout); local memory never fails.
CACHE_ERRORS: tuple[type[Exception], ...] = (RedisError,)

# How long a refused request is asked to wait while the cache is unreachable.
CACHE_DOWN_RETRY_AFTER = 30
DATABASE_DOWN_RETRY_AFTER = 5


@dataclass(frozen=True)
class Limit:
    rate: Rate | None
    fail_open: bool


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: int = 0
    cache_down: bool = False
    # The window counter this request was counted in, so ``uncount`` can take it back ("" if not counted).
    counted_in: str = ""


def _count(cache_key: str, *, timeout: int) -> int:
    """Open the window's counter (unless another instance has) and count this request in it."""
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        # One round trip: SET NX EX and INCR in one MULTI/EXEC. Django's add() then incr() took three
        # (SET NX, EXISTS, INCR), twice per token request. The counter is a plain integer, as Django's
        # Redis serializer stores ints, so cache.get() reads it too.
        key = backend.make_and_validate_key(cache_key)
        pipeline = backend._cache.get_client(key, write=True).pipeline(transaction=True)
        pipeline.set(key, 0, ex=timeout, nx=True)
        pipeline.incr(key)
        return int(pipeline.execute()[1])
    # add() is a no-op when the window is open already; local memory is one process, nothing races.
    cache.add(cache_key, 0, timeout=timeout)
    try:
        return cache.incr(cache_key)
    except ValueError:  # the window expired between add() and incr()
        cache.set(cache_key, 1, timeout=timeout)
        return 1


# Takes one back only while the window's counter exists: a DECR on an expired key would create a counter
# of -1 with no expiry.
_UNCOUNT_SCRIPT = """
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('DECR', KEYS[1]) end
return 0
"""


def _uncount(cache_key: str) -> None:
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        key = backend.make_and_validate_key(cache_key)
        backend._cache.get_client(key, write=True).eval(_UNCOUNT_SCRIPT, 1, key)
        return
    with contextlib.suppress(ValueError):  # the window ended meanwhile: nothing left to take back
        cache.decr(cache_key)


def limit_named(action: str) -> Limit:
    try:
        config = settings.PORTAL_RATE_LIMITS[action]
    except KeyError:
        raise ImproperlyConfigured(f"No rate limit named {action!r} in PORTAL_RATE_LIMITS.") from None
    return Limit(rate=config["rate"], fail_open=config["fail"] == "open")


def hit(action: str, *, key: str) -> Decision:
    """Count one request against limit ``action`` for ``key``; say whether it may proceed."""
    limit = limit_named(action)
    if limit.rate is None:
        return Decision(allowed=True)
    now = time.time()
    window = int(now // limit.rate.period)
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    cache_key = f"rl:{action}:{digest}:{window}"
    try:
        count = _count(cache_key, timeout=limit.rate.period + 1)
    except CACHE_ERRORS as exc:
        logger.warning(
            "rate limit %s: cache unreachable (%s); failing %s",
            action,
            type(exc).__name__,
            "open" if limit.fail_open else "closed",
        )
        if limit.fail_open:
            return Decision(allowed=True, cache_down=True)
        return Decision(allowed=False, retry_after=CACHE_DOWN_RETRY_AFTER, cache_down=True)
    if count <= limit.rate.amount:
        return Decision(allowed=True, counted_in=cache_key)
    retry_after = max(1, math.ceil((window + 1) * limit.rate.period - now))
    return Decision(allowed=False, retry_after=retry_after)


def uncount(action: str, decision: Decision) -> None:
    """Take back an allowed request that did nothing (see ``per_user``). Best effort: if the cache
    fails now, the request stays counted, as it was before."""
    if not decision.counted_in:
        return
    try:
        _uncount(decision.counted_in)
    except CACHE_ERRORS as exc:
        logger.warning("rate limit %s: could not take back a count (%s)", action, type(exc).__name__)


def client_ip(request: HttpRequest) -> str:
    """The client's address as allauth sees it (ALLAUTH_TRUSTED_PROXY_COUNT), so sign-in and token
    limits agree on who is asking."""
    return get_client_ip(request) or "unknown"


def refused_html(request: HttpRequest, decision: Decision) -> HttpResponse:
    """429 (allauth's 429 page) with Retry-After, or 503 when a fail-closed limit cannot count."""
    if decision.cache_down:
        response = HttpResponse(
            "The service is briefly unavailable. Please try again shortly.",
            status=503,
            content_type="text/plain; charset=utf-8",
        )
    else:
        response = respond_429(request)
    response["Retry-After"] = str(decision.retry_after)
    return response


def refused_oauth(decision: Decision) -> JsonResponse:
    """An OAuth JSON error (RFC 6749 5.2 shape) for protocol endpoints."""
    if decision.cache_down:
        status, description = 503, "The server cannot count requests right now; retry later."
    else:
        status, description = 429, f"Too many requests; retry after {decision.retry_after} seconds."
    response = JsonResponse(
        {"error": "temporarily_unavailable", "error_description": description}, status=status
    )
    response["Retry-After"] = str(decision.retry_after)
    response["Cache-Control"] = "no-store"
    response["Pragma"] = "no-cache"
    return response


def per_user(action: str) -> Callable:
    """Decorator for a signed-in developer's POST views: count each POST against ``action``.
    Place it below ``@login_required`` and below decorators that turn a POST away before the view
    (``@terms_accepted``): the person sends that POST again, and it would count twice.

    A POST the view puts off without acting is taken back, so one action counts once:
    - it needs a fresh re-authentication (portal/reauth.py): allauth keeps the POST and replays it
      through this decorator afterwards, where it is counted;
    - it is answered with a confirmation question (portal/confirm.py): the confirmed POST is counted.
    It is counted first and taken back after, not checked after: at the limit it is refused before any
    question is asked, and two requests at once cannot both pass one remaining count."""

    def decorator(view):
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs):
            if request.method != "POST":
                return view(request, *args, **kwargs)
            decision = hit(action, key=f"user:{request.user.pk}")
            if not decision.allowed:
                return refused_html(request, decision)
            try:
                response = view(request, *args, **kwargs)
            except ReauthenticationRequired:
                uncount(action, decision)
                raise
            if confirm.is_question(response):
                uncount(action, decision)
            return response

        return wrapped

    return decorator


class OutageMiddleware:
    """A shared dependency that is down answers 503 with Retry-After, never a 500 with a trace:
    - Redis, for a view that needed the cache (allauth's sign-in limit): sign-in fails closed;
    - PostgreSQL, while it restarts: clients retry, and the next request opens a fresh connection."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        return outage_response(request, exception)


def outage_response(request: HttpRequest, exception: Exception) -> HttpResponse | None:
    """The 503 for an exception that means a shared dependency is down, or None for any other exception.
    Also used by portal.api.middleware, whose fast path calls views outside the middleware chain."""
    if isinstance(exception, CACHE_ERRORS):
        logger.warning("cache unreachable during %s %s: answering 503", request.method, request.path)
        return refused_html(request, Decision(False, CACHE_DOWN_RETRY_AFTER, cache_down=True))
    if isinstance(exception, OperationalError | InterfaceError):
        logger.error("database unreachable during %s %s: answering 503", request.method, request.path)
        return refused_html(request, Decision(False, DATABASE_DOWN_RETRY_AFTER, cache_down=True))
    return None
