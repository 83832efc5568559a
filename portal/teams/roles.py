"""Team roles and what each may do: one table, and the one function that checks it.

Every team and app page asks `permission_require` (through the selectors, which read the member's role
from the database on each request, so a removed member or a lowered role takes effect at once). A
non-member never gets this far: the selectors answer 404 for them, so they learn nothing.
"""

from __future__ import annotations

from enum import StrEnum

from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    ADMIN = "admin", _("Admin")
    DEVELOPER = "developer", _("Developer")
    VIEWER = "viewer", _("Viewer")


class Permission(StrEnum):
    VIEW_APP = "view_app"
    CREATE_APP = "create_app"
    EDIT_APP = "edit_app"
    VIEW_TOKENS = "view_tokens"
    REVOKE_TOKEN = "revoke_token"  # noqa: S105 (a permission name, not a secret)
    MANAGE_SECRETS = "manage_secrets"  # rotate, reveal a new one, end a grace period
    DELETE_APP = "delete_app"
    REVOKE_ALL_TOKENS = "revoke_all_tokens"
    # Needed in both the team the app leaves and the one it joins; in the app's team, also to withdraw a
    # transfer waiting for staff review. Admins decide where an app lives, so taking a move back is theirs
    # too: a proposer later made developer no longer may, like any other admin power they lost.
    TRANSFER_APP = "transfer_app"
    MANAGE_MEMBERS = "manage_members"  # invite, revoke invitations, change roles, remove members
    READ_AUDIT = "read_audit"
    DELETE_TEAM = "delete_team"


_VIEWER = {Permission.VIEW_APP}
_DEVELOPER = _VIEWER | {
    Permission.CREATE_APP,
    Permission.EDIT_APP,
    Permission.VIEW_TOKENS,
    Permission.REVOKE_TOKEN,
}
_ADMIN = _DEVELOPER | {
    Permission.MANAGE_SECRETS,
    Permission.DELETE_APP,
    Permission.REVOKE_ALL_TOKENS,
    Permission.TRANSFER_APP,
}
_OWNER = _ADMIN | {Permission.MANAGE_MEMBERS, Permission.READ_AUDIT, Permission.DELETE_TEAM}

# The table: each role and everything it may do.
PERMISSIONS: dict[str, frozenset[Permission]] = {
    Role.OWNER: frozenset(_OWNER),
    Role.ADMIN: frozenset(_ADMIN),
    Role.DEVELOPER: frozenset(_DEVELOPER),
    Role.VIEWER: frozenset(_VIEWER),
}

# What a member is told when their role does not allow an action (403).
_REFUSALS = {
    Permission.MANAGE_SECRETS: "Only a team admin or owner can rotate, reveal or revoke client secrets.",
    Permission.DELETE_APP: "Only a team admin or owner can delete an app.",
    Permission.REVOKE_ALL_TOKENS: "Only a team admin or owner can revoke all of an app's tokens.",
    Permission.TRANSFER_APP: "Only a team admin or owner can transfer an app or withdraw its transfer.",
    Permission.MANAGE_MEMBERS: "Only a team owner can manage its members and invitations.",
    Permission.READ_AUDIT: "Only a team owner can read the team's audit trail.",
    Permission.DELETE_TEAM: "Only a team owner can delete the team.",
}


def role_allows(role: str | None, permission: Permission) -> bool:
    return role is not None and permission in PERMISSIONS.get(role, frozenset())


def permission_require(*, role: str | None, permission: Permission) -> None:
    """The one check: raise PermissionDenied (403, with a message the page shows) unless `role` may."""
    if not role_allows(role, permission):
        raise PermissionDenied(
            _REFUSALS.get(permission, "Your role in this team is read-only: a team developer can do this.")
        )


def capabilities(role: str | None) -> dict[str, bool]:
    """{"manage_secrets": True, ...} for templates: they show a control only where this says so."""
    return {permission.value: role_allows(role, permission) for permission in Permission}
