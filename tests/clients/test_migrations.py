"""The swapped Application model must be adoptable on an existing DOT database: its first migration holds
exactly DOT's columns on DOT's table, and the portal's columns come later."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from oauth2_provider.models import AbstractApplication


def _state_model(app_label: str, migration: str, model: str):
    loader = MigrationLoader(connection, ignore_no_migrations=True)
    state = loader.project_state((app_label, migration))
    return state.models[(app_label, model)]


def _dot_columns() -> dict[str, str]:
    return {field.name: type(field).__name__ for field in AbstractApplication._meta.get_fields()}


@pytest.mark.django_db
def test_migration_0001_holds_exactly_dots_application_fields_on_dots_table():
    model = _state_model("clients", "0001_initial", "application")
    fields = {name: type(field).__name__ for name, field in model.fields.items()}
    assert fields == _dot_columns()
    assert model.options["db_table"] == "oauth2_provider_application"


@pytest.mark.django_db
def test_portal_fields_arrive_in_later_migrations():
    model = _state_model("clients", "0002_portal_fields", "application")
    added = set(model.fields) - set(_dot_columns())
    assert {"logo", "description", "homepage_url", "privacy_policy_url", "terms_of_service_url"} <= added
    assert {"grant_types", "staff_allowed_grants", "review_status"} <= added


def test_first_migration_runs_before_dots_token_tables():
    loader = MigrationLoader(None, ignore_no_migrations=True)
    dot_initial = loader.graph.nodes[("oauth2_provider", "0001_initial")]
    assert ("clients", "0001_initial") in loader.graph.node_map[
        dot_initial.app_label, dot_initial.name
    ].parents


@pytest.mark.django_db
def test_the_database_table_is_dots():
    assert "oauth2_provider_application" in connection.introspection.table_names()


@pytest.mark.django_db
def test_models_and_migrations_agree():
    # Raises SystemExit(1) when a model change has no migration.
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
