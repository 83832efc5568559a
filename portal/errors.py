"""The 500 handler (urls.handler500): a database or cache outage raised outside a view is a 503 too.

portal.ratelimits.OutageMiddleware turns an outage into 503 with Retry-After, but a middleware's
process_exception only sees what views raise. A session or user lookup in a middleware (the sessions,
second-factor and allauth middlewares all read the signed-in person) fails before any view runs when
PostgreSQL restarts, and reached Django's last resort, the 500 page. Django calls this handler from
inside its `except` block, so the exception is still in sys.exc_info().
"""

from __future__ import annotations

import sys

from django.http import HttpRequest, HttpResponse
from django.views import defaults

from portal.ratelimits import outage_response


def server_error(request: HttpRequest) -> HttpResponse:
    exception = sys.exc_info()[1]
    if isinstance(exception, Exception):
        # A plain-text 503 (no template, no context processor: those could need the database again).
        response = outage_response(request, exception)
        if response is not None:
            return response
    return defaults.server_error(request)
