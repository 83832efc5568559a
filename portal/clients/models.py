"""The portal's OAuth client: DOT's Application, on DOT's own table, plus what the portal needs."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from oauth2_provider.models import AbstractApplication, ApplicationManager

from portal.clients import grants, redirect_uris


class Application(AbstractApplication):
    class ReviewStatus(models.TextChoices):
        PENDING = "pending", _("Pending review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        SUSPENDED = "suspended", _("Suspended")

    description = models.TextField(blank=True, max_length=2000, verbose_name=_("description"))
    logo = models.ImageField(upload_to="logos/", blank=True, verbose_name=_("logo"))
    homepage_url = models.URLField(blank=True, max_length=500, verbose_name=_("homepage URL"))
    privacy_policy_url = models.URLField(blank=True, max_length=500, verbose_name=_("privacy policy URL"))
    terms_of_service_url = models.URLField(blank=True, max_length=500, verbose_name=_("terms of service URL"))
    # Every grant the app may use. DOT's single `authorization_grant_type` stays filled (with the app's
    # main grant) because DOT's own code and admin read it; `allows_grant_type` reads both.
    grant_types = models.JSONField(
        default=list,
        blank=True,
        validators=[grants.validate_grant_type_list],
        verbose_name=_("grant types"),
        help_text=_("All grant types this app may use."),
    )
    # Deprecated grants (RFC 9700: implicit, password, hybrid) work only when staff listed them here.
    staff_allowed_grants = models.JSONField(
        default=list,
        blank=True,
        validators=[grants.validate_deprecated_grant_list],
        verbose_name=_("deprecated grants allowed by staff"),
    )
    review_status = models.CharField(
        max_length=16,
        choices=ReviewStatus.choices,
        default=ReviewStatus.PENDING,
        db_index=True,
        verbose_name=_("review status"),
    )

    # Review. `submitted_at` is when the app (or its latest proposed change) entered the staff queue;
    # `review_reason` is what staff told the developer when rejecting or suspending.
    submitted_at = models.DateTimeField(null=True, blank=True, db_index=True, verbose_name=_("submitted at"))
    reviewed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("reviewed at"))
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    review_reason = models.TextField(blank=True, max_length=2000, verbose_name=_("reason given by staff"))
    # A material change (redirect URIs, grant types, client type) to an approved app waits here for staff,
    # as {"field": new value}; until staff approve it the app keeps serving with its current settings, so a
    # developer cannot widen what an approved or trusted app may do without staff seeing it.
    proposed_changes = models.JSONField(default=dict, blank=True, verbose_name=_("changes awaiting review"))

    objects = ApplicationManager()

    class Meta(AbstractApplication.Meta):
        db_table = "oauth2_provider_application"
        swappable = "OAUTH2_PROVIDER_APPLICATION_MODEL"

    def natural_key(self):
        return (self.client_id,)

    @property
    def is_approved(self) -> bool:
        return self.review_status == self.ReviewStatus.APPROVED

    @property
    def has_proposed_changes(self) -> bool:
        return bool(self.proposed_changes)

    def effective_grant_types(self) -> tuple[str, ...]:
        """The grants this app may use right now, in DOT's order: those it registered, minus deprecated
        ones staff did not allow."""
        registered = set(self.grant_types) | {self.authorization_grant_type}
        return tuple(
            grant
            for grant in grants.ORDER
            if grant in registered and (grant not in grants.DEPRECATED or grant in self.staff_allowed_grants)
        )

    def allows_grant_type(self, *grant_types: str) -> bool:
        # DOT passes several acceptable grants at once (e.g. a refresh is fine for any of five grants).
        return not set(self.effective_grant_types()).isdisjoint(grant_types)

    def is_usable(self, request) -> bool:
        # DOT consults this when loading a client for any protocol request and when validating a bearer
        # token, so a pending, rejected or suspended app can neither obtain nor use tokens.
        return self.is_approved

    def get_absolute_url(self) -> str:
        # DOT's points at its management page, which the portal does not mount (NoReverseMatch: the admin's
        # "View on site" answered 500). The staff review page is where an app is looked at.
        return reverse("staff:application_review", args=[self.pk])

    def get_allowed_schemes(self) -> list[str]:
        return redirect_uris.allowed_schemes(self.redirect_uris.split())

    def clean(self) -> None:
        # The portal's rules first, because their messages name the URI and say what to do; DOT's own
        # checks (origins, algorithm, a redirect URI for redirecting grants) still run, but a field the
        # portal already rejected is reported once, in the portal's words.
        errors: dict[str, list[ValidationError]] = {}
        for field in ("redirect_uris", "post_logout_redirect_uris"):
            try:
                redirect_uris.validate_redirect_uri_list(getattr(self, field).split())
            except ValidationError as exc:
                errors[field] = exc.error_list
        if not self.redirect_uris.split() and not grants.REDIRECTING.isdisjoint(self.effective_grant_types()):
            errors.setdefault("redirect_uris", []).append(
                ValidationError("Add at least one redirect URI: the authorization code flow needs one.")
            )
        try:
            super().clean()
        except ValidationError as exc:
            for field, field_errors in exc.error_dict.items():
                errors.setdefault(field, field_errors)
        if errors:
            raise ValidationError(errors)


class ClientSecret(models.Model):
    """A live client secret of an app: its hash, its last four characters, and when it was last used.

    An app has one current secret (its hash is also in DOT's `Application.client_secret`) and, for a grace
    period after a rotation, the previous one, so production clients can switch without downtime.
    """

    application = models.ForeignKey(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL, on_delete=models.CASCADE, related_name="secrets"
    )
    secret_hash = models.CharField(max_length=255)
    last_four = models.CharField(max_length=4)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    # None for the current secret; the end of the grace period for the previous one.
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"…{self.last_four}"

    @property
    def is_current(self) -> bool:
        return self.expires_at is None
