"""What the usage pages read: daily counts per app (flushed from the cache by `flush_usage`) and the
integration error log. Neither holds anything about a person: counts only, and error values that are safe
to show the app's developer (portal.usage.errorlog cleans them)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Kind(models.TextChoices):
    """What is counted. Defined once: the counters, the flush, the charts and the CSV columns read it."""

    TOKEN_AUTHORIZATION_CODE = "token.authorization_code", "Tokens: authorization code"
    TOKEN_CLIENT_CREDENTIALS = "token.client_credentials", "Tokens: client credentials"
    TOKEN_DEVICE_CODE = "token.device_code", "Tokens: device code"
    TOKEN_IMPLICIT = "token.implicit", "Tokens: implicit"
    TOKEN_PASSWORD = "token.password", "Tokens: password"
    TOKEN_OTHER = "token.other", "Tokens: other grants"
    REFRESH = "refresh", "Refreshes"
    PEOPLE = "people", "People (distinct per day)"
    DENIAL = "denial", "Authorizations refused by people"
    ERROR_INVALID_CLIENT = "error.invalid_client", "Errors: invalid_client"
    ERROR_INVALID_GRANT = "error.invalid_grant", "Errors: invalid_grant"
    ERROR_REDIRECT_URI = "error.redirect_uri_mismatch", "Errors: redirect URI mismatch"
    ERROR_INVALID_SCOPE = "error.invalid_scope", "Errors: invalid_scope"
    ERROR_UNAUTHORIZED_CLIENT = "error.unauthorized_client", "Errors: unauthorized_client"
    ERROR_RATE_LIMITED = "error.rate_limited", "Errors: rate limited"
    ERROR_OTHER = "error.other", "Errors: other"


TOKEN_KINDS = tuple(kind for kind in Kind if kind.value.startswith("token."))
# Every kind that is a token handed out: the "tokens issued" charts and totals (a refresh issues one too).
ISSUED_KINDS = (*TOKEN_KINDS, Kind.REFRESH)
ERROR_KINDS = tuple(kind for kind in Kind if kind.value.startswith("error."))


class UsageDaily(models.Model):
    application = models.ForeignKey(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL, on_delete=models.CASCADE, related_name="usage_days"
    )
    day = models.DateField()
    kind = models.CharField(max_length=40, choices=Kind.choices)
    count = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["application", "day", "kind"], name="usage_daily_unique"),
        ]
        indexes = [models.Index(fields=["day", "kind"], name="usage_daily_day_kind")]

    def __str__(self) -> str:
        return f"{self.application_id} {self.day} {self.kind}={self.count}"


class IntegrationError(models.Model):
    """One kind of failure an app's requests caused, coalesced: the same error with the same value within
    COALESCE_WINDOW bumps `count` and `last_seen` instead of adding a row. Bounded per app by
    portal.usage.errorlog (rows kept, days kept, writes per minute)."""

    application = models.ForeignKey(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL,
        on_delete=models.CASCADE,
        related_name="integration_errors",
    )
    endpoint = models.CharField(max_length=20)
    code = models.CharField(max_length=40)
    # Only a value that is safe to show the developer (a redirect URI without its query, a grant type,
    # scope names), cleaned and truncated by portal.usage.errorlog; never a secret, code, token or person.
    value = models.CharField(max_length=300, blank=True)
    fingerprint = models.CharField(max_length=64)
    count = models.PositiveIntegerField(default=1)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["application", "-last_seen"], name="integration_error_recent"),
            models.Index(fields=["application", "fingerprint", "last_seen"], name="integration_error_same"),
            models.Index(fields=["last_seen"], name="integration_error_age"),
        ]

    def __str__(self) -> str:
        return f"{self.application_id} {self.code} x{self.count}"
