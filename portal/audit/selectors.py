"""Reads of the audit log, for the staff view."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from portal.audit.models import AuditEvent


def audit_event_list(
    *, application_id: int | None = None, app: str = "", actor: str = "", action: str = ""
) -> QuerySet:
    """Newest first. `app` matches the app's name (as it was when the event happened) or its exact client
    id, so events of a deleted app can still be found."""
    events = AuditEvent.objects.select_related("actor", "application")
    if application_id:
        events = events.filter(application_id=application_id)
    app = app.strip()
    if app:
        events = events.filter(Q(application_label__icontains=app) | Q(client_id=app))
    actor = actor.strip()
    if actor:
        events = events.filter(actor_label__icontains=actor)
    if action:
        events = events.filter(action=action)
    return events.order_by("-created_at", "-id")
