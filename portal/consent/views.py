"""The authorization endpoint, mounted as DOT's `oauth2_provider:authorize`.

For now it is DOT's AuthorizationView with one fix: DOT redirects *errors* with `application=None` and
so checks the redirect against the global scheme list, which (RFC 9700) holds only https. Loopback
(http://127.0.0.1) and native (com.example.app:/cb) clients would never receive their error and the
user would see a 400 instead. oauthlib only redirects an error after it matched the redirect URI against
the client's registration, so the registered client decides the allowed schemes, as on success.
"""

from __future__ import annotations

from oauth2_provider.views import AuthorizationView as DOTAuthorizationView

from portal.clients.selectors import application_by_client_id


class AuthorizationView(DOTAuthorizationView):
    def error_response(self, error, application, **kwargs):
        if application is None:
            application = application_by_client_id(getattr(error.oauthlib_error, "client_id", None))
        return super().error_response(error, application, **kwargs)
