"""Redirect URI rules for registration (RFC 9700 section 2.1, RFC 8252 for native apps).

Matching at request time is DOT's exact comparison; these rules decide what may be registered at all:
https everywhere, http only on loopback, private-use schemes (reverse domain names) for native apps,
and never wildcards, fragments or userinfo. Every message names the offending URI.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
MAX_URIS = 20
MAX_URI_LENGTH = 2000
# RFC 8252 7.1: a private-use scheme is a reverse domain name the developer controls, so it has a dot.
_PRIVATE_USE_SCHEME = re.compile(r"^[a-z][a-z0-9+\-]*(\.[a-z0-9+\-]+)+$")
# Schemes that look like reverse domain names can still never be a safe redirect target.
_FORBIDDEN_SCHEMES = frozenset({"javascript", "data", "vbscript", "file", "blob", "about"})


def _problem(uri: str) -> str | None:
    """Why `uri` cannot be registered, or None when it can."""
    if len(uri) > MAX_URI_LENGTH:
        return f"{uri[:60]}… is longer than {MAX_URI_LENGTH} characters."
    try:
        parts = urlsplit(uri)
        hostname = parts.hostname
        parts.port  # noqa: B018  (raises ValueError for a malformed port)
    except ValueError:
        return f"{uri} is not a valid URI."
    scheme = parts.scheme.lower()
    if not scheme:
        return f"{uri} has no scheme; use an absolute URI such as https://example.com/callback."
    if "#" in uri:
        return f"{uri} has a fragment (#…); redirect URIs must not have one."
    if "@" in parts.netloc:
        return f"{uri} contains user credentials (user@host); remove them."
    if "*" in uri:
        return f"{uri} contains a wildcard (*); register each exact URI instead."
    if scheme == "https":
        if not hostname:
            return f"{uri} has no host."
        return None
    if scheme == "http":
        if hostname in LOOPBACK_HOSTS:
            return None
        return f"{uri} uses http; only https is allowed, except http on 127.0.0.1, [::1] or localhost."
    if scheme in _FORBIDDEN_SCHEMES or not _PRIVATE_USE_SCHEME.match(scheme):
        return (
            f"{uri} uses the scheme '{scheme}:'. Use https, or for a native app a private-use scheme "
            "named after a domain you control in reverse order, such as com.example.app:/callback."
        )
    if parts.netloc:
        return f"{uri} should have no host after the scheme; write {scheme}:/{parts.path.lstrip('/')}."
    return None


def validate_redirect_uri_list(uris: list[str]) -> None:
    """Raise one ValidationError listing every URI that cannot be registered."""
    if len(uris) > MAX_URIS:
        raise ValidationError(f"At most {MAX_URIS} URIs may be registered; {len(uris)} were given.")
    problems = [problem for uri in uris if (problem := _problem(uri))]
    duplicates = sorted({uri for uri in uris if uris.count(uri) > 1})
    problems += [f"{uri} is listed more than once." for uri in duplicates]
    if problems:
        raise ValidationError(problems, code="invalid_redirect_uri")


def allowed_schemes(uris: list[str]) -> list[str]:
    """The schemes DOT's own validator should accept for these URIs, once the rules above passed them."""
    schemes = {"https", "http"}
    schemes.update(urlsplit(uri).scheme.lower() for uri in uris if ":" in uri)
    return sorted(schemes)
