"""The portal's OAuth client: DOT's Application, on DOT's own table, plus what the portal needs."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from oauth2_provider.models import AbstractApplication, ApplicationManager

from portal.clients import grants, names, redirect_uris

# Changing these can widen what an app may do (material) or change how it presents itself to the people
# asked to trust it (identity). Once staff have approved an app, a change to any of them waits in
# `proposed_changes` for staff, and the live app keeps what staff reviewed.
MATERIAL_FIELDS = ("redirect_uris", "grant_types", "client_type")
IDENTITY_FIELDS = ("name", "logo", "homepage_url", "post_logout_redirect_uris", "allowed_origins")
REVIEWED_FIELDS = MATERIAL_FIELDS + IDENTITY_FIELDS
# The team publishes the app (the consent screen says "Made by <team>"): moving an approved app to another
# team is proposed as {"team": <team id>} and applied only when staff approve, like an identity change.
TRANSFER_FIELD = "team"
# Everything the staff review page shows of an app; its version (a hash of these and of the proposal)
# binds a staff decision to what the reviewer saw.
REVIEW_PAGE_FIELDS = (
    *REVIEWED_FIELDS,
    "description",
    "privacy_policy_url",
    "terms_of_service_url",
    "staff_allowed_grants",
    "proposed_changes",
)


class ReviewStatus(models.TextChoices):
    """Where an app stands with staff; the one list of statuses (also `Application.ReviewStatus`)."""

    PENDING = "pending", _("Pending review")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    SUSPENDED = "suspended", _("Suspended")


# Limits the forms read from the model fields rather than repeat: free text a person writes (a description,
# a reason given to a developer) and the links an app shows.
TEXT_MAX_LENGTH = 2000
URL_MAX_LENGTH = 500


class Application(AbstractApplication):
    ReviewStatus = ReviewStatus
    # Declared by DOT's AbstractApplication, which ships no type information; typed here for mypy (an
    # annotation without a value adds nothing to the model).
    authorization_grant_type: str

    description = models.TextField(blank=True, max_length=TEXT_MAX_LENGTH, verbose_name=_("description"))
    logo = models.ImageField(upload_to="logos/", blank=True, verbose_name=_("logo"))
    homepage_url = models.URLField(blank=True, max_length=URL_MAX_LENGTH, verbose_name=_("homepage URL"))
    privacy_policy_url = models.URLField(
        blank=True, max_length=URL_MAX_LENGTH, verbose_name=_("privacy policy URL")
    )
    terms_of_service_url = models.URLField(
        blank=True, max_length=URL_MAX_LENGTH, verbose_name=_("terms of service URL")
    )
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
    review_reason = models.TextField(
        blank=True, max_length=TEXT_MAX_LENGTH, verbose_name=_("reason given by staff")
    )
    # A material change (redirect URIs, grant types, client type) to an approved app waits here for staff,
    # as {"field": new value}; until staff approve it the app keeps serving with its current settings, so a
    # developer cannot widen what an approved or trusted app may do without staff seeing it.
    proposed_changes = models.JSONField(default=dict, blank=True, verbose_name=_("changes awaiting review"))
    # RFC 7662 section 4: an app learns about its own tokens only at /o/introspect/; a resource server that
    # must check other apps' tokens is one staff allowed to, explicitly and audited (set only through
    # clients.services.application_set_introspection).
    may_introspect_any_token = models.BooleanField(
        default=False,
        verbose_name=_("may introspect any app's tokens"),
        help_text=_(
            "A resource server that checks tokens issued to other apps at the introspection endpoint."
        ),
    )

    # The team that owns the app: its members reach it, with what their role allows (portal/teams).
    # DOT's `user` stays, as who registered it, so stock DOT tooling keeps working. NULL only for an app
    # made by an operator (createapplication without a user), which no developer manages. PROTECT: a team
    # is deleted only once its apps are gone or transferred.
    team = models.ForeignKey(
        "teams.Team",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="applications",
        verbose_name=_("team"),
    )

    objects = ApplicationManager()

    class Meta(AbstractApplication.Meta):
        db_table = "oauth2_provider_application"
        swappable = "OAUTH2_PROVIDER_APPLICATION_MODEL"

    def natural_key(self):
        return (self.client_id,)

    # One property per status, so templates and code ask `app.is_suspended` rather than compare strings.
    @property
    def is_pending(self) -> bool:
        return self.review_status == self.ReviewStatus.PENDING

    @property
    def is_approved(self) -> bool:
        return self.review_status == self.ReviewStatus.APPROVED

    @property
    def is_rejected(self) -> bool:
        return self.review_status == self.ReviewStatus.REJECTED

    @property
    def is_suspended(self) -> bool:
        return self.review_status == self.ReviewStatus.SUSPENDED

    @property
    def publisher_name(self) -> str | None:
        """Who people are told made the app ("Made by ..."): its team, else the person who registered it;
        None for an operator's app. Select `team` and `user` with the app where a page lists many."""
        if self.team is not None:
            return self.team.name
        if self.user is not None:
            return self.user.get_full_name() or self.user.get_username()
        return None

    @property
    def has_proposed_changes(self) -> bool:
        return bool(self.proposed_changes)

    @property
    def changes_need_review(self) -> bool:
        """Whether a change to REVIEWED_FIELDS must wait for staff instead of applying at once.

        Only a pending or rejected app may change them directly: no decision leads back to those states
        from approved, so such an app has never been live, and staff approve the whole of it as they see
        it. An approved or suspended app keeps what staff approved; reinstating one applies nothing new.
        """
        return not (self.is_pending or self.is_rejected)

    def registered_grant_types(self) -> list[str]:
        """Every grant the app registered, in DOT's order: the portal's list and DOT's single field (an app
        made by `createapplication` or adopted from a DOT install has only the latter)."""
        registered = set(self.grant_types) | ({self.authorization_grant_type} - {""})
        return [grant for grant in grants.ORDER if grant in registered]

    def set_grant_types(self, grant_types: Iterable[str]) -> None:
        """Set the app's grants, keeping DOT's own fields in step (the one place this rule lives).

        DOT reads the single `authorization_grant_type` (in its checks and its admin): it stays the app's
        current main grant while that is still chosen, else it becomes the first in DOT's order. An app
        that can sign people in (through a browser, or on a device: either may be asked for an ID token)
        signs them with RS256 unless an operator chose otherwise; one that cannot has no ID-token algorithm.
        """
        chosen = set(grant_types)
        if not chosen:
            raise ValueError("An app needs at least one grant type.")
        if unknown := chosen - grants.ALL:
            raise ValueError(
                f"Not a grant type this server supports: {', '.join(sorted(map(str, unknown)))}."
            )
        self.grant_types = [grant for grant in grants.ORDER if grant in chosen]
        if self.authorization_grant_type not in chosen:
            self.authorization_grant_type = self.grant_types[0]
        if grants.SIGNING_IN.isdisjoint(chosen):
            self.algorithm = self.NO_ALGORITHM
        elif not self.algorithm:
            self.algorithm = self.RS256_ALGORITHM

    def review_version(self) -> str:
        """A hash of what the staff review page shows. A decision form carries it, and a decision whose
        version no longer matches (the developer changed the app meanwhile) is refused."""
        shown = {field: getattr(self, field) for field in REVIEW_PAGE_FIELDS}
        shown["logo"] = self.logo.name or ""
        shown["grant_types"] = self.registered_grant_types()
        encoded = json.dumps(shown, sort_keys=True, default=str).encode()
        return hashlib.sha256(encoded).hexdigest()

    @property
    def keeps_secret(self) -> bool:
        # A public client (a browser or mobile app) cannot keep a secret, so it has none.
        return self.client_type == self.CLIENT_CONFIDENTIAL

    def effective_grant_types(self) -> tuple[str, ...]:
        """The grants this app may use right now, in DOT's order: those it registered, minus deprecated
        ones staff did not allow."""
        registered = set(self.registered_grant_types())
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
        try:
            names.validate_app_name(self.name)
        except ValidationError as exc:
            errors["name"] = exc.error_list
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

    class GracePeriod(models.IntegerChoices):
        """How long the previous secret keeps working after a rotation, in seconds."""

        NONE = 0, "No grace period: the current secret stops working now"
        HOUR = 3600, "1 hour"
        DAY = 86400, "24 hours"
        WEEK = 604800, "7 days"

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


class ExchangedAuthorizationCode(models.Model):
    """An authorization code that was exchanged for tokens, kept for a while after DOT deleted its grant.

    RFC 6749 section 4.1.2: a code used twice must be refused, and the tokens issued from it should be
    revoked, because one of the two parties presenting it stole it. DOT deletes the grant on exchange, so
    without this record a replayed code is just "unknown" and the stolen tokens live on.
    """

    code_checksum = models.CharField(max_length=64, unique=True)
    application = models.ForeignKey(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # What the exchange issued: the refresh token family (rotation keeps it) and the first access token.
    token_family = models.UUIDField(null=True, blank=True)
    access_token_id = models.BigIntegerField(null=True, blank=True)
    exchanged_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"code exchanged for {self.application_id} at {self.exchanged_at:%Y-%m-%d %H:%M}"
