"""Scratch databases for the adoption tests, outside pytest-django's test database.

Each is a real database (a temp SQLite file, or a PostgreSQL database with a unique name that is dropped
afterwards) that subprocesses reach through DATABASE_URL, exactly as `manage.py` would in production.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parents[2]
STOCK_SETTINGS = "tests.adoption.stock_dot_settings"
PORTAL_SETTINGS = "portal.settings"


def postgres_server_url() -> str:
    """The PostgreSQL server to make scratch databases on: DATABASE_URL's when it names one, else the one
    .ci/run tests on (CI_DATABASE_URL), else the local server."""
    candidates = [os.environ.get("DATABASE_URL", ""), os.environ.get("CI_DATABASE_URL", "")]
    url = next(
        (url for url in candidates if url.startswith(("postgres://", "postgresql://"))),
        "postgres://postgres@127.0.0.1:5432/postgres",
    )
    return urlunsplit(urlsplit(url)._replace(path="/postgres"))


def postgres_unreachable_reason() -> str | None:
    try:
        with psycopg.connect(postgres_server_url(), connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return f"PostgreSQL at {postgres_server_url()} is unreachable: {exc}"


@dataclass(frozen=True)
class ScratchDatabase:
    vendor: str  # "sqlite" or "postgresql"
    url: str
    name: str  # file path for SQLite, database name for PostgreSQL

    @classmethod
    def create(cls, vendor: str, tmp_dir: Path) -> ScratchDatabase:
        if vendor == "sqlite":
            path = tmp_dir / f"adopt_{uuid.uuid4().hex[:8]}.sqlite3"
            return cls("sqlite", f"sqlite:///{path}", str(path))
        name = f"adopt_test_{uuid.uuid4().hex[:12]}"
        _postgres_admin(f'CREATE DATABASE "{name}"')
        return cls("postgresql", _postgres_url(name), name)

    def copy(self, tmp_dir: Path) -> ScratchDatabase:
        if self.vendor == "sqlite":
            target = ScratchDatabase.create("sqlite", tmp_dir)
            shutil.copyfile(self.name, target.name)
            return target
        name = f"adopt_test_{uuid.uuid4().hex[:12]}"
        # A template copy is a file-level clone: far faster than migrating and seeding again.
        _postgres_admin(f'CREATE DATABASE "{name}" TEMPLATE "{self.name}"')
        return ScratchDatabase("postgresql", _postgres_url(name), name)

    def drop(self) -> None:
        if self.vendor == "sqlite":
            Path(self.name).unlink(missing_ok=True)
        else:
            _postgres_admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        if self.vendor == "sqlite":
            connection = sqlite3.connect(self.name)
            try:
                return connection.execute(sql.replace("%s", "?"), params).fetchall()
            finally:
                connection.close()
        with psycopg.connect(self.url, autocommit=True) as connection:
            return connection.execute(sql, params).fetchall()

    def execute(self, sql: str) -> None:
        if self.vendor == "sqlite":
            connection = sqlite3.connect(self.name)
            try:
                connection.execute(sql)
                connection.commit()
            finally:
                connection.close()
        else:
            with psycopg.connect(self.url, autocommit=True) as connection:
                connection.execute(sql)

    def dump(self) -> bytes:
        """Everything in the database: the file's bytes, or pg_dump's output (schema and data)."""
        if self.vendor == "sqlite":
            return Path(self.name).read_bytes()
        parts = urlsplit(self.url)
        output = subprocess.run(  # noqa: S603 - fixed program, arguments from our own scratch URL
            [
                shutil.which("pg_dump") or "pg_dump",
                "-h",
                parts.hostname,
                "-p",
                str(parts.port or 5432),
                "-U",
                parts.username,
                self.name,
            ],
            capture_output=True,
            check=True,
        ).stdout
        # pg_dump >= 15.14 brackets its output with a random \restrict key; it is not database content.
        return re.sub(rb"^\\(un)?restrict .*$", b"", output, flags=re.M)

    def run(self, *args: str, settings: str = PORTAL_SETTINGS) -> subprocess.CompletedProcess:
        """`python <args>` in the repository root with this database and the given settings module."""
        env = {
            **os.environ,
            "DATABASE_URL": self.url,
            "DJANGO_SETTINGS_MODULE": settings,
            # The portal as a development site: no production secrets needed, plain-http test requests.
            "DEBUG": "1",
            "ALLOWED_HOSTS": "localhost",
            # The old DOT deployment keeps serving in these tests, and it cannot verify the portal's HMAC
            # hashes: the README's adoption steps keep re-hashing off until traffic has moved.
            "CLIENT_SECRET_REHASH": "0",
            "PYTHONPATH": str(ROOT),
        }
        return subprocess.run(  # noqa: S603 - this interpreter, arguments written in the tests
            [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
        )

    def adopt(self, *options: str) -> subprocess.CompletedProcess:
        return self.run("manage.py", "adopt_dot_install", *options)

    def migrate_stock(self, *targets: str) -> None:
        """Migrate with the stock DOT project's settings (DOT's own migrations, built-in model)."""
        result = self.run("-m", "django", "migrate", "--verbosity=0", *targets, settings=STOCK_SETTINGS)
        assert result.returncode == 0, result.stderr


def _postgres_url(name: str) -> str:
    return urlunsplit(urlsplit(postgres_server_url())._replace(path=f"/{name}"))


def _postgres_admin(sql: str) -> None:
    # CREATE/DROP DATABASE cannot run inside a transaction block.
    with psycopg.connect(postgres_server_url(), autocommit=True) as connection:
        connection.execute(sql)
