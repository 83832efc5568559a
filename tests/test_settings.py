"""Settings come from the environment only, and production never runs on an invented secret."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _load_settings(**env: str) -> subprocess.CompletedProcess:
    # Start from an unconfigured environment: CI itself sets DATABASE_URL for the PostgreSQL run.
    configuration = {
        "SECRET_KEY",
        "OIDC_RSA_PRIVATE_KEY",
        "OIDC_RSA_PRIVATE_KEY_FILE",
        "DEBUG",
        "DATABASE_URL",
    }
    clean = {k: v for k, v in os.environ.items() if k not in configuration}
    clean.update(env)
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import portal.settings as s; print(s.DEBUG, s.DATABASES['default']['ENGINE'])",
        ],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        check=False,
    )


def test_nothing_set_is_a_debug_site_on_sqlite():
    result = _load_settings()
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True django.db.backends.sqlite3"


def test_database_url_selects_postgresql():
    result = _load_settings(DATABASE_URL="postgres://postgres@127.0.0.1:5432/test")
    # Django's PostgreSQL backend with the portal's cheaper health check (portal/db/postgresql/base.py).
    assert result.stdout.strip() == "True portal.db.postgresql"


def test_production_without_secret_key_stops_with_a_clear_error():
    result = _load_settings(DEBUG="0", OIDC_RSA_PRIVATE_KEY="x")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_production_without_oidc_key_stops_with_a_clear_error():
    result = _load_settings(DEBUG="0", SECRET_KEY="s" * 50)
    assert result.returncode != 0
    assert "OIDC_RSA_PRIVATE_KEY is not set" in result.stderr


def test_a_malformed_variable_is_named():
    result = _load_settings(ACCESS_TOKEN_EXPIRE_SECONDS="an hour")
    assert result.returncode != 0
    assert "ACCESS_TOKEN_EXPIRE_SECONDS='an hour' is not a whole number" in result.stderr
