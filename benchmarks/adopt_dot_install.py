"""How long `manage.py adopt_dot_install` takes on a big stock DOT database, and how long clients wait.

    .venv/bin/python benchmarks/adopt_dot_install.py [--apps 10000] [--tokens 1000000] [--keep]

Builds a scratch PostgreSQL database with DOT's own migrations (the stock project of the adoption tests,
tests/adoption/stock_dot_settings.py), fills it in bulk with generate_series (users, apps, access tokens,
refresh tokens, ID tokens, grants), then runs the real command in a subprocess, first with --dry-run and
then for real. Meanwhile a second connection keeps doing the lookup every token request does (access
token by checksum, joined to its application) and records the longest wait: that is what the running site
feels. The server comes from BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres);
the scratch database is dropped afterwards unless --keep.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parents[1]
SERVER = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")

# Each statement fills one table in bulk; %(name)s are the sizes. Rows are shaped like DOT writes them:
# hashed secrets, token checksums (sha256 of the token), one refresh token per access token it refreshes.
FILL = [
    (
        "users",
        """INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email, is_staff,
               is_active, date_joined)
           SELECT '!', false, 'user' || g, '', '', 'user' || g || '@example.com', false, true, now()
           FROM generate_series(1, %(users)s) g""",
    ),
    (
        "apps",
        """INSERT INTO oauth2_provider_application (client_id, redirect_uris, client_type,
               authorization_grant_type, client_secret, name, user_id, skip_authorization, created, updated,
               algorithm, post_logout_redirect_uris, hash_client_secret, allowed_origins, registration_source)
           SELECT 'client-' || g, 'https://app' || g || '.example/callback',
               CASE WHEN g %% 3 = 0 THEN 'public' ELSE 'confidential' END,
               (ARRAY['authorization-code', 'client-credentials', 'password', 'implicit', 'openid-hybrid',
                      'urn:ietf:params:oauth:grant-type:device_code'])[1 + g %% 6],
               'pbkdf2_sha256$1000000$' || md5(g::text) || '$' || md5('secret' || g), 'App ' || g,
               1 + g %% %(users)s, false, now(), now(), '', '', true, '', 'manual'
           FROM generate_series(1, %(apps)s) g""",
    ),
    (
        "ID tokens",
        """INSERT INTO oauth2_provider_idtoken (jti, expires, scope, created, updated, application_id,
               user_id)
           SELECT gen_random_uuid(), now() + interval '1 hour', 'openid', now(), now(),
               1 + g %% %(apps)s, 1 + g %% %(users)s
           FROM generate_series(1, %(id_tokens)s) g""",
    ),
    (
        "access tokens",
        """INSERT INTO oauth2_provider_accesstoken (token, expires, scope, application_id, user_id, created,
               updated, id_token_id, token_checksum, resource)
           SELECT 'at-' || g,
               now() + CASE WHEN g %% 2 = 0 THEN interval '1 hour' ELSE interval '-1 hour' END,
               'read write', 1 + g %% %(apps)s, 1 + g %% %(users)s, now(), now(),
               CASE WHEN g <= %(id_tokens)s THEN g END,
               encode(sha256(convert_to('at-' || g, 'UTF8')), 'hex'), '[]'
           FROM generate_series(1, %(tokens)s) g""",
    ),
    (
        "refresh tokens",
        """INSERT INTO oauth2_provider_refreshtoken (token, access_token_id, application_id, user_id, created,
               updated, token_family, token_checksum, resource)
           SELECT 'rt-' || g, g, 1 + g %% %(apps)s, 1 + g %% %(users)s, now(), now(), gen_random_uuid(),
               encode(sha256(convert_to('rt-' || g, 'UTF8')), 'hex'), '[]'
           FROM generate_series(1, %(refresh_tokens)s) g""",
    ),
    (
        "grants",
        """INSERT INTO oauth2_provider_grant (code, expires, redirect_uri, scope, application_id, user_id,
               created, updated, code_challenge, code_challenge_method, nonce, claims, resource)
           SELECT 'code-' || g, now() + interval '1 minute', 'https://app.example/callback', 'read',
               1 + g %% %(apps)s, 1 + g %% %(users)s, now(), now(), '', '', '', '', '[]'
           FROM generate_series(1, %(grants)s) g""",
    ),
]
COUNTED = [
    "oauth2_provider_application",
    "oauth2_provider_accesstoken",
    "oauth2_provider_refreshtoken",
    "oauth2_provider_idtoken",
    "oauth2_provider_grant",
]


def _url(name: str) -> str:
    return urlunsplit(urlsplit(SERVER)._replace(path=f"/{name}"))


def _manage(url: str, settings: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": settings, "PYTHONPATH": str(ROOT)}
    return subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )


def _counts(url: str) -> dict[str, int]:
    with psycopg.connect(url) as connection:
        return {table: connection.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] for table in COUNTED}  # noqa: S608


class TokenLookups(threading.Thread):
    """Does what every API request does (find the access token, join its app) and keeps the slowest."""

    def __init__(self, url: str, tokens: int) -> None:
        super().__init__(daemon=True)
        self.url, self.tokens = url, tokens
        self.stop = threading.Event()
        self.slowest = 0.0
        self.count = 0

    def run(self) -> None:
        with psycopg.connect(self.url, autocommit=True) as connection:
            while not self.stop.is_set():
                token = f"at-{1 + (self.count * 7919) % self.tokens}"
                started = time.perf_counter()
                connection.execute(
                    "SELECT a.client_id FROM oauth2_provider_accesstoken t "
                    "JOIN oauth2_provider_application a ON a.id = t.application_id "
                    "WHERE t.token_checksum = encode(sha256(convert_to(%s, 'UTF8')), 'hex')",
                    [token],
                ).fetchone()
                self.slowest = max(self.slowest, time.perf_counter() - started)
                self.count += 1
                time.sleep(0.002)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apps", type=int, default=10_000)
    parser.add_argument("--tokens", type=int, default=1_000_000, help="access tokens")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    options = parser.parse_args()
    sizes = {
        "users": max(options.apps // 5, 1),
        "apps": options.apps,
        "tokens": options.tokens,
        "refresh_tokens": options.tokens * 3 // 10,
        "id_tokens": options.tokens // 10,
        "grants": options.apps,
    }
    name = f"adopt_bench_{uuid.uuid4().hex[:10]}"
    url = _url(name)
    with psycopg.connect(SERVER, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        started = time.perf_counter()
        _manage(url, "tests.adoption.stock_dot_settings", "migrate", "--verbosity=0")
        with psycopg.connect(url) as connection:
            for _label, sql in FILL:
                connection.execute(sql, sizes)
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute("VACUUM ANALYZE")
        before = _counts(url)
        print(f"Built stock DOT database {name} in {time.perf_counter() - started:.1f} s:")
        for table, count in before.items():
            print(f"  {table:32} {count:>10,}")

        started = time.perf_counter()
        _manage(url, "portal.settings", "adopt_dot_install", "--dry-run")
        print(
            f"adopt_dot_install --dry-run: {time.perf_counter() - started:.2f} s (wall clock, incl. start-up)"
        )

        lookups = TokenLookups(url, options.tokens)
        lookups.start()
        time.sleep(0.5)
        started = time.perf_counter()
        _manage(url, "portal.settings", "adopt_dot_install")
        elapsed = time.perf_counter() - started
        time.sleep(0.5)
        lookups.stop.set()
        lookups.join()
        after = _counts(url)
        assert after == before, (before, after)
        print(f"adopt_dot_install: {elapsed:.2f} s (wall clock, incl. ~1 s of Django start-up)")
        print(
            f"Concurrent token lookups during it: {lookups.count:,}, "
            f"slowest {lookups.slowest * 1000:.0f} ms; row counts unchanged."
        )
    finally:
        if options.keep:
            print(f"Kept {url}")
        else:
            with psycopg.connect(SERVER, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
