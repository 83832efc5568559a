"""Teams own apps. A member has one role (portal/teams/roles.py says what each may do); an invitation
brings someone in by email."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from portal.teams.roles import Role

TEAM_NAME_MAX_LENGTH = 100


# django-stubs cannot resolve the reverse manager of the swappable Application's `team` (unused in code).
class Team(models.Model):  # type: ignore[django-manager-missing]
    name = models.CharField(max_length=TEAM_NAME_MAX_LENGTH)
    # Set for the team made for a developer on first use, so a solo developer never sees a team step.
    personal_for = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="personal_team",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_personal(self) -> bool:
        return self.personal_for_id is not None


class Membership(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["team", "user"], name="one_membership_per_team")]

    def __str__(self) -> str:
        return f"{self.user} in {self.team} ({self.role})"


class InvitationQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(
            accepted_at__isnull=True,
            revoked_at__isnull=True,
            declined_at__isnull=True,
            expires_at__gt=timezone.now(),
        )


class Invitation(models.Model):
    """An invitation by email. The link carries a signature of its id (portal/teams/services.py); it works
    once, until `expires_at`, and only for a person signed in with this verified address, who may also
    decline it."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=16, choices=Role.choices)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    # The invited person said no (from their list of invitations waiting for them): the link stops working.
    declined_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(accepted_at__isnull=True) | Q(revoked_at__isnull=True), name="accepted_or_revoked"
            ),
            models.CheckConstraint(
                condition=Q(declined_at__isnull=True) | Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="declined_alone",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} to {self.team}"

    @property
    def is_pending(self) -> bool:
        return (
            self.accepted_at is None
            and self.revoked_at is None
            and self.declined_at is None
            and self.expires_at > timezone.now()
        )
