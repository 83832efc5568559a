"""The bearer-token check of the resource API, in one query and without DRF or oauthlib.

DOT's resource-server path builds an oauthlib request, runs the whole validator and then DRF wraps the
request again, negotiates content and renders; for "is this token valid for this scope" that is most of the
cost of an API call. The checks are DOT's own (`validate_bearer_token`): the token exists (looked up by its
SHA-256 checksum, as DOT stores it), has not expired, carries the scope, is meant for this resource
(RFC 8707) and its app is still usable (approved). Nothing is cached, so a revoked token (deleted row) or a
suspended app fails on the very next request.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, cast

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import connections, router
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_application_model

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


@dataclass(frozen=True)
class _TokenQuery:
    """The bearer lookup's SQL, written once per database from the models' metadata.

    An access token with its app and person, in one statement. Built with the ORM on every call, the same
    query cost more CPU to compile than everything else of an API call together (about 0.45 of 0.87 ms
    in-process); the statement never changes, so it is written once. Whether the token is still live is
    computed by the database (no datetime conversion per backend)."""

    sql: str
    token_fields: tuple[str, ...]
    user_fields: tuple[str, ...]


def _concrete(model, names) -> tuple[str, ...]:
    # Model.from_db takes a subset of fields in the order the model declares them.
    return tuple(f.attname for f in model._meta.concrete_fields if f.attname in names)


@functools.cache
def _token_query(alias: str) -> _TokenQuery:
    token_model, app_model, user_model = get_access_token_model(), get_application_model(), get_user_model()
    qn = connections[alias].ops.quote_name
    token_fields = _concrete(token_model, {"id", "scope", "resource", "user_id", "application_id"})
    user_fields = _concrete(
        user_model, {"id", user_model.USERNAME_FIELD, "email", "first_name", "last_name", "is_active"}
    )

    def columns(model, table: str, names) -> list[str]:
        return [f"{table}.{qn(model._meta.get_field(name).column or name)}" for name in names]

    def column(model, table: str, name: str) -> str:
        return columns(model, table, [name])[0]

    select = [
        f"{column(token_model, 't', 'expires')} > %s",
        column(app_model, "a", "review_status"),
        *columns(token_model, "t", token_fields),
        *columns(user_model, "u", user_fields),
    ]
    # Only quoted table and column names from the models go into the text; values are parameters.
    sql = (
        f"SELECT {', '.join(select)} FROM {qn(token_model._meta.db_table)} t"  # noqa: S608
        f" INNER JOIN {qn(app_model._meta.db_table)} a"
        f" ON {column(app_model, 'a', 'id')} = {column(token_model, 't', 'application_id')}"
        f" LEFT OUTER JOIN {qn(user_model._meta.db_table)} u"
        f" ON {column(user_model, 'u', 'id')} = {column(token_model, 't', 'user_id')}"
        f" WHERE {column(token_model, 't', 'token_checksum')} = %s"
    )
    return _TokenQuery(sql, token_fields, user_fields)


def load_token(raw: str):
    """(access token with its `user` and `application`, whether it is still live), or (None, False).

    Nothing is cached between requests: a revoked token (deleted row), a suspended app or a deactivated
    person fails on the very next call."""
    token_model = get_access_token_model()
    alias = router.db_for_read(token_model)
    query = _token_query(alias)
    connection = connections[alias]
    checksum = hashlib.sha256(raw.encode("utf-8", "surrogateescape")).hexdigest()
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(query.sql, [now, checksum])
        row = cursor.fetchone()
    if row is None:
        return None, False
    live, review_status = bool(row[0]), row[1]
    token_values = list(row[2 : 2 + len(query.token_fields)])
    user_values = list(row[2 + len(query.token_fields) :])
    resource_at = query.token_fields.index("resource")
    resource_field = token_model._meta.get_field("resource")
    token_values[resource_at] = resource_field.from_db_value(token_values[resource_at], None, connection)
    token = token_model.from_db(alias, query.token_fields, token_values)
    token.application = get_application_model().from_db(
        alias, ["id", "review_status"], [token.application_id, review_status]
    )
    if token.user_id is not None:
        user_model = get_user_model()
        user_values[query.user_fields.index("is_active")] = bool(
            user_values[query.user_fields.index("is_active")]
        )
        token.user = user_model.from_db(alias, query.user_fields, user_values)
    return token, live


class BearerRequest(HttpRequest):
    """A request the bearer check let through (for the views' types): `auth` is its access token (DOT's
    model, untyped) and `user` the person the token speaks for."""

    auth: Any
    user: User


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
            token, live = load_token(raw)
            if token is None:
                return _unauthorized("The access token is invalid.")
            if not live:
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
            bearer = cast(BearerRequest, request)
            bearer.auth = token
            bearer.user = token.user
            return view(bearer, *args, **kwargs)

        # The mark portal.api.middleware looks for (getattr) to send the request down its fast path.
        vars(wrapper)["bearer_api"] = True
        return wrapper

    return decorator
