"""Reads of device grants. Codes arrive from the network, so each is checked before it reaches a query."""

from __future__ import annotations

from django.utils import timezone
from oauth2_provider.models import get_device_grant_model

from portal.clients.selectors import device_code_plausible


def device_grant_find_by_user_code(*, user_code: str):
    """The newest grant with this (normalized) user code, whatever its state, or None."""
    if not device_code_plausible(user_code):
        return None
    return get_device_grant_model().objects.filter(user_code=user_code).order_by("-pk").first()


def device_user_code_in_use(*, user_code: str) -> bool:
    """Whether a live (pending, unexpired) grant already has this user code."""
    model = get_device_grant_model()
    return model.objects.filter(
        user_code=user_code, status=model.AUTHORIZATION_PENDING, expires__gt=timezone.now()
    ).exists()


def device_grant_find_pending(*, pk):
    """The grant a person is approving (its id is kept in their session), if it still waits."""
    model = get_device_grant_model()
    grant = model.objects.filter(pk=pk, status=model.AUTHORIZATION_PENDING).first() if pk else None
    if grant is None or grant.is_expired():
        return None
    return grant
