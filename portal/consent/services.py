"""Writes of consent. Each runs in one transaction and records its audit event inside it."""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth import logout
from django.db import transaction
from django.http import HttpRequest

from portal.audit.models import AuditEvent
from portal.audit.services import audit_record
from portal.clients.services import application_revoke_everything
from portal.consent.models import Consent
from portal.notifications import notify_app_connected


@transaction.atomic
def consent_grant(
    *, user, application, scopes: list[str], declined: Sequence[str] = (), request: HttpRequest | None
) -> Consent:
    """Remember that `user` allows `application` the given scopes (the whole new set, see scopes.decide).

    Audited when something changed: a first consent, or scopes added or taken away. A trusted app's
    repeated sign-ins with the same scopes write nothing.
    """
    consent, created = Consent.objects.select_for_update().get_or_create(
        user=user, application=application, defaults={"scopes": list(scopes)}
    )
    before = [] if created else list(consent.scopes)
    if not created and before != list(scopes):
        consent.scopes = list(scopes)
        consent.save(update_fields=["scopes", "updated_at"])
    if created or before != list(scopes):
        changes = {"scopes": [before, list(scopes)], "trusted": application.skip_authorization}
        if declined:
            changes["declined"] = list(declined)
        audit_record(
            actor=user,
            action=AuditEvent.Action.CONSENT_GIVEN,
            application=application,
            changes=changes,
            request=request,
        )
    if created:
        notify_app_connected(user=user, application=application, scopes=list(scopes), request=request)
    return consent


@transaction.atomic
def connection_revoke(*, user, application, request: HttpRequest | None) -> dict[str, int]:
    """Take back everything `application` holds for `user`, at once, and forget the consent, if any.

    Access and refresh tokens, pending authorization codes (so a code issued a moment ago cannot still be
    exchanged), ID tokens and device grants go; the app's next API call is 401 and its next authorization
    request shows the consent screen again (unless staff marked it trusted). Refresh tokens are deleted
    rather than marked revoked: with the whole family gone there is nothing left to detect reuse against.
    Works the same for an app that never had a consent record (tokens adopted from a stock DOT install).
    """
    consent = Consent.objects.select_for_update().filter(user=user, application=application).first()
    removed = application_revoke_everything(application=application, user=user)
    audit_record(
        actor=user,
        action=AuditEvent.Action.CONSENT_REVOKED,
        application=application,
        changes={"scopes": [list(consent.scopes) if consent else None, None], **removed},
        request=request,
    )
    if consent is not None:
        consent.delete()
    return removed


@transaction.atomic
def session_logout(*, request: HttpRequest, application) -> None:
    """End the signed-in person's session in this browser, as they confirmed at an app's request (OpenID
    Connect RP-initiated logout). Their tokens at every app stay: signing out of the portal is not taking
    access back (that is connected apps)."""
    audit_record(
        actor=request.user,
        action=AuditEvent.Action.LOGOUT,
        application=application,
        changes={"session_ended": True, "tokens_deleted": 0},
        request=request,
    )
    logout(request)
