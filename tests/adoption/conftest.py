"""Fixtures: a real stock DOT database per backend, and an adopted copy of it with what its clients saw.

Every test here runs on SQLite and on PostgreSQL. PostgreSQL being unreachable skips its half locally,
with the reason; with CI set it fails the run instead, because there it must be there.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers.databases import (
    STOCK_SETTINGS,
    ScratchDatabase,
    application_content_types,
    postgres_unreachable_reason,
)

# What must survive adoption untouched, row for row (read before adoption and again right after it).
SNAPSHOT_QUERIES = {
    "applications": "SELECT id, client_id, client_secret, hash_client_secret, user_id, name, "
    "client_type, authorization_grant_type, redirect_uris FROM oauth2_provider_application ORDER BY id",
    "access tokens": "SELECT id, token_checksum, application_id, user_id, expires, scope, id_token_id "
    "FROM oauth2_provider_accesstoken ORDER BY id",
    "refresh tokens": "SELECT id, token_checksum, application_id, access_token_id, token_family, revoked "
    "FROM oauth2_provider_refreshtoken ORDER BY id",
    "grants": "SELECT id, code, application_id, code_challenge FROM oauth2_provider_grant ORDER BY id",
    "ID tokens": "SELECT id, jti, application_id, user_id FROM oauth2_provider_idtoken ORDER BY id",
    "device grants": "SELECT id, device_code, client_id FROM oauth2_provider_devicegrant ORDER BY id",
    "users": "SELECT id, username, is_staff, is_superuser FROM auth_user ORDER BY id",
    "admin log": "SELECT id, content_type_id, object_id FROM django_admin_log ORDER BY id",
    "application permissions": "SELECT p.id, p.codename, p.content_type_id FROM auth_permission p "
    "JOIN django_content_type c ON c.id = p.content_type_id WHERE c.model = 'application' ORDER BY p.id",
    "user permissions": "SELECT user_id, permission_id FROM auth_user_user_permissions ORDER BY id",
}


def snapshot(db: ScratchDatabase) -> dict[str, list[tuple]]:
    return {name: db.query(sql) for name, sql in SNAPSHOT_QUERIES.items()}


@dataclass(frozen=True)
class Stock:
    db: ScratchDatabase
    manifest: dict
    manifest_path: Path


@dataclass(frozen=True)
class Adopted:
    db: ScratchDatabase
    manifest: dict
    result: subprocess.CompletedProcess
    before: dict[str, list[tuple]]
    after: dict[str, list[tuple]]
    content_types_before: list[tuple]
    content_types_after: list[tuple]
    probe: dict


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def vendor(request) -> str:
    if request.param == "postgresql":
        reason = postgres_unreachable_reason()
        if reason and os.environ.get("CI"):
            pytest.fail(f"{reason} (CI is set, so the PostgreSQL half must run)")
        if reason:
            pytest.skip(reason)
    return request.param


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("adoption")


@pytest.fixture
def scratch(vendor, workdir) -> Iterator[Callable[..., ScratchDatabase]]:
    """Make databases for one test (empty, or copies of another) and drop them all afterwards."""
    made: list[ScratchDatabase] = []

    def make(source: ScratchDatabase | None = None) -> ScratchDatabase:
        db = source.copy(workdir) if source else ScratchDatabase.create(vendor, workdir)
        made.append(db)
        return db

    yield make
    for db in made:
        db.drop()


@pytest.fixture(scope="module")
def stock(vendor, workdir) -> Iterator[Stock]:
    """A database exactly as a stock DOT 3.4.1 project leaves it, filled with apps and tokens."""
    db = ScratchDatabase.create(vendor, workdir)
    try:
        db.migrate_stock()
        manifest_path = workdir / f"manifest-{vendor}.json"
        seeded = db.run("-m", "tests.adoption.seed_stock_dot", str(manifest_path), settings=STOCK_SETTINGS)
        assert seeded.returncode == 0, seeded.stderr
        yield Stock(db, json.loads(manifest_path.read_text()), manifest_path)
    finally:
        db.drop()


@pytest.fixture(scope="module")
def adopted(stock, workdir) -> Iterator[Adopted]:
    """A copy of the stock database after `adopt_dot_install`, and what its old clients got from it."""
    db = stock.db.copy(workdir)
    try:
        before, content_types_before = snapshot(db), application_content_types(db)
        result = db.adopt()
        assert result.returncode == 0, result.stdout + result.stderr
        after, content_types_after = snapshot(db), application_content_types(db)
        probed = db.run("-m", "tests.adoption.probe", str(stock.manifest_path))
        assert probed.returncode == 0, probed.stderr
        yield Adopted(
            db=db,
            manifest=stock.manifest,
            result=result,
            before=before,
            after=after,
            content_types_before=content_types_before,
            content_types_after=content_types_after,
            probe=json.loads(probed.stdout),
        )
    finally:
        db.drop()
