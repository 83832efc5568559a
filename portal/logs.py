"""JSON log lines that carry the request id, in Django's logs and in gunicorn's access log.

The id comes from the load balancer's ``X-Request-ID`` when it looks like one (nginx's ``$request_id``,
deploy/nginx.conf), otherwise it is made here; it goes back in the response's ``X-Request-ID``, which is
where gunicorn's access log reads it (deploy/gunicorn.conf.py). One id then ties the balancer's line,
the access line and every application line of a request together.

Access lines log the path without its query string: a query can hold a user code, a token a client put
in the wrong place, or anything else that must not reach a log.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from django.http import HttpRequest, HttpResponse

REQUEST_ID_HEADER = "X-Request-ID"
_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
# Accept an incoming id only if it is short and plain: it is echoed into headers and logs.
_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = incoming if _VALID_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        # Not reset on the way out: Django logs 4xx/5xx responses ("django.request") after the middleware
        # chain returns, and those lines need the id too. The next request sets its own.
        _request_id.set(request_id)
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        return response


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = _request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line. gunicorn's access records carry their fields as a dict in ``args``."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
        }
        if record.name == "gunicorn.access" and isinstance(record.args, dict):
            atoms = record.args
            entry["request_id"] = atoms.get("{x-request-id}o", "-")
            entry.update(
                message="request",
                method=atoms.get("m"),
                path=atoms.get("U"),
                status=atoms.get("s"),
                bytes=atoms.get("B"),
                duration_ms=round(int(atoms.get("D", 0) or 0) / 1000, 1),
                remote=atoms.get("h"),
            )
        else:
            entry["request_id"] = getattr(record, "request_id", None) or _request_id.get()
            entry["message"] = record.getMessage()
            if record.exc_info:
                entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def gunicorn_logconfig(level: str = "INFO") -> dict:
    """``logconfig_dict`` for gunicorn: its error and access logs in the same JSON shape."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "portal.logs.RequestIdFilter"}},
        "formatters": {"json": {"()": "portal.logs.JsonFormatter"}},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "filters": ["request_id"],
                "formatter": "json",
                "stream": "ext://sys.stdout",
            }
        },
        "loggers": {
            "gunicorn.error": {"handlers": ["console"], "level": level, "propagate": False},
            "gunicorn.access": {"handlers": ["console"], "level": "INFO", "propagate": False},
        },
        "root": {"handlers": ["console"], "level": level},
    }
