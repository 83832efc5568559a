"""DOT's token endpoint without its re-read of the token it just issued.

After issuing a token, DOT's TokenView looks the new access token up again by its checksum only to send
the `app_authorized` signal with it: one of the three statements of a client-credentials request. Nothing
in the portal listens to that signal, so the re-read is skipped unless something does.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters
from oauth2_provider import views as dot_views
from oauth2_provider.signals import app_authorized


class TokenView(dot_views.TokenView):
    @method_decorator(sensitive_post_parameters("password", "client_secret"))
    def authorization_flow_token_response(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if app_authorized.has_listeners():
            return super().authorization_flow_token_response(request, *args, **kwargs)
        _url, headers, body, status = self.create_token_response(request)
        response = HttpResponse(content=body, status=status)
        for name, value in headers.items():
            response[name] = value
        return response
