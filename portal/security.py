"""Content-Security-Policy for every response (Django 5.2 has no CSP support of its own; 6.0 does).

`frame-ancestors 'none'` backs X-Frame-Options DENY: the sign-in and consent pages must not be framed
(RFC 9700 4.16). There is deliberately no `form-action`: browsers apply it to the redirect that follows a
consent form, which goes to the client's registered redirect URI on another origin.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse


def _media_origin() -> str:
    parts = urlsplit(settings.MEDIA_URL)
    return f" {parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.policy = (
            "default-src 'self'; "
            f"img-src 'self' data:{_media_origin()}; "
            "script-src 'self'; style-src 'self'; "
            "object-src 'none'; base-uri 'self'; frame-ancestors 'none'"
        )

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.policy)
        return response
