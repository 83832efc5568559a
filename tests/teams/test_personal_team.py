"""The personal team: its making is audited like any team's, and its name follows the person's name (the
only place that changes is the user admin) unless someone named it by hand."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from portal.audit.models import AuditEvent
from portal.teams.models import Team
from portal.teams.services import team_personal_get_or_create

pytestmark = pytest.mark.django_db


def test_the_personal_team_made_on_the_first_visit_is_in_its_trail(client, alice):
    client.force_login(alice)
    client.get("/developer/teams/")
    team = Team.objects.get(personal_for=alice)
    event = AuditEvent.objects.get(action="team.created", team=team)
    assert event.actor == alice and event.changes == {"name": "Alice Example", "personal": True}
    assert event.ip_address == "127.0.0.1"
    # Later visits find the team: no second team, no second event.
    client.get("/developer/")
    assert AuditEvent.objects.filter(action="team.created", team=team).count() == 1
    # Its owner reads it in the team's audit trail.
    assert b"Team created" in client.get(f"/developer/teams/{team.pk}/audit/").content


def _admin_change(staff_client, user, **values):
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on",
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        **values,
    }
    return staff_client.post(f"/admin/auth/user/{user.pk}/change/", data)


@pytest.fixture
def admin_client(staff_client, sam):
    get_user_model().objects.filter(pk=sam.pk).update(is_superuser=True)
    return staff_client


def test_the_personal_team_follows_a_new_name(admin_client, alice, sam):
    team = team_personal_get_or_create(user=alice)
    response = _admin_change(admin_client, alice, first_name="Alicia", last_name="Jones")
    assert response.status_code == 302
    team.refresh_from_db()
    assert team.name == "Alicia Jones"
    event = AuditEvent.objects.get(action="team.renamed", team=team)
    assert event.actor == sam and event.changes == {"name": ["Alice Example", "Alicia Jones"]}


def test_a_person_without_a_name_has_a_team_named_after_the_username(admin_client, alice):
    get_user_model().objects.filter(pk=alice.pk).update(first_name="", last_name="")
    alice.refresh_from_db()
    team = team_personal_get_or_create(user=alice)
    assert team.name == "alice"
    assert _admin_change(admin_client, alice, username="alice2").status_code == 302
    team.refresh_from_db()
    assert team.name == "alice2"


def test_a_name_given_by_hand_is_kept(admin_client, alice):
    team = team_personal_get_or_create(user=alice)
    Team.objects.filter(pk=team.pk).update(name="Alice's Workshop")
    assert _admin_change(admin_client, alice, first_name="Alicia").status_code == 302
    team.refresh_from_db()
    assert team.name == "Alice's Workshop"
    assert not AuditEvent.objects.filter(action="team.renamed").exists()


def test_other_teams_and_unrelated_changes_keep_their_names(admin_client, alice):
    from portal.teams.services import team_create

    acme = team_create(user=alice, name="Alice Example", request=None)  # not personal, same name
    team = team_personal_get_or_create(user=alice)
    assert _admin_change(admin_client, alice, email="alice@new.example").status_code == 302
    assert not AuditEvent.objects.filter(action="team.renamed").exists()
    assert _admin_change(admin_client, alice, first_name="Alicia").status_code == 302
    acme.refresh_from_db()
    team.refresh_from_db()
    assert acme.name == "Alice Example" and team.name == "Alicia Example"
