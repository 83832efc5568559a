"""The staff view of the audit log: read-only, filterable by app, actor and action."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from portal.audit.selectors import audit_events
from portal.htmx import render_partial_or_page
from portal.pagination import keyset_page
from portal.review.access import staff_required
from portal.review.forms import AuditFilterForm, valid_filters

PAGE_SIZE = 50


# staff_required outermost: to anyone else the URL does not exist, whatever the method.
@staff_required
@require_GET
def event_list(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    filters = valid_filters(form)
    events = audit_events(
        application_id=filters.get("application"),
        app=filters.get("app", ""),
        actor=filters.get("actor", ""),
        action=filters.get("action", ""),
    )
    # Keyset pages: the oldest of a million events costs what the newest does (portal/pagination.py).
    page = keyset_page(events, request.GET, per_page=PAGE_SIZE, fields=("created_at", "id"))
    context = {"form": form, "page": page, "event_count": events.count()}
    return render_partial_or_page(request, "audit/event_list.html", "events", context)
