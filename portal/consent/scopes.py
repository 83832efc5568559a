"""Scope arithmetic for the consent screen, kept free of requests and the database so it is easy to test.

Descriptions come from DOT's scopes backend, which reads OAUTH2_PROVIDER["SCOPES"] (written in plain words).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from oauth2_provider.scopes import get_scopes_backend

# `openid` is what signing in *is*: an OpenID Connect request without it is no sign-in, so a person cannot
# untick it. Every other scope is optional on the consent screen.
REQUIRED = frozenset({"openid"})


@dataclass(frozen=True)
class Scope:
    name: str
    description: str
    required: bool


def _known() -> dict[str, str]:
    return get_scopes_backend().get_all_scopes()


def ordered(scopes: Iterable[str]) -> list[str]:
    """Known scopes only, without duplicates, in the order the settings list them."""
    wanted = set(scopes)
    return [name for name in _known() if name in wanted]


def describe(scopes: Iterable[str]) -> list[Scope]:
    known = _known()
    return [Scope(name, known[name], name in REQUIRED) for name in ordered(scopes)]


def missing(*, requested: Iterable[str], granted: Iterable[str]) -> list[str]:
    """What the request asks for that the person has not granted yet."""
    already = set(granted)
    return [name for name in ordered(requested) if name not in already]


def decide(
    *, requested: Iterable[str], ticked: Iterable[str], previous: Iterable[str], reconsent: bool
) -> tuple[list[str], list[str]]:
    """(scopes the tokens get, scopes the consent record keeps) after the person pressed Allow.

    Required scopes are always granted; optional ones only when ticked. Scopes granted earlier stay
    granted without being shown again, unless the client asked for `prompt=consent`, when every requested
    scope was on the screen and the person's ticks decide afresh. Scopes granted earlier but not requested
    now are kept in the record untouched.
    """
    requested = ordered(requested)
    chosen = set(ticked) | REQUIRED
    if not reconsent:
        chosen |= set(previous)
    granted = [name for name in requested if name in chosen]
    kept = [name for name in ordered(previous) if name not in requested]
    return granted, ordered([*kept, *granted])
