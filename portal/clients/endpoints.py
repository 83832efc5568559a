"""What the portal's views of DOT's client-authenticated endpoints share: the token endpoint
(portal.clients.token_view), introspection (portal.clients.introspection) and revocation
(portal.clients.revocation).

- `presented_client_id`: which app a request names, before anything is authenticated (for the rate limit
  per client and for the app's integration error log, portal/usage/errorlog.py);
- `refused_by_limits`: the 429 (or 503) of a request over its limits, counted before DOT sees it;
- `json_error`: every JSON error body goes out as `application/json`.
"""

from __future__ import annotations

import base64
import json
from urllib.parse import unquote_plus

from django.http import HttpRequest, HttpResponse

from portal.ratelimits import client_ip, hit, refused_oauth
from portal.usage import errorlog


def presented_client_id(request: HttpRequest) -> str | None:
    """The client_id a request names: HTTP Basic (RFC 6749 2.3.1, form-encoded) or the body."""
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "basic" and credentials:
        try:
            decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            return None
        client_id = unquote_plus(decoded.partition(":")[0])
        return client_id or None
    return request.POST.get("client_id") or None


def refused_by_limits(
    request: HttpRequest, *, address_limit: str, client_limit: str, endpoint: str
) -> HttpResponse | None:
    """The 429 (or 503) to answer when this request is over its limit per address or per client id;
    None when it may go on. A 429 is logged for the app the request names, at `endpoint` (errorlog's
    TOKEN, INTROSPECT or REVOKE), for its developer's usage page."""
    decision = hit(address_limit, key=client_ip(request))
    client_id = presented_client_id(request)
    if decision.allowed and client_id is not None:
        decision = hit(client_limit, key=client_id)
    if decision.allowed:
        return None
    refused = refused_oauth(decision)
    if refused.status_code == 429:
        errorlog.rate_limited_record(client_id=client_id, endpoint=endpoint)
    return refused


def json_error(response: HttpResponse) -> HttpResponse:
    """The response, with a JSON error body labelled as JSON.

    oauthlib labels the errors it answers itself (`application/json`, `Cache-Control: no-store`, as
    JsonResponse and portal.ratelimits.refused_oauth do), but an error raised past its endpoint (DOT's
    backend catches it: RFC 8707's `invalid_target` while saving a token, a 503 of an unavailable endpoint)
    comes with no Content-Type, which Django makes `text/html`: a client that goes by the header (or a
    browser showing it) would not read it as the OAuth error it is. Only errors are looked at: a success
    costs nothing here."""
    if response.status_code < 400 or response.get("Content-Type", "").startswith("application/json"):
        return response
    try:
        payload = json.loads(response.content)
    except ValueError:
        return response
    if isinstance(payload, dict) and "error" in payload:
        response["Content-Type"] = "application/json"
        response.setdefault("Cache-Control", "no-store")
        response.setdefault("Pragma", "no-cache")
    return response
