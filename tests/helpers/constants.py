"""Values many tests share: the test users' password and a loopback redirect URI."""

from __future__ import annotations

PASSWORD = "correct-horse-battery-staple"


LOOPBACK_CALLBACK = "http://127.0.0.1:8765/callback"
