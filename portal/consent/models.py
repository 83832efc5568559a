"""Remembered consent: which scopes a person granted to which app.

DOT remembers consent only through live access tokens (its "auto" approval, issue #753): once they
expire, the person is asked again, and a revoked token forgets what was granted. The portal keeps its own
record instead, one per person and app, holding exactly the scopes the person allowed (granular consent,
DOT issue #262). Tokens are still DOT's; this row only decides whether the consent screen is needed.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Consent(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="consents", verbose_name=_("user")
    )
    application = models.ForeignKey(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL,
        on_delete=models.CASCADE,
        related_name="consents",
        verbose_name=_("application"),
    )
    # Scope names, in the order OAUTH2_PROVIDER["SCOPES"] lists them.
    scopes = models.JSONField(default=list, blank=True, verbose_name=_("granted scopes"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("first authorized"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("last changed"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "application"], name="consent_one_per_user_and_app"),
        ]
        verbose_name = _("consent")

    def __str__(self) -> str:
        return f"{self.user} → {self.application}: {' '.join(self.scopes)}"
