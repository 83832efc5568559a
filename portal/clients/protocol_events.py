"""Security events at the protocol endpoints (issue 9, findings 9 and 10), written for staff investigating
an incident. The validator (portal.clients.validators) calls these from DOT's own hooks; each writes in one
transaction with its audit event.

- Client-authentication failures at the token, introspection and revocation endpoints are counted, not
  logged one row per request (anyone can send wrong credentials as fast as they like): per client id and
  hour, the cache counts them, and an audit event is written at the 1st, 10th, 100th, ... failure, each
  with the count so far.
- A spent refresh token presented again revokes its whole family (DOT does that); the event says so.
- An authorization code presented a second time revokes the tokens issued from it (RFC 6749 4.1.2).
- A client revoking its own token at /o/revoke_token/ is recorded.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_refresh_token_model

from portal.audit.models import AuditEvent
from portal.audit.services import audit_record
from portal.clients.models import ExchangedAuthorizationCode

FAILURE_WINDOW_SECONDS = 3600
# How long a replayed code is still recognised. Codes live a minute; a thief may try later.
EXCHANGED_CODE_MEMORY = timedelta(days=1)


def _checksum(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


@transaction.atomic
def authorization_code_exchanged(*, code: str, application, user, access_token_value: str) -> None:
    """Remember which tokens a code was exchanged for, so a replay can revoke them."""
    access_token = (
        get_access_token_model().objects.filter(token_checksum=_checksum(access_token_value)).first()
    )
    refresh_token = (
        get_refresh_token_model().objects.filter(access_token=access_token).first() if access_token else None
    )
    forgotten = timezone.now() - EXCHANGED_CODE_MEMORY
    ExchangedAuthorizationCode.objects.filter(exchanged_at__lt=forgotten).delete()
    ExchangedAuthorizationCode.objects.update_or_create(
        code_checksum=_checksum(code),
        defaults={
            "application": application,
            "user": user if user is not None and user.is_authenticated else None,
            "token_family": refresh_token.token_family if refresh_token else None,
            "access_token_id": access_token.pk if access_token else None,
        },
    )


@transaction.atomic
def authorization_code_replay_revoke(*, code: str, application, request: HttpRequest | None) -> bool:
    """A code exchanged before is presented again: revoke what it was exchanged for. True if it was one."""
    exchanged = (
        ExchangedAuthorizationCode.objects.select_for_update()
        .filter(code_checksum=_checksum(code), application=application)
        .first()
    )
    if exchanged is None:
        return False
    refresh_model = get_refresh_token_model()
    access_model = get_access_token_model()
    live = 0
    if exchanged.token_family:
        live = refresh_model.objects.filter(token_family=exchanged.token_family, revoked__isnull=True).count()
        refresh_model.revoke_family(exchanged.token_family)
    deleted, _per_model = access_model.objects.filter(pk=exchanged.access_token_id).delete()
    audit_record(
        actor=None,
        action=AuditEvent.Action.CODE_REPLAYED,
        application=application,
        changes={
            "user": exchanged.user.get_username() if exchanged.user else None,
            "refresh_tokens_revoked": live,
            "first_access_token_deleted": bool(deleted),
        },
        request=request,
    )
    # Recorded once: a second replay has nothing left to revoke.
    exchanged.delete()
    return True
