"""The one way to write an audit event. Call it inside the service's transaction, so the event and the
change it describes are stored together or not at all."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from portal.audit.models import AuditEvent


def client_ip(request: HttpRequest | None) -> str | None:
    # REMOTE_ADDR only: X-Forwarded-For is whatever the client says unless a trusted proxy rewrites it, and
    # an audit log must not record attacker-chosen addresses. Behind a proxy, have it set REMOTE_ADDR.
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def audit_record(
    *,
    actor,
    action: str,
    application=None,
    team=None,
    changes: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> AuditEvent:
    # An app's event belongs to the app's team of the moment (its id is at hand: no query).
    team_id = team.pk if team is not None else getattr(application, "team_id", None)
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_label=actor.get_username() if actor is not None and actor.is_authenticated else "",
        action=action,
        application=application,
        application_label=(application.name or application.client_id) if application is not None else "",
        client_id=application.client_id if application is not None else "",
        team_id=team_id,
        changes=changes or {},
        ip_address=client_ip(request),
    )


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """{"field": [before, after]} for the fields whose values differ."""
    return {key: [before.get(key), after.get(key)] for key in after if before.get(key) != after.get(key)}
