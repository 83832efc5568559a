"""DOT's OAuthLibCore with two additions for the endpoints DOT protects with client authentication
(introspection) rather than drives through oauthlib.

- The portal's validator raises `invalid_client` with a reason when an app exists but is pending, rejected
  or suspended. oauthlib turns that into a proper OAuth error on every endpoint it drives, but DOT calls the
  validator's `authenticate_client` directly for introspection; there an unusable client simply fails to
  authenticate instead of escaping as a server error, and the error is kept on the Django request
  (`request.oauth2_client_error`) for the introspection view to say why.
- The client that authenticated is kept on the Django request (`request.oauth2_client`), so the
  introspection view can answer only about that client's own tokens (RFC 7662 section 4).
"""

from oauth2_provider.oauth2_backends import OAuthLibCore
from oauthlib.common import Request as OauthlibRequest
from oauthlib.oauth2.rfc6749.errors import OAuth2Error


class PortalOAuthLibCore(OAuthLibCore):
    def authenticate_client(self, request) -> bool:
        # DOT's own body, keeping the oauthlib request to read the authenticated client from.
        uri, http_method, body, headers = self._extract_params(request)
        oauth_request = OauthlibRequest(uri, http_method, body, headers)
        request.oauth2_client = None
        request.oauth2_client_error = None
        try:
            authenticated = self.server.request_validator.authenticate_client(oauth_request)
        except OAuth2Error as error:
            request.oauth2_client_error = error
            return False
        if authenticated:
            request.oauth2_client = oauth_request.client
        return authenticated
