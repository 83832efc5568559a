"""The DOT internals the protocol code leans on, pinned: if a DOT upgrade renames or reshapes one, this
fails before the portal misbehaves (issue 17, item 7)."""

from __future__ import annotations

import inspect

from oauth2_provider.models import get_refresh_token_model
from oauth2_provider.oauth2_backends import OAuthLibCore
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.views.oidc import RPInitiatedLogoutView


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
