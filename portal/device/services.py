"""Writes of device grants. Each runs in one transaction; a person's decision records its audit event."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from oauth2_provider.models import get_device_grant_model

from portal.audit.models import AuditEvent
from portal.audit.services import audit_record
from portal.consent.services import consent_grant
from portal.usage import counters
from portal.usage.models import Kind


def device_grant_create(
    *, client_id: str, device_code: str, user_code: str, scopes: list[str], expires_in: int, interval: int
):
    """Store what the device authorization endpoint handed out (oauthlib generated the codes)."""
    return get_device_grant_model().objects.create(
        client_id=client_id,
        device_code=device_code,
        user_code=user_code,
        scope=" ".join(scopes),
        interval=interval,
        expires=timezone.now() + timedelta(seconds=expires_in),
    )


def _decide(grant, **fields) -> bool:
    """Move a still-pending, unexpired grant to its decision, once: a second tab (or person) that
    approves the same code finds nothing left to update."""
    model = get_device_grant_model()
    return bool(
        model.objects.filter(
            pk=grant.pk, status=model.AUTHORIZATION_PENDING, expires__gt=timezone.now()
        ).update(**fields)
    )


@transaction.atomic
def device_grant_approve(
    *,
    grant,
    application,
    user,
    granted: list[str],
    remembered: list[str],
    declined: Sequence[str] = (),
    request: HttpRequest | None,
) -> bool:
    """The person allowed the device: the token it polls for carries exactly `granted`.

    Also remembers the consent (so the app shows under connected apps, where the person can take the
    access back). Returns False when the code was decided or expired meanwhile.
    """
    model = get_device_grant_model()
    if not _decide(grant, status=model.AUTHORIZED, user=user, scope=" ".join(granted)):
        return False
    consent_grant(user=user, application=application, scopes=remembered, declined=declined, request=request)
    audit_record(
        actor=user,
        action=AuditEvent.Action.DEVICE_APPROVED,
        application=application,
        changes={"scopes": list(granted), "declined": list(declined)},
        request=request,
    )
    return True


@transaction.atomic
def device_grant_deny(*, grant, application, user, request: HttpRequest | None) -> bool:
    """The person refused: the device's next poll gets access_denied."""
    model = get_device_grant_model()
    if not _decide(grant, status=model.DENIED, user=user):
        return False
    audit_record(
        actor=user,
        action=AuditEvent.Action.DEVICE_DENIED,
        application=application,
        changes={"scopes": grant.scope.split()},
        request=request,
    )
    # Usage insights: a refusal, counted like one on the consent screen (a count, not who).
    counters.count(application_id=application.pk, kind=Kind.DENIAL)
    return True
