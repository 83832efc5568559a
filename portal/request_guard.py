"""Refuse, with a 4xx and a message that says what is wrong, requests no view can handle.

Four kinds, checked once here rather than in every view, form and DOT endpoint:

- A body larger than `MAX_REQUEST_BODY` (the declared Content-Length) is refused with 413 before a byte of
  it is read. Django's own DATA_UPLOAD_MAX_MEMORY_SIZE only applies once a form is parsed, and uploaded
  files have no size limit at all until a view looks at them.
- A NUL byte in the path, the query string, the Authorization header or an OAuth endpoint's form (a
  cookie with one is dropped; the portal's own forms refuse it beside the field). PostgreSQL refuses NUL
  in text ("PostgreSQL text fields cannot contain NUL (0x00) bytes"), so every lookup with one failed with
  a 500 there (DOT's client, grant and token lookups, allauth's key lookups, the portal's own filters, the
  session), and SQLite would have stored it. No legitimate value of any field the portal reads has one.
- An OAuth parameter that DOT stores (`nonce`, `code_challenge`) longer than its column.
- An integer too large for the database. Django's forms accept any Python int, and on SQLite a lookup with
  one beyond 64 bits raises OverflowError (the admin's many-to-many fields, for example). Forms the portal
  owns bound their integers; this catches the rest as a 400 instead of a 500.

It also gives every 429 a Retry-After header (the portal's contract; allauth's own 429 pages have none).

On the OAuth endpoints (`/o/`) the refusal is an OAuth JSON error body, so clients can parse it.
"""

from __future__ import annotations

import base64
import binascii
import functools
from collections.abc import Callable
from urllib.parse import unquote_plus

from django.conf import settings
from django.db import models
from django.http import HttpRequest, HttpResponse, JsonResponse
from oauth2_provider.models import get_grant_model

NUL = "\x00"
RATE_LIMIT_RETRY_AFTER = 60
FORM_CONTENT_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _refusal(request: HttpRequest, message: str, *, status: int = 400) -> HttpResponse:
    if request.path_info.startswith("/o/"):
        return JsonResponse({"error": "invalid_request", "error_description": message}, status=status)
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


def _declared_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0  # Django treats a malformed length as an empty body, and reads nothing


def _has_nul(values) -> bool:
    return any(NUL in key or any(NUL in value for value in items) for key, items in values.lists())


def _basic_credentials(request: HttpRequest) -> str:
    """The decoded user:password of a Basic Authorization header, as oauthlib decodes it ('' if none)."""
    scheme, _, encoded = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() != "basic":
        return ""
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return ""  # DOT refuses undecodable credentials itself
    # RFC 6749 2.3.1: the client id and secret are form-urlencoded before Basic encoding.
    return unquote_plus(decoded)


@functools.cache
def _stored_parameter_limits() -> dict[str, int]:
    """OAuth parameters DOT stores as they come, with the column's length: an authorization request's
    `nonce` and `code_challenge` end up in the grant row, and a longer value failed on PostgreSQL (a 500)
    and was silently stored whole on SQLite."""
    return {
        field.name: field.max_length
        for field in get_grant_model()._meta.get_fields()
        if isinstance(field, models.CharField) and field.max_length
    }


def overlong_oauth_parameter(request: HttpRequest) -> str | None:
    if not request.path_info.startswith("/o/"):
        return None
    sources = [request.GET]
    if request.method == "POST" and request.content_type in FORM_CONTENT_TYPES:
        sources.append(request.POST)
    for source in sources:
        for name, limit in _stored_parameter_limits().items():
            if any(len(value) > limit for value in source.getlist(name)):
                return (
                    f"The {name} parameter is longer than {limit} characters, the most this server accepts."
                )
    return None


def nul_byte_location(request: HttpRequest) -> str | None:
    """Where the request carries a NUL byte, in words, or None."""
    if NUL in request.path_info:
        return "the address"
    if _has_nul(request.GET):
        return "the query string"
    if NUL in request.META.get("HTTP_AUTHORIZATION", "") or NUL in _basic_credentials(request):
        return "the Authorization header"
    # Form bodies only on the OAuth endpoints, where DOT reads fields straight into lookups. Every other
    # form goes through Django's forms, whose text fields already refuse NUL with a message beside the
    # field ("Null characters are not allowed."), which is better than a bare 400 for a person; so do the
    # device pages a person types a code into (/o/device/, portal.device.forms).
    if (
        request.path_info.startswith("/o/")
        and not request.path_info.startswith("/o/device/")
        and request.method == "POST"
        and request.content_type in FORM_CONTENT_TYPES
        and _has_nul(request.POST)
    ):
        return "the form"
    return None


class RequestGuardMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.MAX_REQUEST_BODY
        if _declared_length(request) > limit:
            response = _refusal(
                request,
                f"The request body is larger than {limit // (1024 * 1024)} MiB, the most this site accepts.",
                status=413,
            )
            # The unread body stays in the connection: have the server close it rather than parse it.
            response["Connection"] = "close"
            return response
        # A cookie with a NUL byte (no browser sends one) is treated as absent rather than refused, so a
        # corrupted cookie cannot lock a browser out; the session lookup would otherwise fail on PostgreSQL.
        for name in [name for name, value in request.COOKIES.items() if NUL in name or NUL in value]:
            del request.COOKIES[name]
        where = nul_byte_location(request)
        if where is not None:
            return _refusal(
                request, f"The request contains a NUL byte (%00) in {where}, which is never valid."
            )
        too_long = overlong_oauth_parameter(request)
        if too_long is not None:
            return _refusal(request, too_long)
        response = self.get_response(request)
        if response.status_code == 429:
            # allauth's rate-limited pages carry no Retry-After; its request limits (sign-in, sign-up,
            # password reset) count per minute, so a minute is when trying again can succeed.
            response.headers.setdefault("Retry-After", str(RATE_LIMIT_RETRY_AFTER))
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, OverflowError):
            return _refusal(request, "A number in the request is larger than any this site stores.")
        return None
