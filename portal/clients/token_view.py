"""The token endpoint (mounted as ``oauth2_provider:token``): DOT's TokenView, with these changes.

- Rate limits per address and per client (portal/ratelimits.py), counted before DOT sees the request.
- Every grant goes through oauthlib and the portal's validator, the device grant included
  (`PortalOAuth2Validator.validate_device_code` decides pending, slow_down, expired, denied and the
  one-time exchange). DOT 3.4.1's own device branch looked the code up without its client and 500ed on a
  missing one (see the oauthlib pin in pyproject.toml).
- No re-read of the token just issued: DOT looks the new access token up again by its checksum only to send
  the `app_authorized` signal with it (one of the three statements of a client-credentials request).
  Nothing in the portal listens to that signal, so the re-read is skipped unless something does.
- A failed request (including a 429) is counted and logged for the app's developer (portal/usage/errorlog.py),
  and its JSON error body goes out as `application/json` (portal.clients.endpoints.json_error).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views import View
from oauth2_provider import views as dot_views
from oauth2_provider.signals import app_authorized

from portal.clients.endpoints import json_error, presented_client_id, refused_by_limits
from portal.usage import errorlog

# What Django's sensitive_post_parameters decorator marks: left out of error reports.
SENSITIVE_POST_PARAMETERS = ("password", "client_secret")


class TokenView(dot_views.TokenView):
    """DOT's token endpoint, counted per address and per client before DOT sees the request. Fails open
    when the cache is down: every app's token refresh depends on this endpoint, and a client secret is
    a long random value stored hashed, so the limit guards capacity, not a guessable credential."""

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        # Django's View.dispatch as it is. DOT's is wrapped with method_decorator(csrf_exempt) and
        # method_decorator(login_not_required), which build new wrappers on every request (about 3% of a
        # client-credentials token's CPU) only to set two marks; the marks are set once, below.
        return View.dispatch(self, request, *args, **kwargs)

    # as_view() copies these to the view: CSRF exempt (the client authenticates itself), and open to
    # anonymous callers under LoginRequiredMiddleware, as DOT's decorators made it.
    vars(dispatch).update(csrf_exempt=True, login_required=False)

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        # What DOT's sensitive_post_parameters decorator sets, set here without building a wrapper.
        request.sensitive_post_parameters = SENSITIVE_POST_PARAMETERS  # type: ignore[attr-defined]
        refused = refused_by_limits(
            request, address_limit="token_address", client_limit="token_client", endpoint=errorlog.TOKEN
        )
        if refused is not None:
            return refused
        response = self.authorization_flow_token_response(request)
        if response.status_code >= 400:
            # Only failures reach the error log (usage insights); a success is counted by the validator.
            errorlog.token_error_record(
                request=request,
                client_id=presented_client_id(request),
                body=response.content.decode("utf-8", "replace"),
            )
        return json_error(response)

    def authorization_flow_token_response(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if app_authorized.has_listeners():
            return super().authorization_flow_token_response(request, *args, **kwargs)
        _url, headers, body, status = self.create_token_response(request)
        response = HttpResponse(content=body, status=status)
        for name, value in headers.items():
            response[name] = value
        return response
