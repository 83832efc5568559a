"""The values of access and refresh tokens (DOT's ACCESS_TOKEN_GENERATOR, which refresh tokens use too)."""

from __future__ import annotations

import secrets


def random_token(request) -> str:
    """256 random bits, URL-safe base64 (43 characters, within RFC 6750's b64token).

    oauthlib's default draws 30 characters one by one from SystemRandom (178 bits): about 35 µs per token,
    1.5% of a client-credentials request's CPU; this is one call to the operating system's generator.
    """
    return secrets.token_urlsafe(32)
