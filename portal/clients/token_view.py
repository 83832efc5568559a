"""The token endpoint (mounted as ``oauth2_provider:token``): DOT's TokenView, with three changes.

- Rate limits per address and per client (portal/ratelimits.py), counted before DOT sees the request.
- Every grant goes through oauthlib and the portal's validator, the device grant included
  (`PortalOAuth2Validator.validate_device_code` decides pending, slow_down, expired, denied and the
  one-time exchange). DOT 3.4.1's own device branch looked the code up without its client and 500ed on a
  missing one (see the oauthlib pin in pyproject.toml).
- No re-read of the token just issued: DOT looks the new access token up again by its checksum only to send
  the `app_authorized` signal with it (one of the three statements of a client-credentials request).
  Nothing in the portal listens to that signal, so the re-read is skipped unless something does.
- A failed request (including a 429) is counted and logged for the app's developer (portal/usage/errorlog.py).
"""

from __future__ import annotations

import base64
from urllib.parse import unquote_plus

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters
from oauth2_provider import views as dot_views
from oauth2_provider.signals import app_authorized

from portal.ratelimits import client_ip, hit, refused_oauth
from portal.usage import errorlog


def _presented_client_id(request: HttpRequest) -> str | None:
    """The client_id a token request names: HTTP Basic (RFC 6749 2.3.1, form-encoded) or the body."""
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "basic" and credentials:
        try:
            decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            return None
        client_id = unquote_plus(decoded.partition(":")[0])
        return client_id or None
    return request.POST.get("client_id") or None


@method_decorator(csrf_exempt, name="dispatch")
@method_decorator(login_not_required, name="dispatch")
class TokenView(dot_views.TokenView):
    """DOT's token endpoint, counted per address and per client before DOT sees the request. Fails open
    when the cache is down: every app's token refresh depends on this endpoint, and a client secret is
    a long random value stored hashed, so the limit guards capacity, not a guessable credential."""

    def refused_by_limits(self, request: HttpRequest) -> HttpResponse | None:
        """The 429 (or 503) to answer when this request is over a limit; None when it may go on."""
        decision = hit("token_address", key=client_ip(request))
        if decision.allowed:
            client_id = _presented_client_id(request)
            if client_id is not None:
                decision = hit("token_client", key=client_id)
        return None if decision.allowed else refused_oauth(decision)

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        refused = self.refused_by_limits(request)
        if refused is not None:
            if refused.status_code == 429:
                errorlog.rate_limited_record(client_id=_presented_client_id(request))
            return refused
        response = self.authorization_flow_token_response(request)
        if response.status_code >= 400:
            # Only failures reach the error log (usage insights); a success is counted by the validator.
            errorlog.token_error_record(
                request=request,
                client_id=_presented_client_id(request),
                body=response.content.decode("utf-8", "replace"),
            )
        return response

    @method_decorator(sensitive_post_parameters("password", "client_secret"))
    def authorization_flow_token_response(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if app_authorized.has_listeners():
            return super().authorization_flow_token_response(request, *args, **kwargs)
        _url, headers, body, status = self.create_token_response(request)
        response = HttpResponse(content=body, status=status)
        for name, value in headers.items():
            response[name] = value
        return response
