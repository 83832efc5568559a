"""Reading CLIENT_SECRET_HMAC_KEYS (settings.py): the server-side keys of the client-secret hasher.

Kept apart from hashers.py so settings.py can parse the variable without importing Django's auth hashers.
"""

from __future__ import annotations

import re

from django.core.exceptions import ImproperlyConfigured

KEY_ID = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
MIN_KEY_LENGTH = 32


def parse_hmac_keys(raw: str) -> dict[str, str]:
    """`id:key,id:key` into an ordered {id: key}; the first key is the current one."""
    keys: dict[str, str] = {}
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        key_id, sep, key = item.partition(":")
        if not sep or not KEY_ID.match(key_id):
            raise ImproperlyConfigured(
                "CLIENT_SECRET_HMAC_KEYS must be a comma-separated list of id:key pairs (the first is "
                "current); an id is 1-32 letters, digits, '.', '_' or '-'."
            )
        if len(key) < MIN_KEY_LENGTH:
            raise ImproperlyConfigured(
                f"CLIENT_SECRET_HMAC_KEYS: the key {key_id!r} is shorter than {MIN_KEY_LENGTH} characters."
            )
        if key_id in keys:
            raise ImproperlyConfigured(f"CLIENT_SECRET_HMAC_KEYS names the key id {key_id!r} twice.")
        keys[key_id] = key
    if not keys:
        raise ImproperlyConfigured("CLIENT_SECRET_HMAC_KEYS holds no key.")
    return keys
