"""Versioned developer terms and who accepted which version, when, from where."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class TermsVersion(models.Model):
    version = models.CharField(max_length=32, unique=True, help_text="A label developers see, e.g. 2026-11.")
    body = models.TextField(help_text="The terms, as plain text; blank lines separate paragraphs.")
    published_at = models.DateTimeField(
        default=timezone.now,
        db_index=True,
        help_text="From this moment developers must accept this version before creating or changing apps.",
    )

    class Meta:
        ordering = ["-published_at"]
        verbose_name = "developer terms version"

    def __str__(self) -> str:
        return f"Developer terms {self.version}"


class TermsAcceptance(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="terms_acceptances"
    )
    version = models.ForeignKey(TermsVersion, on_delete=models.PROTECT, related_name="acceptances")
    accepted_at = models.DateTimeField(auto_now_add=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-accepted_at"]
        constraints = [models.UniqueConstraint(fields=["user", "version"], name="one_acceptance_per_version")]

    def __str__(self) -> str:
        return f"{self.user} accepted {self.version.version}"
