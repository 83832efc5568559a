"""Adopting a database made by a stock django-oauth-toolkit (DOT) 3.x project, in place.

The portal's Application model lives in DOT's own table and its migration ``clients.0001_initial`` holds
exactly DOT 3.4.1's Application columns. So a database whose DOT migrations are all applied already *is*
the state ``clients.0001_initial`` describes: adopting it means recording that migration as applied,
moving the Application content type (and with it its permissions) from ``oauth2_provider`` to
``clients``, and running the remaining migrations. No row is copied; every key, client id, hashed secret
and token stays where it is.

Nothing here runs unless :func:`inspect_database` found the database in exactly that state; anything else
raises :class:`AdoptionRefused` with the reason and the way out. The writes happen in one transaction
(:func:`adopt`), so a failure anywhere leaves the database as it was.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TextIO

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorWrapper
from django.db.migrations import Migration
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

DOT_APP = "oauth2_provider"
PORTAL_APP = "clients"
PORTAL_INITIAL = (PORTAL_APP, "0001_initial")
APPLICATION_TABLE = "oauth2_provider_application"
# clients.0001_initial mirrors the Application model as DOT 3.4.1 leaves it after this migration. If an
# upgrade of DOT brings later migrations, a database migrated by that DOT has columns 0001 does not know,
# so adoption must be revisited together with the portal's migrations, not silently allowed.
DOT_LEAF = "0022_refreshtoken_token_family_index"
# The last migration shipped by DOT 3.0.0. A database without it was last migrated by DOT 2.x or older.
DOT_3_BASELINE = "0012_add_token_checksum"
# DOT's tables that point at applications with a foreign key. A stock project has them pointing at
# oauth2_provider_application; a project that had already swapped the model points them elsewhere.
TOKEN_TABLES = (
    "oauth2_provider_accesstoken",
    "oauth2_provider_refreshtoken",
    "oauth2_provider_grant",
    "oauth2_provider_idtoken",
)
DEPRECATED_GRANTS = ("implicit", "password", "openid-hybrid")
SUPPORTED_VENDORS = ("postgresql", "sqlite")

TRANSACTION_NOTES = {
    "postgresql": (
        "PostgreSQL: the whole adoption is one transaction, schema changes included; if any step fails "
        "it is rolled back and the database is left as it was (only sequence counters, which PostgreSQL "
        "never rolls back, may have moved). The application table is locked while the transaction runs, "
        "so token requests wait for it (seconds) instead of failing."
    ),
    "sqlite": (
        "SQLite: the whole adoption is one transaction, schema changes included; if any step fails it is "
        "rolled back. SQLite cannot switch foreign-key enforcement inside a transaction, so enforcement "
        "is off for this connection while the adoption runs and every foreign key is checked "
        "(PRAGMA foreign_key_check) before the commit. SQLite locks the whole database file for writing "
        "meanwhile: other processes' writes wait for the commit (or fail with 'database is locked' once "
        "their own timeout runs out)."
    ),
}


class AdoptionRefused(Exception):
    """The database is not a stock DOT 3.x database this portal can adopt; the message says why."""


@dataclass(frozen=True)
class AdoptionPlan:
    vendor: str
    application_count: int
    owner_count: int
    # Deprecated grant -> how many apps use it; migration clients.0002 records them as allowed by staff.
    grandfathered_grants: dict[str, int]
    content_type_id: int | None
    permission_count: int
    migrations: list[str] = field(default_factory=list)

    def describe(self) -> list[str]:
        """The steps, in the order :func:`adopt` takes them."""
        lines = [
            f"1. Record {PORTAL_APP}.{PORTAL_INITIAL[1]} as applied: {APPLICATION_TABLE} already has "
            "exactly its columns, so no row is copied.",
        ]
        if self.content_type_id is None:
            lines.append("2. No content type to move (the database has none for DOT's Application).")
        else:
            lines.append(
                f"2. Move content type #{self.content_type_id} from {DOT_APP}.application to "
                f"{PORTAL_APP}.application, with its {self.permission_count} permissions (users, groups "
                "and admin history keep pointing at the same rows)."
            )
        lines.append(f"3. Apply {len(self.migrations)} migrations:")
        lines.extend(f"     {name}" for name in self.migrations)
        lines.append(
            f"{self.application_count} apps of {self.owner_count} owners are adopted as approved and keep "
            "working; their owners have not accepted the portal's developer terms yet, so the portal asks "
            "them on their next visit."
        )
        if self.grandfathered_grants:
            grants = ", ".join(
                f"{grant}: {count}" for grant, count in sorted(self.grandfathered_grants.items())
            )
            lines.append(
                f"Apps using grants RFC 9700 deprecates keep them, recorded as allowed by staff ({grants})."
            )
        lines.append(TRANSACTION_NOTES[self.vendor])
        return lines


def inspect_database(connection: BaseDatabaseWrapper) -> AdoptionPlan:
    """Check that `connection` holds a fully migrated stock DOT 3.x database and plan its adoption.

    Reads only. Raises AdoptionRefused, naming the problem and the fix, for anything else.
    """
    if connection.vendor not in SUPPORTED_VENDORS:
        raise AdoptionRefused(
            f"Adoption supports PostgreSQL and SQLite, not {connection.vendor}: it relies on schema changes "
            "being transactional so that a failure leaves the database as it was."
        )
    executor = MigrationExecutor(connection)
    loader = executor.loader
    _check_installed_dot(loader.graph.leaf_nodes(DOT_APP))

    tables = set(connection.introspection.table_names())
    recorded = (
        set(MigrationRecorder(connection).applied_migrations()) if "django_migrations" in tables else set()
    )
    _check_recorded_migrations(
        tables,
        recorded,
        known_dot={name for app, name in loader.disk_migrations if app == DOT_APP},
    )
    _check_schema(connection, tables, loader)
    content_type_id, permission_count = _application_content_type(connection, tables)

    # Plan as if clients.0001_initial were recorded, which is exactly what adopt() does first.
    loader.applied_migrations[PORTAL_INITIAL] = loader.graph.nodes[PORTAL_INITIAL]
    _check_consistent(loader)
    plan = executor.migration_plan(loader.graph.leaf_nodes())
    _check_plan(plan)

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*), COUNT(DISTINCT user_id) FROM {APPLICATION_TABLE}")  # noqa: S608
        application_count, owner_count = cursor.fetchone()
        placeholders = ", ".join(["%s"] * len(DEPRECATED_GRANTS))
        cursor.execute(
            f"SELECT authorization_grant_type, COUNT(*) FROM {APPLICATION_TABLE} "  # noqa: S608
            f"WHERE authorization_grant_type IN ({placeholders}) GROUP BY authorization_grant_type",
            DEPRECATED_GRANTS,
        )
        grandfathered = dict(cursor.fetchall())
    return AdoptionPlan(
        vendor=connection.vendor,
        application_count=application_count,
        owner_count=owner_count,
        grandfathered_grants=grandfathered,
        content_type_id=content_type_id,
        permission_count=permission_count,
        migrations=[f"{migration.app_label}.{migration.name}" for migration, _backwards in plan],
    )


def adopt(
    connection: BaseDatabaseWrapper, *, stdout: TextIO, verbosity: int = 1, lock_timeout_seconds: int = 10
) -> AdoptionPlan:
    """Adopt the database in one transaction; returns the plan it carried out."""
    with _one_transaction(connection, lock_timeout_seconds):
        # Inspect again inside the transaction (and, on PostgreSQL, under the lock): a second adoption
        # started at the same moment waits here and then sees this one's work as "already adopted".
        plan = inspect_database(connection)
        MigrationRecorder(connection).record_applied(*PORTAL_INITIAL)
        _move_content_type(connection, plan.content_type_id)
        call_command(
            "migrate",
            database=connection.alias,
            interactive=False,
            skip_checks=True,
            verbosity=verbosity,
            stdout=stdout,
            stderr=stdout,
        )
        if connection.vendor == "sqlite":
            # Enforcement is off for the whole transaction (see _one_transaction): verify before committing.
            connection.check_constraints()
    return plan


@contextlib.contextmanager
def _one_transaction(connection: BaseDatabaseWrapper, lock_timeout_seconds: int) -> Iterator[None]:
    if connection.vendor == "sqlite":
        # Django's SQLite schema editor needs foreign-key enforcement off, and SQLite ignores that switch
        # inside a transaction, so it is turned off before the transaction starts and back on after it.
        if not connection.disable_constraint_checking():
            raise AdoptionRefused("Adoption must not run inside a transaction that is already open.")
        try:
            with transaction.atomic(using=connection.alias):
                yield
        finally:
            connection.enable_constraint_checking()
        return
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        # Fail fast rather than queue: an ALTER TABLE waiting behind a long transaction would make every
        # token request queue behind it, which is the downtime adoption exists to avoid.
        cursor.execute(f"SET LOCAL lock_timeout = '{int(lock_timeout_seconds)}s'")
        # Serialise concurrent runs: the second waits, then its inspection sees clients.0001 recorded.
        cursor.execute("LOCK TABLE django_migrations IN SHARE ROW EXCLUSIVE MODE")
        # Django's foreign keys are DEFERRABLE INITIALLY DEFERRED; checking them at each statement keeps
        # PostgreSQL from refusing a later ALTER TABLE on a table with "pending trigger events".
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        yield


def _check_installed_dot(leaves: list[tuple[str, str]]) -> None:
    if leaves != [(DOT_APP, DOT_LEAF)]:
        names = ", ".join(name for _app, name in leaves)
        raise AdoptionRefused(
            f"The installed django-oauth-toolkit ends its migrations at {names}, but {PORTAL_APP}."
            f"{PORTAL_INITIAL[1]} mirrors the Application model as of {DOT_APP}.{DOT_LEAF} (DOT 3.4.1). "
            "Adoption is only safe with the DOT version the portal pins (pyproject.toml)."
        )


def _check_recorded_migrations(tables: set[str], recorded: set[tuple[str, str]], known_dot: set[str]) -> None:
    if not tables:
        raise AdoptionRefused(
            "The database is empty: there is no django-oauth-toolkit installation to adopt. "
            "For a new portal database run `python manage.py migrate` instead."
        )
    if "django_migrations" not in tables:
        raise AdoptionRefused(
            "The database has tables but no django_migrations table, so it was not made by a Django project "
            "with django-oauth-toolkit. Point DATABASE_URL at your DOT project's database."
        )
    portal = sorted(name for app, name in recorded if app == PORTAL_APP)
    if portal:
        raise AdoptionRefused(
            f"The database is already adopted: the portal's migrations are recorded ({PORTAL_APP}."
            f"{', '.join(portal)}). Nothing to do; `python manage.py migrate` applies any later ones."
        )
    dot = {name for app, name in recorded if app == DOT_APP}
    if not dot:
        raise AdoptionRefused(
            "No django-oauth-toolkit migrations are recorded in this database, so there is nothing to adopt. "
            "For a new portal database run `python manage.py migrate` instead."
        )
    unknown = sorted(dot - known_dot)
    if unknown:
        raise AdoptionRefused(
            f"The database records {DOT_APP} migrations that django-oauth-toolkit 3.4.1 does not have "
            f"({', '.join(unknown)}): its DOT schema is newer than the portal supports. Adopt it with a "
            "portal release that pins that DOT version."
        )
    missing = sorted(known_dot - dot)
    latest = max(dot)
    if any(name <= DOT_3_BASELINE for name in missing):
        raise AdoptionRefused(
            f"The database's DOT schema is too old: its latest {DOT_APP} migration is {latest}, from before "
            f"django-oauth-toolkit 3.0 ({DOT_3_BASELINE}). Upgrade your existing DOT project to "
            f"django-oauth-toolkit 3.4.1, run `python manage.py migrate {DOT_APP}` there, then adopt."
        )
    if missing:
        raise AdoptionRefused(
            f"The database has pending django-oauth-toolkit migrations ({', '.join(missing)}). Upgrade your "
            f"existing DOT project to django-oauth-toolkit 3.4.1 and run `python manage.py migrate "
            f"{DOT_APP}` there first: the portal cannot apply DOT's own Application migrations once its "
            "model has taken over the table."
        )


def _check_schema(connection: BaseDatabaseWrapper, tables: set[str], loader: MigrationLoader) -> None:
    if APPLICATION_TABLE not in tables:
        raise AdoptionRefused(
            f"There is no {APPLICATION_TABLE} table: this DOT project uses its own Application model "
            "(OAUTH2_PROVIDER_APPLICATION_MODEL). Adoption handles DOT's built-in model only."
        )
    state = loader.project_state(PORTAL_INITIAL, at_end=True)
    model = state.apps.get_model(PORTAL_APP, "Application")
    expected = {field.column for field in model._meta.local_fields}
    with connection.cursor() as cursor:
        actual = {
            column.name
            for column in connection.introspection.get_table_description(cursor, APPLICATION_TABLE)
        }
        if actual != expected:
            raise AdoptionRefused(
                f"{APPLICATION_TABLE} does not have exactly DOT 3.4.1's columns (missing: "
                f"{', '.join(sorted(expected - actual)) or 'none'}; unexpected: "
                f"{', '.join(sorted(actual - expected)) or 'none'}). Adoption only marks that table as the "
                "portal's when nothing but DOT changed it."
            )
        for table in TOKEN_TABLES:
            if table not in tables:
                raise AdoptionRefused(f"DOT's table {table} is missing: this is not a stock DOT database.")
            targets = _foreign_key_targets(connection, cursor, table, "application_id")
            if targets - {APPLICATION_TABLE}:
                raise AdoptionRefused(
                    f"{table}.application_id points at {', '.join(sorted(targets))}, not "
                    f"{APPLICATION_TABLE}: this DOT project swapped in its own Application model. "
                    "Adoption handles DOT's built-in model only."
                )
        # Owners and token holders must be the portal's users, or every app would change hands.
        user_table = get_user_model()._meta.db_table
        for table in (APPLICATION_TABLE, *TOKEN_TABLES):
            targets = _foreign_key_targets(connection, cursor, table, "user_id")
            if targets - {user_table}:
                raise AdoptionRefused(
                    f"{table}.user_id points at {', '.join(sorted(targets))}, but the portal's users are in "
                    f"{user_table}: the DOT project used a different user model (AUTH_USER_MODEL)."
                )


def _foreign_key_targets(
    connection: BaseDatabaseWrapper, cursor: CursorWrapper, table: str, column: str
) -> set[str]:
    return {
        constraint["foreign_key"][0]
        for constraint in connection.introspection.get_constraints(cursor, table).values()
        if constraint["foreign_key"] and constraint["columns"] == [column]
    }


def _application_content_type(connection: BaseDatabaseWrapper, tables: set[str]) -> tuple[int | None, int]:
    """The id of DOT's Application content type and how many permissions hang off it."""
    if "django_content_type" not in tables:
        return None, 0
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT app_label, id FROM django_content_type WHERE model = %s AND app_label IN (%s, %s)",
            ["application", DOT_APP, PORTAL_APP],
        )
        ids = dict(cursor.fetchall())
        if PORTAL_APP in ids:
            raise AdoptionRefused(
                f"A content type for {PORTAL_APP}.application already exists (#{ids[PORTAL_APP]}), so "
                "part of the portal was already set up on this database. Adoption needs the database "
                "exactly as the DOT project left it; restore it from the backup taken before that."
            )
        content_type_id = ids.get(DOT_APP)
        if content_type_id is None or "auth_permission" not in tables:
            return content_type_id, 0
        cursor.execute("SELECT COUNT(*) FROM auth_permission WHERE content_type_id = %s", [content_type_id])
        return content_type_id, cursor.fetchone()[0]


def _check_consistent(loader: MigrationLoader) -> None:
    """Like MigrationLoader.check_consistent_history, but against the in-memory applied set."""
    for key in loader.applied_migrations:
        if key not in loader.graph.nodes:
            continue  # an app the DOT project had and the portal does not: left alone
        for parent in loader.graph.node_map[key].parents:
            if parent.key in loader.applied_migrations:
                continue
            # As Django does: an unapplied squashed migration whose replaced migrations are all applied.
            replaced = loader.replacements.get(parent.key)
            if replaced and all(old in loader.applied_migrations for old in replaced.replaces):
                continue
            raise AdoptionRefused(
                f"Migration {key[0]}.{key[1]} is recorded but its dependency {parent.key[0]}."
                f"{parent.key[1]} is not; finish migrating your existing DOT project first."
            )


def _check_plan(plan: list[tuple[Migration, bool]]) -> None:
    for migration, backwards in plan:
        if backwards or migration.app_label == DOT_APP:
            raise AdoptionRefused(
                f"Unexpected step in the migration plan: {migration.app_label}.{migration.name}."
            )
        if not migration.atomic:
            raise AdoptionRefused(
                f"Migration {migration.app_label}.{migration.name} is not atomic, so it cannot run inside "
                "the single transaction that makes adoption all-or-nothing."
            )


def _move_content_type(connection: BaseDatabaseWrapper, content_type_id: int | None) -> None:
    # Moving the row rather than letting migrate create a new one keeps its id, so permissions granted to
    # users and groups, admin log entries and generic relations all follow the model to its new app.
    if content_type_id is None:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE django_content_type SET app_label = %s WHERE id = %s", [PORTAL_APP, content_type_id]
        )
    ContentType.objects.clear_cache()
