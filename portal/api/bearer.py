"""The bearer-token check of the resource API, in one query and without DRF or oauthlib.

DOT's resource-server path builds an oauthlib request, runs the whole validator and then DRF wraps the
request again, negotiates content and renders; for "is this token valid for this scope" that is most of the
cost of an API call. The checks are DOT's own (`validate_bearer_token`): the token exists (looked up by its
SHA-256 checksum, as DOT stores it), has not expired, carries the scope, is meant for this resource
(RFC 8707) and its app is still usable (approved). Nothing is cached, so a revoked token (deleted row) or a
suspended app fails on the very next request.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from oauth2_provider.models import get_access_token_model

# Only what the checks and the API's answers read: the token row joined to its user and app.
_TOKEN_FIELDS = (
    "id",
    "expires",
    "scope",
    "resource",
    "user_id",
    "application_id",
    "user__id",
    "user__username",
    "user__email",
    "user__first_name",
    "user__last_name",
    "user__is_active",
    "application__id",
    "application__review_status",
)

ALLOWED_METHODS = ("GET", "HEAD", "OPTIONS")
ALLOW = ", ".join(ALLOWED_METHODS)


def json_response(data: dict, status: int = 200, **headers: str) -> HttpResponse:
    # Compact separators: the same bytes DRF's JSONRenderer sent before, so no client sees a change.
    body = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()
    response = HttpResponse(body, status=status, content_type="application/json")
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _unauthorized(error_description: str | None = None) -> HttpResponse:
    challenge = 'Bearer realm="api"'
    if error_description:
        challenge += f',error="invalid_token",error_description="{error_description}"'
    return json_response(
        {"detail": "Authentication credentials were not provided."}, 401, WWW_Authenticate=challenge
    )


def _forbidden(scope: str) -> HttpResponse:
    return json_response(
        {"detail": "You do not have permission to perform this action.", "required_scopes": [scope]}, 403
    )


def _bearer_value(request: HttpRequest) -> str | None:
    scheme, _, value = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not value:
        return None
    return value


def load_token(raw: str):
    checksum = hashlib.sha256(raw.encode("utf-8", "surrogateescape")).hexdigest()
    rows = list(
        get_access_token_model()
        .objects.filter(token_checksum=checksum)
        .select_related("user", "application")
        .only(*_TOKEN_FIELDS)[:1]
    )
    return rows[0] if rows else None


def bearer_token_with_scope(scope: str, *, needs_user: bool = True) -> Callable:
    """Let the view run only for a valid bearer token carrying `scope` (and speaking for a user).

    Missing or bad token: 401 with a Bearer challenge; valid token without the scope: 403 naming it.
    The view receives the token as `request.auth` and its user as `request.user`.
    """

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.method not in ALLOWED_METHODS:
                return json_response({"detail": f'Method "{request.method}" not allowed.'}, 405, Allow=ALLOW)
            if request.method == "OPTIONS":
                return json_response({}, 200, Allow=ALLOW)
            raw = _bearer_value(request)
            if raw is None:
                return _unauthorized()
            token = load_token(raw)
            if token is None:
                return _unauthorized("The access token is invalid.")
            if timezone.now() >= token.expires:
                return _unauthorized("The access token has expired.")
            if token.resource and not token.allows_audience(request.build_absolute_uri(request.path)):
                return _unauthorized("The access token is not valid for this resource.")
            # A pending, rejected or suspended app's tokens stop working at once (Application.is_usable);
            # so do those of a deactivated person.
            if not token.application.is_usable(request) or (token.user_id and not token.user.is_active):
                return _unauthorized("The access token is invalid.")
            if scope not in token.scope.split():
                return _forbidden(scope)
            if needs_user and token.user_id is None:
                return json_response(
                    {"detail": "This endpoint describes a user; a client-credentials token has no user."}, 403
                )
            request.auth = token
            request.user = token.user
            return view(request, *args, **kwargs)

        wrapper.bearer_api = True
        return wrapper

    return decorator
