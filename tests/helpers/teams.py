"""Teams for tests: a team with one member of each role (alice owns Acme; bob is its admin, dave its
developer, vera its viewer; charlie is in no team of theirs)."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model

from portal.teams.models import Membership, Team
from portal.teams.services import team_create
from tests.helpers.constants import PASSWORD

ROLES = ("owner", "admin", "developer", "viewer")


def make_user(username: str, *, verified: bool = True):
    user = get_user_model().objects.create_user(
        username=username,
        email=f"{username}@example.com",
        password=PASSWORD,
        first_name=username.capitalize(),
    )
    EmailAddress.objects.create(user=user, email=user.email, verified=verified, primary=True)
    return user


def team_with_roles(owner, name: str = "Acme Inc.") -> tuple[Team, dict]:
    """A team owned by `owner` with one member of every other role; returns (team, {role: user})."""
    team = team_create(user=owner, name=name, request=None)
    members = {"owner": owner}
    for role, username in (("admin", "bob"), ("developer", "dave"), ("viewer", "vera")):
        user = get_user_model().objects.filter(username=username).first() or make_user(username)
        Membership.objects.create(team=team, user=user, role=role)
        members[role] = user
    return team, members
