"""Every existing app (and every app adopted from a stock DOT install, which arrives through these same
migrations) moves to its owner's personal team. An app with no owner (made by an operator with
`createapplication`) keeps no team: no developer manages it, and staff handle it in the admin.

A handful of statements whatever the number of apps: one insert of teams, one of memberships, one update
of the apps."""

from django.conf import settings
from django.db import migrations
from django.db.models import OuterRef, Subquery


def personal_teams(apps, schema_editor):
    Application = apps.get_model("clients", "Application")
    Team = apps.get_model("teams", "Team")
    Membership = apps.get_model("teams", "Membership")
    User = apps.get_model(settings.AUTH_USER_MODEL)
    owners = set(
        Application.objects.filter(team__isnull=True, user__isnull=False).values_list("user_id", flat=True)
    )
    have = set(Team.objects.filter(personal_for__in=owners).values_list("personal_for_id", flat=True))
    missing = sorted(owners - have)
    users = User.objects.filter(pk__in=missing).only("pk", "username", "first_name", "last_name")
    teams = []
    for user in users.iterator(chunk_size=2000):
        name = f"{user.first_name} {user.last_name}".strip() or user.username
        teams.append(Team(name=name[:100], personal_for_id=user.pk))
    Team.objects.bulk_create(teams, batch_size=1000)
    created = Team.objects.filter(personal_for__in=missing).values_list("pk", "personal_for_id")
    Membership.objects.bulk_create(
        [Membership(team_id=team, user_id=user, role="owner") for team, user in created], batch_size=1000
    )
    Application.objects.filter(team__isnull=True, user__isnull=False).update(
        team=Subquery(Team.objects.filter(personal_for=OuterRef("user")).values("pk")[:1])
    )


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0008_application_team"),
        ("teams", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    # Going back, the team column goes with 0008; the teams themselves stay (harmless).
    operations = [migrations.RunPython(personal_teams, migrations.RunPython.noop)]
