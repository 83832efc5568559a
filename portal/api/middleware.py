"""Sends /api/* requests straight to the API view, past the browser-only middleware.

Sessions, CSRF, authentication from the session cookie, messages, htmx and allauth all serve the browser
portal; a bearer-token API call needs none of them, and running them is a good share of the cost of each
call. This middleware sits right after SecurityMiddleware (which keeps its host, HTTPS and header duties),
resolves the path, and when it names an API view (marked by portal.api.bearer) calls it directly.
Anything else goes down the normal chain.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve

API_PREFIX = "/api/"
# A JSON API is never framed and loads nothing: the strictest policy fits every answer.
API_CSP = "default-src 'none'; frame-ancestors 'none'"


class ApiFastPathMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path_info.startswith(API_PREFIX):
            return self.get_response(request)
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return self.get_response(request)
        if not getattr(match.func, "bearer_api", False):
            return self.get_response(request)
        request.get_host()  # ALLOWED_HOSTS, as CommonMiddleware would check it (DisallowedHost: 400)
        request.resolver_match = match
        response = match.func(request, *match.args, **match.kwargs)
        response.setdefault("X-Frame-Options", "DENY")
        response.setdefault("Content-Security-Policy", API_CSP)
        response.setdefault("Cache-Control", "no-store")
        return response
