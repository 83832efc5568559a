"""Reads of device grants. Codes arrive from the network, so each is checked before it reaches a query."""

from __future__ import annotations

from django.utils import timezone
from oauth2_provider.models import get_device_grant_model

# DOT's columns are 100 characters; anything longer (or with a NUL byte, which PostgreSQL refuses in
# text) cannot match, so it is not looked up.
_MAX = 100


def _plausible(value) -> bool:
    return isinstance(value, str) and 0 < len(value) <= _MAX and "\x00" not in value


def device_grant_by_user_code(*, user_code: str):
    """The newest grant with this (normalized) user code, whatever its state, or None."""
    if not _plausible(user_code):
        return None
    return get_device_grant_model().objects.filter(user_code=user_code).order_by("-pk").first()


def device_user_code_in_use(*, user_code: str) -> bool:
    """Whether a live (pending, unexpired) grant already has this user code."""
    model = get_device_grant_model()
    return model.objects.filter(
        user_code=user_code, status=model.AUTHORIZATION_PENDING, expires__gt=timezone.now()
    ).exists()


def device_grant_pending(*, pk) -> object | None:
    """The grant a person is approving (its id is kept in their session), if it still waits."""
    model = get_device_grant_model()
    grant = model.objects.filter(pk=pk, status=model.AUTHORIZATION_PENDING).first() if pk else None
    if grant is None or grant.is_expired():
        return None
    return grant


def device_grant_for_client(*, client_id: str, device_code: str):
    """The grant behind a device code, only for the client it was issued to (else None)."""
    if not (_plausible(client_id) and _plausible(device_code)):
        return None
    return get_device_grant_model().objects.filter(client_id=client_id, device_code=device_code).first()
