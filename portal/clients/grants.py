"""Grant types: which a developer may pick alone and which need staff (RFC 9700 deprecations)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from oauth2_provider.models import AbstractApplication as _DOT

AUTHORIZATION_CODE = _DOT.GRANT_AUTHORIZATION_CODE
CLIENT_CREDENTIALS = _DOT.GRANT_CLIENT_CREDENTIALS
DEVICE_CODE = _DOT.GRANT_DEVICE_CODE
IMPLICIT = _DOT.GRANT_IMPLICIT
PASSWORD = _DOT.GRANT_PASSWORD
OPENID_HYBRID = _DOT.GRANT_OPENID_HYBRID

ORDER = tuple(value for value, _label in _DOT.GRANT_TYPES)  # DOT's order, for stable display
ALL = frozenset(ORDER)
SELF_SERVICE = frozenset({AUTHORIZATION_CODE, CLIENT_CREDENTIALS, DEVICE_CODE})
# RFC 9700 2.1.2 (implicit, and the hybrid flow's front-channel tokens) and 2.4 (password).
DEPRECATED = frozenset({IMPLICIT, PASSWORD, OPENID_HYBRID})
# How people read each grant, in the portal's sentence case (DOT's own labels mix cases).
LABELS = {
    AUTHORIZATION_CODE: "Authorization code",
    CLIENT_CREDENTIALS: "Client credentials",
    DEVICE_CODE: "Device code",
    IMPLICIT: "Implicit",
    PASSWORD: "Password",
    OPENID_HYBRID: "OpenID Connect hybrid",
}
# Grants whose flow sends the user's browser back to the app, so they need a redirect URI.
REDIRECTING = frozenset({AUTHORIZATION_CODE, IMPLICIT, OPENID_HYBRID})
# Grants through which a person signs in to the app and which give it an ID token when `openid` is
# approved: the redirecting ones and the device grant (portal.clients.oidc_server). An app with one of
# them needs an ID-token signing algorithm (Application.set_grant_types).
SIGNING_IN = REDIRECTING | {DEVICE_CODE}


def _validate_list(value, allowed: frozenset[str], what: str) -> None:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValidationError("Grant types must be a list of grant type names.", code="invalid")
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise ValidationError(
            "%(unknown)s is not %(what)s.",
            params={"unknown": ", ".join(unknown), "what": what},
            code="invalid",
        )


def validate_grant_type_list(value) -> None:
    _validate_list(value, ALL, "a grant type this server supports")


def validate_deprecated_grant_list(value) -> None:
    _validate_list(value, DEPRECATED, "a deprecated grant type (implicit, password, openid-hybrid)")
