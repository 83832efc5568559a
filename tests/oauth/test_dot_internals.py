"""The DOT internals the protocol code leans on, pinned: if a DOT upgrade renames or reshapes one, this
fails before the portal misbehaves (issue 17, item 7)."""

from __future__ import annotations

import hashlib
import inspect

from oauth2_provider.models import get_refresh_token_model
from oauth2_provider.oauth2_backends import OAuthLibCore, _add_iss_to_redirect
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.views.metadata import OAuthServerMetadataView
from oauth2_provider.views.mixins import OAuthLibMixin
from oauth2_provider.views.oidc import RPInitiatedLogoutView
from oauthlib.oauth2.rfc6749.grant_types import AuthorizationCodeGrant
from oauthlib.oauth2.rfc8628.grant_types import DeviceCodeGrant
from oauthlib.openid import Server as OpenIDServer

from portal.clients import oidc_server
from portal.clients.validators import PortalOAuth2Validator
from portal.consent.views import AuthorizationView

# DOT 3.4.1's OAuth2Validator._check_and_set_request_resource, whose code-exchange branch the portal copies.
DOT_RESOURCE_CHECK_SHA256 = "83be546872406c2c6f150743dd9412b7280bd5986efe138b314af409e58e1c36"
# ...and its _create_access_token, which the portal repeats with the ID token it has just signed.
DOT_CREATE_ACCESS_TOKEN_SHA256 = "b9b36b168ac8ba464970453fa934c706990a808ddf01b1bf9df2acc96de09358"
# oauthlib 4.0.1's DeviceCodeGrant.create_token_response, which portal.clients.oidc_server repeats with the
# token modifiers run (for the ID token).
OAUTHLIB_DEVICE_TOKEN_RESPONSE_SHA256 = "4eaabfc97f8f4d74b5d1b0f3d7b9f18681403cc03939be48f79cde7b5fa04bc3"


def _parameters(function) -> list[str]:
    return list(inspect.signature(function).parameters)


def test_the_backend_extracts_params_for_client_authentication():
    # portal.clients.backends rebuilds DOT's authenticate_client to keep the authenticated client.
    assert _parameters(OAuthLibCore._extract_params) == ["self", "request"]
    assert "self._extract_params(request)" in inspect.getsource(OAuthLibCore.authenticate_client)


def test_the_validator_reads_basic_auth_the_way_the_portal_does():
    # portal.clients.validators._presented_credentials decodes what _extract_basic_auth returns.
    assert _parameters(OAuth2Validator._extract_basic_auth) == ["self", "request"]
    source = inspect.getsource(OAuth2Validator._authenticate_basic_auth)
    assert "base64.b64decode(auth_string)" in source and 'split(":", 1)' in source


def test_the_logout_view_has_the_hooks_the_portal_overrides():
    assert _parameters(RPInitiatedLogoutView.get_request_application) == ["self", "id_token", "client_id"]
    assert _parameters(RPInitiatedLogoutView.validate_logout_request) == [
        "self",
        "id_token_hint",
        "client_id",
        "post_logout_redirect_uri",
    ]
    assert _parameters(RPInitiatedLogoutView.must_prompt) == ["self", "token_user"]
    assert _parameters(RPInitiatedLogoutView.do_logout) == [
        "self",
        "application",
        "post_logout_redirect_uri",
        "state",
        "token_user",
    ]


def test_refresh_token_families_can_be_revoked_at_once():
    # portal.clients.protocol_events revokes what a replayed authorization code was exchanged for.
    assert _parameters(get_refresh_token_model().revoke_family) == ["token_family"]


def test_every_client_lookup_goes_through_load_application():
    # PortalOAuth2Validator._load_application refuses unapproved apps with a reason; that only holds while
    # DOT looks every client up through it, with this signature.
    assert _parameters(OAuth2Validator._load_application) == ["self", "client_id", "request"]
    for method in (
        OAuth2Validator._authenticate_basic_auth,
        OAuth2Validator._authenticate_request_body,
        OAuth2Validator.authenticate_client_id,
        OAuth2Validator.validate_client_id,
    ):
        assert "self._load_application(" in inspect.getsource(method), method.__name__
    assert "_load_application" in PortalOAuth2Validator.__dict__


def test_secrets_are_checked_through_check_secret():
    # PortalOAuth2Validator._check_secret accepts the previous secret during its grace period.
    assert _parameters(OAuth2Validator._check_secret) == ["self", "provided_secret", "stored_secret"]
    for method in (OAuth2Validator._authenticate_basic_auth, OAuth2Validator._authenticate_request_body):
        assert "self._check_secret(client_secret, request.client.client_secret)" in inspect.getsource(method)


def test_add_iss_to_redirect_adds_one_iss_and_is_idempotent():
    # portal.consent.views adds `iss` to error redirects too, relying on it replacing rather than repeating.
    assert _parameters(_add_iss_to_redirect) == ["uri", "issuer"]
    once = _add_iss_to_redirect("https://rp.example/cb?error=access_denied", "https://op.example")
    assert once == "https://rp.example/cb?error=access_denied&iss=https%3A%2F%2Fop.example"
    assert _add_iss_to_redirect(once, "https://op.example") == once


def test_the_oauthlib_core_is_cached_on_the_class_as_oauthlib_core():
    # AuthorizationView.get_oauthlib_core keeps its own cache under DOT's attribute name.
    source = inspect.getsource(OAuthLibMixin.get_oauthlib_core)
    assert 'hasattr(cls, "_oauthlib_core")' in source and "cls._oauthlib_core = " in source
    core = AuthorizationView.get_oauthlib_core()
    assert AuthorizationView.__dict__["_oauthlib_core"] is core
    assert isinstance(core.server.request_validator, PortalOAuth2Validator)


def test_the_metadata_view_builds_endpoint_urls():
    # portal.device.views.ServerMetadataView adds device_authorization_endpoint with this helper.
    assert _parameters(OAuthServerMetadataView._get_endpoint_url) == [
        "self",
        "request",
        "view_name",
        "required",
    ]


def test_the_validator_creates_each_token_in_its_own_hook():
    # portal.clients.validators keeps the tokens these return on the request, so recording an exchanged
    # authorization code needs no query to find them again; both must run inside save_bearer_token.
    assert _parameters(OAuth2Validator._create_access_token) == [
        "self",
        "expires",
        "request",
        "token",
        "source_refresh_token",
    ]
    assert _parameters(OAuth2Validator._create_refresh_token) == [
        "self",
        "request",
        "refresh_token_code",
        "access_token",
        "previous_refresh_token",
    ]
    source = inspect.getsource(OAuth2Validator._save_bearer_token)
    assert "self._create_access_token(" in source and "self._create_refresh_token(" in source


def test_every_grant_read_of_a_code_exchange_is_overridden():
    # PortalOAuth2Validator reads the grant once per token request (_exchange_grant). That only holds while
    # each DOT method reading the grant is one the portal overrides; the methods left to DOT write it.
    reading = {
        name
        for name, member in vars(OAuth2Validator).items()
        if callable(member) and "Grant.objects" in inspect.getsource(member)
    }
    writing = {"invalidate_authorization_code", "_create_authorization_code"}
    assert reading - writing == {
        "confirm_redirect_uri",
        "validate_code",
        "get_code_challenge",
        "get_code_challenge_method",
        "get_authorization_code_scopes",
        "_check_and_set_request_resource",
        "get_authorization_code_nonce",
    }
    assert all(name in PortalOAuth2Validator.__dict__ for name in reading - writing)
    # _check_and_set_request_resource's code-exchange branch is a copy of DOT's: if DOT reshapes it, the
    # copy must be looked at again.
    source = inspect.getsource(OAuth2Validator._check_and_set_request_resource)
    assert hashlib.sha256(source.encode()).hexdigest() == DOT_RESOURCE_CHECK_SHA256, "re-copy the branch"


def test_the_access_token_creation_the_portal_repeats_is_dots():
    # PortalOAuth2Validator._create_access_token builds the token as DOT does, with the ID token kept from
    # finalize_id_token (which sets request.id_token) instead of DOT's re-read of it.
    source = inspect.getsource(OAuth2Validator._create_access_token)
    assert hashlib.sha256(source.encode()).hexdigest() == DOT_CREATE_ACCESS_TOKEN_SHA256, "repeat it again"
    assert "request.id_token = id_token" in inspect.getsource(OAuth2Validator.finalize_id_token)


def test_the_device_token_response_the_portal_repeats_is_oauthlibs():
    # portal.clients.oidc_server.DeviceCodeGrant repeats it with the modifier loop of oauthlib's code grant.
    source = inspect.getsource(DeviceCodeGrant.create_token_response)
    assert hashlib.sha256(source.encode()).hexdigest() == OAUTHLIB_DEVICE_TOKEN_RESPONSE_SHA256, "repeat it"
    loop = (
        "for modifier in self._token_modifiers:\n"
        + 12 * " "
        + "token = modifier(token, token_handler, request)"
    )
    assert loop in inspect.getsource(AuthorizationCodeGrant.create_token_response)
    assert loop in inspect.getsource(oidc_server.DeviceCodeGrant.create_token_response)
    # The portal's server replaces oauthlib's device grant by name, after oauthlib built its own.
    assert "self.device_code_grant = DeviceCodeGrant(request_validator, **kwargs)" in inspect.getsource(
        OpenIDServer.__init__
    )
    assert _parameters(OpenIDServer.__init__) == _parameters(oidc_server.Server.__init__)
