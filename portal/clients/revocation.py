"""Token revocation (RFC 7009) at `/o/revoke_token/`, DOT's view under DOT's URL name, with what the token
endpoint (portal.clients.token_view) has too:

- rate limits per address and per client id (shared with introspection), counted before DOT sees the request;
- a failure of an app the portal knows (invalid_client, invalid_request, unsupported_token_type, a 429) is
  counted and logged for the app's developer (portal/usage/errorlog.py), and its JSON error body goes out
  as `application/json`. A success (including a token that is unknown or another app's, which RFC 7009 2.2
  answers with 200 too) adds nothing.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters
from oauth2_provider import views as dot_views

from portal.clients.endpoints import json_error, presented_client_id, refused_by_limits
from portal.usage import errorlog


class RevokeTokenView(dot_views.RevokeTokenView):
    """DOT's revocation endpoint (csrf-exempt and open to anonymous callers, as DOT's dispatch is)."""

    @method_decorator(sensitive_post_parameters("client_secret", "token"))
    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        refused = refused_by_limits(
            request,
            address_limit="token_use_address",
            client_limit="token_use_client",
            endpoint=errorlog.REVOKE,
        )
        if refused is not None:
            return refused
        response = super().post(request, *args, **kwargs)
        if response.status_code >= 400:
            errorlog.token_use_error_record(
                request=request,
                endpoint=errorlog.REVOKE,
                client_id=presented_client_id(request),
                body=response.content.decode("utf-8", "replace"),
            )
        return json_error(response)
