"""The staff view of the audit log: read-only, filterable by app, actor and action."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from portal.audit.selectors import audit_events
from portal.pagination import keyset_page
from portal.review.access import staff_required
from portal.review.forms import AuditFilterForm, valid_filters

PAGE_SIZE = 50


# staff_required outermost: to anyone else the URL does not exist, whatever the method.
@staff_required
@require_GET
@vary_on_headers("HX-Request")
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
    template = "audit/event_list.html"
    if request.htmx and not request.htmx.history_restore_request:
        template += "#events"
    return render(request, template, context)
