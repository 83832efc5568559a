"""Append-only audit events: who did what to which app, when, from where, and what changed."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AuditEventQuerySet(models.QuerySet):
    # The log is append-only: bulk edits and deletes are refused wherever they come from (admin actions,
    # shell, a careless service). Rows disappear only with the database.
    def update(self, **kwargs):
        raise PermissionError("Audit events are append-only and cannot be changed.")

    def delete(self):
        raise PermissionError("Audit events are append-only and cannot be deleted.")


class AuditEvent(models.Model):
    class Action(models.TextChoices):
        APP_CREATED = "app.created", "App registered"
        APP_CHANGED = "app.changed", "App changed"
        APP_CHANGE_PROPOSED = "app.change_proposed", "Change proposed for review"
        APP_DELETED = "app.deleted", "App deleted"
        APP_LOGO_CHANGED = "app.logo_changed", "Logo changed"
        SECRET_ROTATED = "secret.rotated", "Secret rotated"
        SECRET_REVOKED = "secret.revoked", "Secret revoked"
        TOKEN_REVOKED = "token.revoked", "Token revoked"
        TOKENS_REVOKED_ALL = "token.revoked_all", "All tokens revoked"
        TERMS_ACCEPTED = "terms.accepted", "Developer terms accepted"
        TERMS_PUBLISHED = "terms.published", "Developer terms published"
        APP_APPROVED = "review.approved", "App approved"
        APP_REJECTED = "review.rejected", "App rejected"
        CHANGE_APPROVED = "review.change_approved", "Change approved"
        CHANGE_REJECTED = "review.change_rejected", "Change rejected"
        APP_TRUSTED = "review.trusted", "App marked trusted"
        APP_UNTRUSTED = "review.untrusted", "Trust removed"
        APP_SUSPENDED = "review.suspended", "App suspended"
        APP_REINSTATED = "review.reinstated", "App reinstated"
        GRANT_ALLOWED = "review.grant_allowed", "Deprecated grant allowed"
        CONSENT_GIVEN = "consent.given", "Consent given"
        CONSENT_REVOKED = "consent.revoked", "Access revoked by user"
        # Security events (sign-in, protocol, devices), for staff investigating an incident.
        LOGIN_FAILED = "auth.login_failed", "Sign-in failed"
        LOGIN_RATE_LIMITED = "auth.rate_limited", "Sign-in rate limited"
        ADMIN_LOGIN = "auth.admin_login", "Signed in to the admin"
        REAUTH_FAILED = "auth.reauth_failed", "Re-authentication failed"
        SESSION_ENDED = "auth.session_ended", "Session ended"
        MFA_ADDED = "mfa.added", "Second factor added"
        MFA_REMOVED = "mfa.removed", "Second factor removed"
        MFA_RECOVERY_CODES = "mfa.recovery_codes", "Recovery codes regenerated"
        CLIENT_AUTH_FAILED = "oauth.client_auth_failed", "Client authentication failed"
        REFRESH_TOKEN_REUSED = "oauth.refresh_reused", "Refresh token reused (family revoked)"
        CODE_REPLAYED = "oauth.code_replayed", "Authorization code replayed (tokens revoked)"
        TOKEN_REVOKED_BY_CLIENT = "oauth.token_revoked", "Token revoked by the app"
        LOGOUT = "oauth.logout", "Signed out through an app"
        DEVICE_APPROVED = "device.approved", "Device approved"
        DEVICE_DENIED = "device.denied", "Device denied"
        INTROSPECTION_ALLOWED = "review.introspection_allowed", "Allowed to introspect tokens"
        INTROSPECTION_REMOVED = "review.introspection_removed", "Introspection permission removed"
        # Teams.
        TEAM_CREATED = "team.created", "Team created"
        TEAM_DELETED = "team.deleted", "Team deleted"
        TEAM_RENAMED = "team.renamed", "Team renamed"
        TEAM_MEMBER_INVITED = "team.invited", "Member invited"
        TEAM_INVITATION_REVOKED = "team.invitation_revoked", "Invitation revoked"
        TEAM_MEMBER_JOINED = "team.joined", "Member joined"
        TEAM_INVITATION_DECLINED = "team.invitation_declined", "Invitation declined"
        TEAM_MEMBER_REMOVED = "team.member_removed", "Member removed"
        TEAM_MEMBER_LEFT = "team.member_left", "Member left"
        TEAM_ROLE_CHANGED = "team.role_changed", "Member role changed"
        APP_TRANSFER_PROPOSED = "app.transfer_proposed", "Transfer proposed"
        APP_TRANSFER_WITHDRAWN = "app.transfer_withdrawn", "Transfer withdrawn"
        APP_TRANSFERRED = "app.transferred", "App transferred"

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Kept as text too, so the log still says who it was after the account or app is deleted.
    actor_label = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=40, choices=Action.choices, db_index=True)
    application = models.ForeignKey(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_events",
    )
    application_label = models.CharField(max_length=255, blank=True)
    # The team the event belongs to (an app's team at the time, or the team whose members changed): what
    # a team's owners read as its audit trail. An app transferred later leaves its earlier events behind.
    team = models.ForeignKey(
        "teams.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_events"
    )
    client_id = models.CharField(max_length=255, blank=True, db_index=True)
    # {"field": [before, after], ...} for changes; free-form facts (a reason, a scope list) otherwise.
    changes = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["application", "-created_at"]),
            models.Index(fields=["team", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_label or 'system'} {self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("Audit events are append-only and cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Audit events are append-only and cannot be deleted.")
