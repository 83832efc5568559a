"""Hashers for client secrets (never for people's passwords: neither is first in PASSWORD_HASHERS).

A client secret is 128 random characters from DOT's generator, far beyond any brute force, so key stretching
buys nothing: Django's 1,000,000 PBKDF2 rounds cost ~0.5 s of CPU on every token, introspection and
revocation request, which caps the token endpoint at a few requests per second for the whole machine and
makes it a denial-of-service lever. API-key stores use a keyed fast hash instead, and so does the portal:
HMAC-SHA-256 under a server-side key that lives outside the database (CLIENT_SECRET_HMAC_KEYS), so a leaked
database alone does not even allow checking a guess offline.

Older hashes keep verifying (the portal's earlier 10,000-round PBKDF2 and Django's PBKDF2 of adopted DOT
installs) and are re-hashed on their first successful use (portal.clients.secrets).
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from django.contrib.auth.hashers import BasePasswordHasher, PBKDF2PasswordHasher, mask_hash
from django.utils.translation import gettext_noop as _


class ClientSecretHMACHasher(BasePasswordHasher):
    """`client_secret_hmac_sha256$<key id>$<hex digest>`: HMAC-SHA-256 of the secret under a server key.

    No salt: salting defends low-entropy inputs against precomputed tables, and a 128-character random
    secret is its own salt. The key id in the hash lets the key rotate: put a new key first in
    CLIENT_SECRET_HMAC_KEYS and keep the old one after it; hashes under the old key still verify and are
    re-hashed under the new one on their next use (`must_update`).
    """

    algorithm = "client_secret_hmac_sha256"

    @staticmethod
    def _keys() -> dict[str, str]:
        return settings.CLIENT_SECRET_HMAC_KEYS

    def salt(self) -> str:
        return ""

    def _digest(self, password: str, key: str) -> str:
        return hmac.new(key.encode(), password.encode(), hashlib.sha256).hexdigest()

    def encode(self, password: str, salt: str = "", key_id: str | None = None) -> str:
        keys = self._keys()
        key_id = key_id or next(iter(keys))
        return f"{self.algorithm}${key_id}${self._digest(password, keys[key_id])}"

    def decode(self, encoded: str) -> dict:
        algorithm, key_id, digest = encoded.split("$", 2)
        assert algorithm == self.algorithm
        return {"algorithm": algorithm, "key_id": key_id, "hash": digest, "salt": ""}

    def verify(self, password: str, encoded: str) -> bool:
        try:
            decoded = self.decode(encoded)
        except (ValueError, AssertionError):
            return False
        key = self._keys().get(decoded["key_id"])
        if key is None:
            # A key removed from the settings: every secret hashed under it stops working, by design.
            return False
        return hmac.compare_digest(self._digest(password, key), decoded["hash"])

    def safe_summary(self, encoded: str) -> dict:
        decoded = self.decode(encoded)
        return {
            _("algorithm"): decoded["algorithm"],
            _("key id"): decoded["key_id"],
            _("hash"): mask_hash(decoded["hash"]),
        }

    def must_update(self, encoded: str) -> bool:
        return self.decode(encoded)["key_id"] != next(iter(self._keys()))

    def harden_runtime(self, password: str, encoded: str) -> None:
        # Django evens out the time of verifying against hashes with fewer iterations; there are none here.
        pass


class ClientSecretHasher(PBKDF2PasswordHasher):
    """The portal's earlier client-secret hasher (PBKDF2, 10,000 rounds): kept so its hashes still verify
    until their next successful use re-hashes them with ClientSecretHMACHasher."""

    algorithm = "client_secret_pbkdf2_sha256"
    iterations = 10_000
