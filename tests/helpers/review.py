"""Staff review: an htmx request's header, what tokens an app holds, and the audit events a test made."""

from __future__ import annotations

from oauth2_provider.models import (
    get_access_token_model,
    get_device_grant_model,
    get_grant_model,
    get_id_token_model,
    get_refresh_token_model,
)

from portal.audit.models import AuditEvent

HTMX = {"HTTP_HX_REQUEST": "true"}


def audit_events_but_personal_teams():
    """Every audit event but the making of the app owner's personal team (a fixture's first app makes it),
    to check that a refused or rolled-back action recorded nothing."""
    return AuditEvent.objects.exclude(action=AuditEvent.Action.TEAM_CREATED)


def token_counts(app) -> dict[str, int]:
    return {
        "access": get_access_token_model().objects.filter(application=app).count(),
        "refresh": get_refresh_token_model().objects.filter(application=app).count(),
        "id": get_id_token_model().objects.filter(application=app).count(),
        "codes": get_grant_model().objects.filter(application=app).count(),
        "device": get_device_grant_model().objects.filter(client_id=app.client_id).count(),
    }
