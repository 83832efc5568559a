"""Keys for the local development site, generated once per checkout into ``.devkeys/`` (ignored by git).

Only settings.py calls these, and only while DEBUG is on: production must set its own secrets.
A key is written to a temporary file and hard-linked into place, so two processes starting at once
(the dev server's reloader, parallel test workers) end up reading the same key.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


def _read_or_create(path: Path, make) -> str:
    if path.exists():
        return path.read_text()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(make())
        with contextlib.suppress(FileExistsError):  # another process won the race: use its key
            os.link(tmp, path)
    finally:
        os.unlink(tmp)
    return path.read_text()


def development_secret_key(directory: Path) -> str:
    return _read_or_create(directory / "secret_key", lambda: secrets.token_urlsafe(50)).strip()


def development_oidc_key(path: Path) -> str:
    def make() -> str:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()

    return _read_or_create(path, make)
