"""Client secrets: issue, verify against the current and the previous secret, rotate with a grace period.

The clear-text secret exists only in the return value of `issue_secret`; it is shown to the developer once
and stored as a hash (portal.clients.hashers.ClientSecretHasher).
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.hashers import check_password, make_password
from django.db.models import Q
from django.utils import timezone
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.settings import oauth2_settings

from portal.clients.models import ClientSecret

# Recording every use would turn each token request into a write; a few minutes' precision is enough to
# tell a developer whether the old secret is still in use.
LAST_USED_PRECISION = timedelta(minutes=5)


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

    DOT's validator hands over only that hash; with a random salt it identifies exactly one app.
    """
    now = timezone.now()
    return ClientSecret.objects.filter(application__client_secret=stored_current_hash).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    )


def check_client_secret(provided: str, stored_current_hash: str, fallback) -> bool:
    """True when `provided` is the app's current secret or its previous one within the grace period."""
    live = list(live_secrets_for(stored_current_hash))
    if not live:
        # Apps made by DOT's createapplication or adopted from a DOT install have no secret rows yet.
        return fallback(provided, stored_current_hash)
    for secret in live:
        if check_password(provided, secret.secret_hash):
            now = timezone.now()
            if secret.last_used_at is None or now - secret.last_used_at > LAST_USED_PRECISION:
                ClientSecret.objects.filter(pk=secret.pk).update(last_used_at=now)
            return True
    return False
