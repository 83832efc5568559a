"""Client secrets: issue, verify against the current and the previous secret, rotate with a grace period.

The clear-text secret exists only in the return value of `issue_secret`; it is shown to the developer once
and stored as a hash (portal.clients.hashers.ClientSecretHMACHasher).

Verifying is on the hot path of every token, introspection and revocation request, so the usual case (the
app's current secret, already under the current hasher and key) costs no query at all: DOT hands over the
app's current hash, which is checked in memory. Only a previous secret in its grace period, a wrong secret,
or a hash that needs upgrading reaches the database.
"""

from __future__ import annotations

import time
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import check_password, get_hasher, identify_hasher, make_password
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import get_application_model
from oauth2_provider.settings import oauth2_settings

from portal.clients.models import ClientSecret

# Recording every use would turn each token request into a write; a few minutes' precision is enough to
# tell a developer whether the old secret is still in use.
LAST_USED_PRECISION = timedelta(minutes=5)

# When this process last recorded a use of a current secret, by its hash. Only bookkeeping reads it (never
# the decision to accept a secret), so a per-process memory is enough: each worker writes `last_used_at` at
# most once per LAST_USED_PRECISION per secret instead of once per request.
_recorded_use: dict[str, float] = {}
_RECORDED_USE_LIMIT = 10_000


def issue_secret(application) -> str:
    """Make a new current secret for `application` (saved by the caller) and return it in clear text.

    A public client gets none (and returns ""): it cannot keep a secret, so one would only be something to
    leak, and the validator refuses any secret a public client presents."""
    if application.client_type == application.CLIENT_PUBLIC:
        application.client_secret = ""
        # Or DOT's ClientSecretField would store the hash of the empty string.
        application.hash_client_secret = False
        return ""
    secret = generate_client_secret()
    application.client_secret = make_password(secret, hasher=oauth2_settings.CLIENT_SECRET_HASHER)
    application.hash_client_secret = True
    return secret


def record_current_secret(application, secret: str) -> ClientSecret | None:
    """Remember the secret `issue_secret` just made, once `application` is saved (none for public clients)."""
    if not secret:
        return None
    return ClientSecret.objects.create(
        application=application, secret_hash=application.client_secret, last_four=secret[-4:]
    )


def live_secrets_for(stored_current_hash: str):
    """The live secrets of the app whose current secret hash is `stored_current_hash`.

    DOT's validator hands over only that hash; the current secret's row holds the same hash, and with a
    random salt (PBKDF2) or a 128-character random secret (HMAC) it identifies exactly one app.
    """
    now = timezone.now()
    return ClientSecret.objects.filter(
        application__in=get_application_model().objects.filter(client_secret=stored_current_hash).values("pk")
    ).filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))


def _needs_rehash(encoded: str) -> bool:
    if not settings.CLIENT_SECRET_REHASH:
        return False
    preferred = get_hasher(oauth2_settings.CLIENT_SECRET_HASHER)
    try:
        hasher = identify_hasher(encoded)
    except ValueError:
        return False  # not a hash: a plain-text secret of an app with hash_client_secret off
    return hasher.algorithm != preferred.algorithm or hasher.must_update(encoded)


def check_client_secret(provided: str, stored_current_hash: str, fallback) -> bool:
    """True when `provided` is the app's current secret or its previous one within the grace period.

    `fallback` is DOT's own check (it also handles apps whose secret is stored in clear text).
    """
    if fallback(provided, stored_current_hash):
        if _needs_rehash(stored_current_hash):
            _rehash(provided, stored_current_hash, is_current=True)
        else:
            _record_current_use(stored_current_hash)
        return True
    # Not the current secret: maybe the previous one, during its grace period after a rotation.
    for secret in live_secrets_for(stored_current_hash).filter(expires_at__isnull=False):
        if check_password(provided, secret.secret_hash):
            if _needs_rehash(secret.secret_hash):
                _rehash(provided, secret.secret_hash, is_current=False)
            now = timezone.now()
            if secret.last_used_at is None or now - secret.last_used_at > LAST_USED_PRECISION:
                ClientSecret.objects.filter(pk=secret.pk).update(last_used_at=now)
            return True
    return False


def _record_current_use(current_hash: str) -> None:
    now = time.monotonic()
    last = _recorded_use.get(current_hash)
    if last is not None and now - last < LAST_USED_PRECISION.total_seconds():
        return
    if len(_recorded_use) >= _RECORDED_USE_LIMIT:
        _recorded_use.clear()
    _recorded_use[current_hash] = now
    cutoff = timezone.now() - LAST_USED_PRECISION
    # Conditional, so a worker that restarted (and forgot) writes nothing when another recorded it lately.
    ClientSecret.objects.filter(secret_hash=current_hash, expires_at__isnull=True).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=cutoff)
    ).update(last_used_at=timezone.now())


def _rehash(provided: str, old_hash: str, *, is_current: bool) -> None:
    """Store `provided`, just verified against `old_hash`, under the current hasher and key.

    Every write is a conditional UPDATE on the old hash: two workers verifying the same secret at once both
    write the same new hash (HMAC is deterministic) or the second matches nothing, and a rotation that
    replaced the secret meanwhile is never overwritten. No row is deleted or recreated, so the previous
    secret of a rotation survives.
    """
    new_hash = make_password(provided, hasher=oauth2_settings.CLIENT_SECRET_HASHER)
    with transaction.atomic():
        ClientSecret.objects.filter(secret_hash=old_hash).update(secret_hash=new_hash)
        if is_current:
            get_application_model().objects.filter(client_secret=old_hash).update(client_secret=new_hash)
