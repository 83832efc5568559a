"""DOT's OAuthLibCore with one guard.

The portal's validator raises `invalid_client` with a reason when an app exists but is pending, rejected
or suspended. oauthlib turns that into a proper OAuth error on every endpoint it drives, but DOT calls the
validator's `authenticate_client` directly for introspection; there an unusable client simply fails to
authenticate instead of escaping as a server error.
"""

from oauth2_provider.oauth2_backends import OAuthLibCore
from oauthlib.oauth2.rfc6749.errors import OAuth2Error


class PortalOAuthLibCore(OAuthLibCore):
    def authenticate_client(self, request) -> bool:
        try:
            return super().authenticate_client(request)
        except OAuth2Error:
            return False
