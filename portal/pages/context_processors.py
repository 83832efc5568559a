"""Navigation for the three kinds of people, built from URL names (a mistyped name fails loudly)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

from portal.review.selectors import application_count_waiting_for_review

# (label, URL name, who sees it)
_ENTRIES = [
    ("Developer console", "developer:application_list", "user"),
    ("Connected apps", "connected_apps", "user"),
    ("Dashboard", "staff:dashboard", "staff"),
    ("Staff review", "staff:review_queue", "staff"),
    ("Admin", "admin:index", "staff"),
]


def navigation(request: HttpRequest) -> dict:
    context: dict[str, object] = {"site_name": settings.SITE_NAME, "nav_items": []}
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return context
    items = []
    for label, url_name, audience in _ENTRIES:
        if audience == "staff" and not user.is_staff:
            continue
        url = reverse(url_name)
        counted = url_name == "staff:review_queue"
        if counted:
            label = review_nav_label()
        # The dashboard's /staff/ is the prefix of every staff page: it is the current page only itself.
        active = request.path == url if url_name == "staff:dashboard" else request.path.startswith(url)
        items.append({"label": label, "url": url, "active": active, "counted": counted})
    context["nav_items"] = items
    return context


def review_nav_label() -> str:
    # How many apps wait for staff, e.g. "Staff review (3)"; one COUNT query, for staff only.
    count = application_count_waiting_for_review()
    return f"Staff review ({count})" if count else "Staff review"
