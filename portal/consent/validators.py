"""The validator the authorization endpoint uses: the portal's, plus OpenID Connect's silent checks.

oauthlib asks `validate_silent_login` and `validate_silent_authorization` while it validates a
`prompt=none` request, but it only has the query string: it does not know who is signed in or what they
consented to. The portal's AuthorizationView answers `prompt=none` itself, right after this validation
(which is what proves the client and redirect URI are registered, so an error may be redirected), so here
both checks let validation continue. DOT leaves them unimplemented, which made `prompt=none` a 500.
"""

from __future__ import annotations

from portal.clients.validators import PortalOAuth2Validator


class AuthorizationEndpointValidator(PortalOAuth2Validator):
    def validate_silent_login(self, request) -> bool:
        return True

    def validate_silent_authorization(self, request) -> bool:
        return True
