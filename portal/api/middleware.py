"""Sends machine-to-machine requests straight to their view, past the browser-only middleware.

Sessions, CSRF, authentication from the session cookie, messages, htmx and allauth all serve the browser
portal. A bearer-token API call (/api/*) and the OAuth endpoints a client calls with its own credentials
(token, introspection, revocation: DOT exempts them from CSRF and they never read a session) need none of
them, and running them is a good share of the cost of each call. This middleware sits right after
SecurityMiddleware (which keeps its host, HTTPS and header duties), resolves the path, and when it names one
of those views calls it directly. Anything else goes down the normal chain.

Whatever must apply to these endpoints too (a rate limit, say) belongs above this middleware.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, ResolverMatch, get_urlconf, resolve

from portal.ratelimits import outage_response

PREFIXES = ("/api/", "/o/")
CLIENT_ENDPOINTS = frozenset(
    {"oauth2_provider:token", "oauth2_provider:introspect", "oauth2_provider:revoke-token"}
)
# A JSON API is never framed and loads nothing: the strictest policy fits every answer.
API_CSP = "default-src 'none'; frame-ancestors 'none'"


@functools.lru_cache(maxsize=256)
def _resolved(path: str, urlconf: str) -> ResolverMatch | None:
    """What `path` resolves to under `urlconf` (None: nothing). Resolving walks the URL patterns with
    regular expressions on every call, about 6% of a `GET /api/me`; a handful of paths make up nearly every
    API and token call, so their matches are kept (bounded: a client inventing paths only evicts entries).
    The views get the match's args and kwargs as copies, and read the match, never change it."""
    try:
        return resolve(path, urlconf)
    except Resolver404:
        return None


class ApiFastPathMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path_info.startswith(PREFIXES):
            return self.get_response(request)
        match = _resolved(request.path_info, get_urlconf() or settings.ROOT_URLCONF)
        if match is None:
            return self.get_response(request)
        if match.view_name in CLIENT_ENDPOINTS:
            # The client authenticates itself; no person is signed in on these endpoints.
            request.user = AnonymousUser()
        elif not getattr(match.func, "bearer_api", False):
            return self.get_response(request)
        request.get_host()  # ALLOWED_HOSTS, as CommonMiddleware would check it (DisallowedHost: 400)
        request.resolver_match = match
        try:
            response = match.func(request, *match.args, **match.kwargs)
        except Exception as exc:
            # The database or the cache being down is a 503 here too, as OutageMiddleware makes it below.
            response = outage_response(request, exc)
            if response is None:
                raise
        response.setdefault("X-Frame-Options", "DENY")
        response.setdefault("Content-Security-Policy", API_CSP)
        response.setdefault("Cache-Control", "no-store")
        return response
