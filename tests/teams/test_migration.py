"""The data migration (clients 0009) gives every existing app, including those adopted from a stock DOT
install, to its owner's personal team, in a few statements whatever the number of apps; apps with no owner
(made by an operator) keep no team. Run on PostgreSQL in CI, with thousands of apps."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import F
from django.test.utils import CaptureQueriesContext

BEFORE = [("clients", "0008_application_team")]
AFTER = [("clients", "0009_personal_teams")]
OWNERS, APPS, OPERATOR_APPS = 300, 3000, 5


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_every_app_moves_to_its_owners_personal_team():
    old = _migrate(BEFORE)
    User = old.get_model("auth", "User")
    Application = old.get_model("clients", "Application")
    User.objects.bulk_create(
        User(username=f"dev{i}", first_name="Dev" if i % 2 else "", last_name=str(i) if i % 2 else "")
        for i in range(OWNERS)
    )
    owners = list(User.objects.order_by("pk").values_list("pk", flat=True))
    Application.objects.bulk_create(
        [
            Application(
                user_id=owners[i % OWNERS],
                name=f"App {i}",
                client_id=f"client-{i}",
                client_secret="x",
                hash_client_secret=False,
                client_type="confidential",
                authorization_grant_type="client-credentials",
            )
            for i in range(APPS)
        ]
        + [
            Application(
                user=None,
                name=f"Operator {i}",
                client_id=f"operator-{i}",
                client_secret="x",
                hash_client_secret=False,
                client_type="confidential",
                authorization_grant_type="client-credentials",
            )
            for i in range(OPERATOR_APPS)
        ],
        batch_size=1000,
    )
    with CaptureQueriesContext(connection) as queries:
        new = _migrate(AFTER)
    Application = new.get_model("clients", "Application")
    Team = new.get_model("teams", "Team")
    Membership = new.get_model("teams", "Membership")
    assert Team.objects.count() == OWNERS
    assert Membership.objects.filter(role="owner").count() == OWNERS
    # Each owner's apps are in the team made for them, of which they are the owner.
    mismatched = Application.objects.filter(user__isnull=False).exclude(team__personal_for=F("user"))
    assert mismatched.count() == 0
    assert Application.objects.filter(team__isnull=True).count() == OPERATOR_APPS
    assert Team.objects.get(personal_for__username="dev1").name == "Dev 1"
    assert Team.objects.get(personal_for__username="dev2").name == "dev2"
    member = Membership.objects.get(team__personal_for__username="dev3")
    assert member.user.username == "dev3"
    # A handful of statements, not one per app or owner (batches of 1,000 rows).
    assert len(queries) < 40
