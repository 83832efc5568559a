"""GET /healthz (liveness): 200 when the database answers, 503 when it does not.
GET /readyz (readiness): 200 when the database, the shared cache and the logo storage all answer; 503 with
the failing part named otherwise. A balancer or orchestrator that routes on /readyz takes every instance
out during a Redis outage (they share it); route on /healthz if you prefer the portal's degraded service
(README "Production": what happens when Redis is down).

Answered by a middleware at the top of the stack rather than a URL route, because the callers (Docker's
HEALTHCHECK, a load balancer) address the container by IP, which is not in ALLOWED_HOSTS, and must not be
redirected to https either. It reveals nothing but up or down.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.cache import cache
from django.core.files.storage import default_storage
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import add_never_cache_headers

HEALTH_PATH = "/healthz"
READY_PATH = "/readyz"
_PROBE_KEY = "readyz-probe"


def health_response() -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # noqa: BLE001 - any database failure means "not healthy", whatever its type
        response = JsonResponse({"status": "unavailable", "database": "unreachable"}, status=503)
    else:
        response = JsonResponse({"status": "ok"})
    add_never_cache_headers(response)
    return response


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _check_cache() -> None:
    cache.set(_PROBE_KEY, "1", timeout=10)
    if cache.get(_PROBE_KEY) != "1":
        raise RuntimeError("cache did not return what was written")


def _check_storage() -> None:
    # Listing the top level (one short page: it holds the "logos/" prefix) proves the bucket exists and
    # answers our credentials; exists() would not, as S3 answers 404 alike for a missing bucket and key.
    default_storage.listdir("")


def readiness_response() -> JsonResponse:
    checks = {"database": _check_database, "cache": _check_cache, "storage": _check_storage}
    results: dict[str, str] = {}
    for name, check in checks.items():
        try:
            check()
        except Exception:  # noqa: BLE001 - whatever the failure, this part is not ready
            results[name] = "unreachable"
        else:
            results[name] = "ok"
    ready = all(value == "ok" for value in results.values())
    body = {"status": "ok" if ready else "unavailable", **results}
    response = JsonResponse(body, status=200 if ready else 503)
    add_never_cache_headers(response)
    return response


class HealthCheckMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path == HEALTH_PATH and request.method in ("GET", "HEAD"):
            return health_response()
        if request.path == READY_PATH and request.method in ("GET", "HEAD"):
            return readiness_response()
        return self.get_response(request)
