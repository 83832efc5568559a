"""Records signed-in sessions for the sessions page (allauth.usersessions), at most once per interval.

allauth's UserSessionsMiddleware (USERSESSIONS_TRACK_ACTIVITY) writes the session's row on every signed-in
request: a transaction with a SELECT and an UPDATE, for a "last seen" the sessions page shows to the
minute. This middleware calls the same allauth code, but only when the session was not recorded in the
last `USERSESSIONS_ACTIVITY_INTERVAL` seconds from the same address and browser: a change of either is
recorded on that very request (allauth's session_client_changed signal fires then, as before).

The "recorded lately" mark is a cache entry per session (shared between instances with REDIS_URL). When
the cache is unreachable every request is recorded, as allauth would: sessions never depend on Redis.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable

from allauth.account.adapter import get_adapter
from allauth.usersessions import app_settings
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

from portal.ratelimits import CACHE_ERRORS

DEFAULT_INTERVAL = 300


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


class UserSessionActivityMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.interval = int(getattr(settings, "USERSESSIONS_ACTIVITY_INTERVAL", DEFAULT_INTERVAL))

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        user = getattr(request, "user", None)
        if (
            app_settings.TRACK_ACTIVITY
            and session is not None
            and session.session_key
            and user is not None
            and user.is_authenticated
        ):
            self._record(request, session.session_key)
        return self.get_response(request)

    def _record(self, request: HttpRequest, session_key: str) -> None:
        # The session key is a credential: only its digest names the cache entry.
        key = "usersession-seen:" + _digest(session_key)
        client = _digest(f"{get_adapter().get_client_ip(request)}\n{request.META.get('HTTP_USER_AGENT', '')}")
        try:
            if cache.get(key) == client:
                return
        except CACHE_ERRORS:
            UserSession.objects.create_from_request(request)
            return
        UserSession.objects.create_from_request(request)
        # Recorded either way; without the mark the next request records again.
        with contextlib.suppress(*CACHE_ERRORS):
            cache.set(key, client, timeout=self.interval)
