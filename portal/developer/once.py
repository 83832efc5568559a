"""Forms that must take effect once however often they are sent (a double click on "Register app" over a
slow connection sent three POSTs and made three apps).

The form carries a random token; the first POST that claims it in the cache (an atomic `add`, shared by
every instance when REDIS_URL is set) acts and records what it made; a repeat finds the token taken.
"""

from __future__ import annotations

import secrets

from django.core.cache import cache

TTL_SECONDS = 24 * 3600
_IN_PROGRESS = 0


def new_token() -> str:
    return secrets.token_urlsafe(16)


def _key(user, purpose: str, token: str) -> str:
    return f"once:{purpose}:{user.pk}:{token}"


def claim(user, purpose: str, token: str) -> bool:
    """True for the first submission of `token` by `user`; False for any repeat."""
    if not token or len(token) > 64:
        return True  # no usable token (an old form): nothing to deduplicate against
    return cache.add(_key(user, purpose, token), _IN_PROGRESS, TTL_SECONDS)


def remember(user, purpose: str, token: str, result_pk: int) -> None:
    if token and len(token) <= 64:
        cache.set(_key(user, purpose, token), result_pk, TTL_SECONDS)


def result_of(user, purpose: str, token: str) -> int | None:
    """The pk the first submission made, or None while it is still running (or it failed)."""
    value = cache.get(_key(user, purpose, token))
    return value or None


def release(user, purpose: str, token: str) -> None:
    """The first submission was refused (invalid form): the same form may be sent again."""
    if token and len(token) <= 64:
        cache.delete(_key(user, purpose, token))
