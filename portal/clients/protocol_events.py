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
import math
import time
from datetime import timedelta

from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_refresh_token_model

from portal.audit.models import AuditEvent
from portal.audit.services import audit_record
from portal.clients.models import ExchangedAuthorizationCode
from portal.clients.selectors import application_by_client_id

FAILURE_WINDOW_SECONDS = 3600
# How long a replayed code is still recognised. Codes live a minute; a thief may try later.
EXCHANGED_CODE_MEMORY = timedelta(days=1)


def _checksum(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def client_auth_failure_record(*, client_id: str | None, endpoint: str, request: HttpRequest | None) -> int:
    """Count a failed client authentication; audit it when the count reaches 1, 10, 100, ...

    Returns the count in the current window."""
    client_id = (client_id or "")[:255]
    window = int(time.time()) // FAILURE_WINDOW_SECONDS
    key = f"client-auth-failed:{_checksum(client_id)}:{window}"
    cache.add(key, 0, timeout=FAILURE_WINDOW_SECONDS * 2)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=FAILURE_WINDOW_SECONDS * 2)
        count = 1
    if math.log10(count).is_integer():
        application = application_by_client_id(client_id)
        changes = {"endpoint": endpoint, "failures_this_hour": count}
        if application is None:
            # Unknown or malformed: keep what was sent, printable and short, for the investigation.
            changes["client_id"] = client_id.replace("\x00", "\\x00")[:100]
        with transaction.atomic():
            audit_record(
                actor=None,
                action=AuditEvent.Action.CLIENT_AUTH_FAILED,
                application=application,
                changes=changes,
                request=request,
            )
    return count


@transaction.atomic
def refresh_token_reuse_record(
    *, application, user, token_family, revoked: int, request: HttpRequest | None
) -> None:
    audit_record(
        actor=None,
        action=AuditEvent.Action.REFRESH_TOKEN_REUSED,
        application=application,
        changes={
            "user": user.get_username() if user else None,
            "token_family": str(token_family),
            "refresh_tokens_revoked": revoked,
        },
        request=request,
    )


def authorization_code_exchanged(*, code: str, application, user, access_token, refresh_token) -> None:
    """Remember which tokens a code was exchanged for, so a replay can revoke them.

    Called inside DOT's token transaction with the tokens it has just saved (no re-read), and one INSERT:
    the grant is deleted right after, so a code reaches this once; when two requests race with the same
    code, the unique checksum keeps the first row and the loser's grant delete refuses it (invalid_grant).
    Old rows are forgotten by `cleartokens` (exchanged_codes_forget), not here on every exchange.
    """
    row = ExchangedAuthorizationCode(
        code_checksum=_checksum(code),
        application=application,
        user=user if user is not None and user.is_authenticated else None,
        token_family=refresh_token.token_family if refresh_token is not None else None,
        access_token_id=access_token.pk if access_token is not None else None,
    )
    ExchangedAuthorizationCode.objects.bulk_create([row], ignore_conflicts=True)


def exchanged_codes_forget() -> int:
    """Delete the records of codes exchanged longer ago than EXCHANGED_CODE_MEMORY; how many went.

    Run by the portal's `cleartokens` (the daily schedule the README documents)."""
    forgotten = timezone.now() - EXCHANGED_CODE_MEMORY
    deleted, _per_model = ExchangedAuthorizationCode.objects.filter(exchanged_at__lt=forgotten).delete()
    return deleted


@transaction.atomic
def authorization_code_replay_revoke(*, code: str, application, request: HttpRequest | None) -> bool:
    """A code exchanged before is presented again: revoke what it was exchanged for. True if it was one."""
    exchanged = (
        ExchangedAuthorizationCode.objects.select_for_update()
        .filter(
            code_checksum=_checksum(code),
            application=application,
            # Rows older than this are forgotten by the daily cleartokens; until then, already forgotten.
            exchanged_at__gte=timezone.now() - EXCHANGED_CODE_MEMORY,
        )
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


@transaction.atomic
def client_revocation_record(*, application, tokens: list, request: HttpRequest | None) -> None:
    """The app revoked its own token(s) at /o/revoke_token/ (RFC 7009)."""
    access_token_model = get_access_token_model()
    audit_record(
        actor=None,
        action=AuditEvent.Action.TOKEN_REVOKED_BY_CLIENT,
        application=application,
        changes={
            "tokens": [
                {
                    "type": "access_token" if isinstance(token, access_token_model) else "refresh_token",
                    "id": token.pk,
                    "user": token.user.get_username() if token.user else None,
                }
                for token in tokens
            ]
        },
        request=request,
    )
