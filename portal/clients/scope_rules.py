"""Which scopes an app may obtain (issue 9, finding 10).

Scopes about a person (`openid`, `profile`, `email`, `groups`) only mean something when a person signs in,
so they are for user-facing grants only: authorization code (and the refresh tokens it leads to), the device
grant, and the deprecated grants staff may allow. A client-credentials token acts for the app itself and may
carry only the API scopes (`read`, `write`), whatever else the app may do; an app whose grants are all
machine-to-machine never obtains a person's scopes at all. Staff approve an app's grants, so this derives
the approved scopes from them rather than asking developers to list scopes too.

`openid` also needs a key to sign ID tokens with: an app without a signing algorithm (one made by DOT's
`createapplication` without `--algorithm`, or adopted from a DOT install) is refused `openid` as
`invalid_scope` up front, where DOT would fail while signing, after the code was spent (a 500).
"""

from __future__ import annotations

from oauth2_provider.scopes import get_scopes_backend

from portal.clients import grants

PERSON_SCOPES = frozenset({"openid", "profile", "email", "groups"})
# The app's grants are DOT's names ("client-credentials"); a token request names oauthlib's
# (RFC 6749: "client_credentials").
MACHINE_GRANTS = frozenset({grants.CLIENT_CREDENTIALS})
MACHINE_REQUEST_GRANT_TYPES = frozenset({"client_credentials"})


def allowed_scopes(application, *, grant_type: str | None) -> frozenset[str]:
    """The scopes `application` may obtain through `grant_type`, the RFC 6749 name of a token request's
    grant (None at the authorization endpoint)."""
    every = frozenset(get_scopes_backend().get_all_scopes())
    user_facing = set(application.effective_grant_types()) - MACHINE_GRANTS
    if grant_type in MACHINE_REQUEST_GRANT_TYPES or not user_facing:
        return every - PERSON_SCOPES
    if application.algorithm == application.NO_ALGORITHM:
        return every - {"openid"}
    return every
