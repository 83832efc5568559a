"""The oauthlib server behind DOT's protocol views (DOT's `OIDC_SERVER_CLASS`): oauthlib's OpenID Connect
server, with the device grant (RFC 8628) wrapped for OpenID Connect as oauthlib wraps the authorization
code grant.

oauthlib 4.0.1's OpenID Connect server registers its plain OAuth 2 device grant, so a device whose person
approved `openid` got no ID token, where the code flow gets one. `OpenIDDeviceCodeGrant` is oauthlib's
OpenID Connect wrapper (the one its authorization code and refresh grants use) around the device grant: it
adds oauthlib's `add_id_token` as a token modifier, which leaves a token without `openid` untouched and
otherwise has the validator sign the ID token (DOT's finalize_id_token, the same signing, issuer, audience,
sub, auth_time and claims by scope as the code flow's; no nonce, since the device flow has none) and
save it (DOT's _save_id_token).

oauthlib's device grant runs no token modifiers at the token endpoint (its create_token_response goes
straight from create_token to save_token), so `DeviceCodeGrant` runs them there, as oauthlib's
authorization code grant does. tests/oauth/test_dot_internals.py pins the oauthlib code this repeats.
"""

from __future__ import annotations

import json

from oauthlib.oauth2.rfc6749 import errors
from oauthlib.oauth2.rfc8628.grant_types import DeviceCodeGrant as OAuth2DeviceCodeGrant
from oauthlib.openid import Server as OpenIDServer
from oauthlib.openid.connect.core.grant_types.base import GrantTypeBase as OpenIDGrantTypeBase

DEVICE_CODE_GRANT_TYPE = "urn:ietf:params:oauth:grant-type:device_code"


class DeviceCodeGrant(OAuth2DeviceCodeGrant):
    """oauthlib's device grant, with its token modifiers run at the token endpoint."""

    def create_token_response(self, request, token_handler):
        # oauthlib's create_token_response, with the modifier loop of its authorization code grant between
        # creating the token and saving it (so the ID token is saved with, and linked to, the access token).
        headers = self._get_default_headers()
        try:
            self.validate_token_request(request)
        except errors.OAuth2Error as e:
            headers.update(e.headers)
            return headers, e.json, e.status_code

        token = token_handler.create_token(request, self.refresh_token)

        for modifier in self._token_modifiers:
            token = modifier(token, token_handler, request)

        self.request_validator.save_token(token, request)

        return headers, json.dumps(token), 200


class OpenIDDeviceCodeGrant(OpenIDGrantTypeBase):
    """The device grant for OpenID Connect, built like oauthlib's own OpenID Connect grants: everything is
    the OAuth 2 grant's, plus the ID token when the approved scopes include `openid`."""

    def __init__(self, request_validator=None, **kwargs):
        self.proxy_target = DeviceCodeGrant(request_validator=request_validator, **kwargs)
        # oauthlib's add_id_token: a no-op without `openid` in request.scopes (the scopes the person
        # approved, set by the validator's validate_device_code), so the other polls cost nothing more.
        self.register_token_modifier(self.add_id_token)


class Server(OpenIDServer):
    def __init__(
        self,
        request_validator,
        token_expires_in=None,
        token_generator=None,
        refresh_token_generator=None,
        *args,
        **kwargs,
    ):
        super().__init__(
            request_validator, token_expires_in, token_generator, refresh_token_generator, *args, **kwargs
        )
        # Built with the same arguments oauthlib's server gives its own device grant.
        self.device_code_grant = OpenIDDeviceCodeGrant(request_validator, **kwargs)
        self.grant_types[DEVICE_CODE_GRANT_TYPE] = self.device_code_grant
