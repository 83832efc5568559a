"""Writes to teams: creating and deleting them, invitations, roles and membership. Each runs in one
transaction with its audit event, and keeps the rule that a team always has at least one owner (checked
under a lock on the team's row, so two owners demoting each other at once cannot leave none)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from oauth2_provider.models import get_application_model

from portal.audit.models import AuditEvent
from portal.audit.services import audit_record
from portal.teams.models import TEAM_NAME_MAX_LENGTH, Invitation, Membership, Team
from portal.teams.roles import Role
from portal.teams.selectors import invitation_token, owner_count, verified_addresses

INVITATION_LIFETIME = timedelta(days=7)


class TeamError(ValueError):
    """A team change that breaks a rule; the message is shown to the person."""


def _display_name(user) -> str:
    return user.get_full_name() or user.get_username()


def personal_team_name(user) -> str:
    """What a personal team is called: the person's name, else their username (as they appear elsewhere)."""
    return _display_name(user)[:TEAM_NAME_MAX_LENGTH]


def team_personal_get_or_create(*, user, request: HttpRequest | None = None) -> Team:
    """The developer's personal team, made on first use (first visit to the console, first app), so a
    solo developer sees no team step at all. Its making is in the team's trail like any other team's."""
    team = Team.objects.filter(personal_for=user).first()
    if team is None:
        try:
            with transaction.atomic():
                team = Team.objects.create(name=personal_team_name(user), personal_for=user)
                Membership.objects.create(team=team, user=user, role=Role.OWNER)
                audit_record(
                    actor=user,
                    action=AuditEvent.Action.TEAM_CREATED,
                    team=team,
                    changes={"name": team.name, "personal": True},
                    request=request,
                )
        except IntegrityError:
            # Two first requests at once: the other one made it (and recorded it).
            team = Team.objects.get(personal_for=user)
    # An app an operator made for this person (`createapplication --user`) has no team yet: it is theirs,
    # as it was before teams, so it joins their personal team.
    get_application_model().objects.filter(user=user, team__isnull=True).update(team=team)
    return team


@transaction.atomic
def team_personal_name_follow(*, user, previous_name: str, actor, request: HttpRequest | None) -> Team | None:
    """After the person's name or username changed: their personal team, named after them, takes the new
    name. A name someone gave the team by hand (anything but what it was derived from) is kept. Returns
    the renamed team, or None."""
    team = Team.objects.select_for_update().filter(personal_for=user).first()
    name = personal_team_name(user)
    if team is None or team.name != previous_name[:TEAM_NAME_MAX_LENGTH] or team.name == name:
        return None
    before, team.name = team.name, name
    team.save(update_fields=["name"])
    audit_record(
        actor=actor,
        action=AuditEvent.Action.TEAM_RENAMED,
        team=team,
        changes={"name": [before, name]},
        request=request,
    )
    return team


@transaction.atomic
def team_create(*, user, name: str, request: HttpRequest | None) -> Team:
    team = Team.objects.create(name=name)
    Membership.objects.create(team=team, user=user, role=Role.OWNER)
    audit_record(
        actor=user, action=AuditEvent.Action.TEAM_CREATED, team=team, changes={"name": name}, request=request
    )
    return team


@transaction.atomic
def team_delete(*, team: Team, actor, request: HttpRequest | None) -> None:
    if get_application_model().objects.filter(team=team).exists():
        raise TeamError("Transfer or delete the team's apps first: a team with apps cannot be deleted.")
    audit_record(
        actor=actor,
        action=AuditEvent.Action.TEAM_DELETED,
        team=team,
        changes={"name": [team.name, None]},
        request=request,
    )
    team.delete()


def _lock(team: Team) -> None:
    Team.objects.select_for_update().filter(pk=team.pk).first()


@transaction.atomic
def invitation_create(*, team: Team, email: str, role: str, actor, request: HttpRequest | None) -> Invitation:
    """Invite `email` with `role`; the link is emailed after commit. An earlier pending invitation of the
    same address is replaced, so only the newest link works."""
    email = email.strip()
    if Membership.objects.filter(team=team, user__email__iexact=email).exists():
        raise TeamError(f"{email} is already a member of {team.name}.")
    now = timezone.now()
    Invitation.objects.filter(team=team, email__iexact=email).pending().update(revoked_at=now)
    invitation = Invitation.objects.create(
        team=team, email=email, role=role, invited_by=actor, expires_at=now + INVITATION_LIFETIME
    )
    audit_record(
        actor=actor,
        action=AuditEvent.Action.TEAM_MEMBER_INVITED,
        team=team,
        changes={"email": email, "role": role},
        request=request,
    )
    path = reverse("developer:invitation_accept", args=[invitation_token(invitation)])
    context = {
        "team": team,
        "invitation": invitation,
        "inviter": _display_name(actor),
        "site_name": settings.SITE_NAME,
        "accept_url": request.build_absolute_uri(path) if request is not None else path,
    }
    subject = render_to_string("developer/email/team_invitation_subject.txt", context).strip()
    body = render_to_string("developer/email/team_invitation_message.txt", context)
    transaction.on_commit(
        lambda: send_mail(f"[{settings.SITE_NAME}] {subject}", body, None, [email]), robust=True
    )
    return invitation


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, actor, request: HttpRequest | None) -> None:
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    audit_record(
        actor=actor,
        action=AuditEvent.Action.TEAM_INVITATION_REVOKED,
        team=invitation.team,
        changes={"email": invitation.email},
        request=request,
    )


def _usable_by(invitation: Invitation, user) -> None:
    """The one rule for answering an invitation (accepting or declining it): only once, before it expires,
    and only by the person who proved they read the invited address (allauth's verified email)."""
    if invitation.accepted_at is not None:
        raise TeamError("This invitation was already used.")
    if invitation.revoked_at is not None:
        raise TeamError("This invitation was withdrawn. Ask the team's owner for a new one.")
    if invitation.declined_at is not None:
        raise TeamError("This invitation was declined. Ask the team's owner for a new one.")
    if invitation.expires_at <= timezone.now():
        raise TeamError("This invitation has expired. Ask the team's owner for a new one.")
    if invitation.email.lower() not in verified_addresses(user=user):
        raise TeamError(
            f"This invitation is for {invitation.email}. Sign in with the account that has that address, "
            "verified, to accept or decline it."
        )


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user, request: HttpRequest | None) -> Membership:
    """Join the team (from the emailed link or from the list of invitations waiting for the person)."""
    invitation = Invitation.objects.select_for_update().select_related("team").get(pk=invitation.pk)
    _usable_by(invitation, user)
    if Membership.objects.filter(team=invitation.team, user=user).exists():
        raise TeamError(f"You are already a member of {invitation.team.name}.")
    membership = Membership.objects.create(team=invitation.team, user=user, role=invitation.role)
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    audit_record(
        actor=user,
        action=AuditEvent.Action.TEAM_MEMBER_JOINED,
        team=invitation.team,
        changes={"member": user.get_username(), "role": invitation.role},
        request=request,
    )
    return membership


@transaction.atomic
def invitation_decline(*, invitation: Invitation, user, request: HttpRequest | None) -> Invitation:
    """The invited person says no: the link stops working, and the team's trail says who declined (the
    owner can invite again)."""
    invitation = Invitation.objects.select_for_update().select_related("team").get(pk=invitation.pk)
    _usable_by(invitation, user)
    invitation.declined_at = timezone.now()
    invitation.save(update_fields=["declined_at"])
    audit_record(
        actor=user,
        action=AuditEvent.Action.TEAM_INVITATION_DECLINED,
        team=invitation.team,
        changes={"email": invitation.email, "role": invitation.role},
        request=request,
    )
    return invitation


def _keeps_an_owner(membership: Membership, *, new_role: str | None) -> None:
    if membership.role == Role.OWNER and new_role != Role.OWNER and owner_count(team=membership.team) <= 1:
        raise TeamError("A team always keeps at least one owner: make someone else owner first.")


@transaction.atomic
def membership_change_role(
    *, membership: Membership, role: str, actor, request: HttpRequest | None
) -> Membership:
    _lock(membership.team)
    membership = Membership.objects.select_related("team", "user").get(pk=membership.pk)
    if membership.role == role:
        return membership
    _keeps_an_owner(membership, new_role=role)
    before = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    audit_record(
        actor=actor,
        action=AuditEvent.Action.TEAM_ROLE_CHANGED,
        team=membership.team,
        changes={"member": membership.user.get_username(), "role": [before, role]},
        request=request,
    )
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership, actor, request: HttpRequest | None) -> None:
    """An owner removes a member, or a member leaves (actor is the member). Access ends at once: nothing
    about the membership is cached."""
    _lock(membership.team)
    membership = Membership.objects.select_related("team", "user").get(pk=membership.pk)
    _keeps_an_owner(membership, new_role=None)
    leaving = actor.pk == membership.user_id
    audit_record(
        actor=actor,
        action=AuditEvent.Action.TEAM_MEMBER_LEFT if leaving else AuditEvent.Action.TEAM_MEMBER_REMOVED,
        team=membership.team,
        changes={"member": membership.user.get_username(), "role": membership.role},
        request=request,
    )
    membership.delete()
