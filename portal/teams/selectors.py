"""Reads of teams. A team is found only through a membership of the signed-in person: anyone else gets a
404, whatever the URL. The member's role is read from the database on every call, never cached, so a
removed member or a lowered role takes effect on the very next request."""

from __future__ import annotations

from typing import Any, cast

from django.core import signing
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Lower
from django.shortcuts import get_object_or_404

from portal.audit.models import AuditEvent
from portal.teams.models import Invitation, Membership, Team
from portal.teams.roles import PERMISSIONS, Permission, permission_require

INVITATION_SALT = "portal.teams.invitation"


def member_role_subquery(*, user, team_ref: str = "pk") -> Subquery:
    """The role `user` holds in the team at OuterRef(team_ref), or NULL: one subquery, no join fan-out."""
    return Subquery(Membership.objects.filter(team=OuterRef(team_ref), user=user).values("role")[:1])


def team_list_for_member(*, user) -> QuerySet:
    """The teams `user` belongs to, each with `member_role` and how many apps and members it has."""
    return (
        Team.objects.filter(memberships__user=user)
        .annotate(
            member_role=member_role_subquery(user=user),
            app_count=Count("applications", distinct=True),
            member_count=Count("memberships", distinct=True),
        )
        .order_by("name", "pk")
    )


def team_list_for_permission(*, user, permission: Permission) -> list:
    """The teams in which `user` may do `permission` (e.g. register an app in, transfer an app to)."""
    roles = [role for role, allowed in PERMISSIONS.items() if permission in allowed]
    return list(
        Team.objects.filter(memberships__user=user, memberships__role__in=roles)
        .annotate(member_role=member_role_subquery(user=user))
        .order_by("name", "pk")
    )


def team_get_for_member(*, user, pk: int, permission: Permission = Permission.VIEW_APP) -> Team:
    """The team `pk` with `member_role`: 404 for a non-member, 403 for a member whose role lacks
    `permission`."""
    team = get_object_or_404(
        Team.objects.annotate(member_role=member_role_subquery(user=user)).filter(member_role__isnull=False),
        pk=pk,
    )
    # `member_role` is the annotation above (django-stubs cannot see annotations through a filter).
    permission_require(role=cast(Any, team).member_role, permission=permission)
    return team


def membership_list(*, team) -> QuerySet:
    return Membership.objects.filter(team=team).select_related("user").order_by("created_at", "pk")


def membership_get(*, team, pk: int) -> Membership:
    return get_object_or_404(Membership.objects.filter(team=team).select_related("user"), pk=pk)


def membership_get_own(*, team, user) -> Membership:
    return get_object_or_404(Membership.objects.filter(team=team, user=user).select_related("user"))


def invitation_list_pending(*, team) -> QuerySet:
    return Invitation.objects.filter(team=team).pending().order_by("-created_at", "-pk")


def invitation_get_pending(*, team, pk: int) -> Invitation:
    return get_object_or_404(invitation_list_pending(team=team), pk=pk)


def verified_addresses(*, user) -> set[str]:
    """The addresses `user` proved they read (allauth's verified emails), lower-cased: an invitation is
    theirs only through one of these."""
    return {
        address.lower()
        for address in user.emailaddress_set.filter(verified=True).values_list("email", flat=True)
    }


def _addressed_to(*, user, pending: bool = False) -> QuerySet:
    invitations = Invitation.objects.pending() if pending else Invitation.objects.all()
    return (
        invitations.annotate(email_lower=Lower("email"))
        .filter(email_lower__in=verified_addresses(user=user))
        .select_related("team", "invited_by")
    )


def invitation_list_for_recipient(*, user) -> QuerySet:
    """The pending invitations addressed to one of `user`'s verified addresses ("waiting for you"), except
    to teams they are already in (there is nothing to accept there)."""
    return (
        _addressed_to(user=user, pending=True)
        .exclude(team__memberships__user=user)
        .order_by("-created_at", "-pk")
    )


def invitation_get_for_recipient(*, user, pk: int) -> Invitation:
    """An invitation addressed to `user`, whatever its state (the service says why a used one no longer
    works); 404 for anyone else's, so nobody learns of other people's invitations."""
    return get_object_or_404(_addressed_to(user=user), pk=pk)


def invitation_token(invitation: Invitation) -> str:
    """The signed token in the emailed link: it names the invitation and cannot be forged or altered."""
    return signing.dumps(
        {"invitation": invitation.pk, "email": invitation.email.lower()}, salt=INVITATION_SALT
    )


def invitation_find_by_token(*, token: str) -> Invitation | None:
    """The invitation a link names, whatever its state (the page says why a used one no longer works),
    or None for a token that is not ours."""
    if not isinstance(token, str) or len(token) > 500 or "\x00" in token:
        return None
    try:
        data = signing.loads(token, salt=INVITATION_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("invitation"), int):
        return None
    invitation = Invitation.objects.select_related("team").filter(pk=data["invitation"]).first()
    if invitation is None or invitation.email.lower() != data.get("email"):
        return None
    return invitation


def owner_count(*, team) -> int:
    return Membership.objects.filter(team=team, role="owner").count()


def team_audit_list(*, team) -> QuerySet:
    """The team's trail: its membership, invitation and transfer events and its apps' events (events
    written before teams existed belong to the app's current team)."""
    return (
        AuditEvent.objects.filter(Q(team=team) | Q(team__isnull=True, application__team=team))
        .select_related("application")
        .order_by("-created_at", "-pk")
    )
