"""Reads of OAuth clients."""

from __future__ import annotations

from oauth2_provider.models import get_application_model


def application_by_client_id(client_id: str | None):
    """The app with this client id, whatever its review status, or None.

    A client id arrives from the network: PostgreSQL refuses a NUL byte in text, and no client id has one.
    """
    if not client_id or "\x00" in client_id:
        return None
    return get_application_model().objects.filter(client_id=client_id).first()
