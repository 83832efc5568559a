"""User codes: what a person reads off a TV screen and types on a phone.

RFC 8628 6.1: a short code from a case-insensitive alphabet without look-alike characters, shown with a
separator for readability. DOT's default generator draws from 0-9A-V, which has 0/O and 1/I/L; this one
uses the 20 consonants the RFC suggests, 8 of them (20^8, about 34.5 bits), which the verification page's
rate limits (5.1) and the codes' short lifetime make impractical to guess.
"""

from __future__ import annotations

import re
import secrets

ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"
LENGTH = 8
_NOT_CODE = re.compile(r"[\s\-]+")


def user_code_generate() -> str:
    """The stored form: upper case, no separator (what oauthlib puts in the grant)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def user_code_display(code: str) -> str:
    """WDJBMJHT -> WDJB-MJHT, as the device shows it."""
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}" if len(code) == LENGTH else code


def user_code_normalize(typed: str) -> str | None:
    """What a person typed, in the stored form, or None when it cannot be a code at all.

    Lower case, a dash or spaces anywhere are fine ("wdjb mjht", "WDJB-MJHT"). Anything else (other
    characters, the wrong length, a NUL byte) is no code, so it never reaches the database.
    """
    code = _NOT_CODE.sub("", typed or "").upper()
    if len(code) != LENGTH or any(char not in ALPHABET for char in code):
        return None
    return code
