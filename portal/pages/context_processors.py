"""Navigation for the three kinds of people, built from URL names.

An entry whose URL is not installed yet (the developer console, the staff pages and connected apps come
in their own changes) is left out instead of leading to a 404.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

# (label, URL name, who sees it)
_ENTRIES = [
    ("Developer console", "developer:application_list", "user"),
    ("Connected apps", "connected_apps", "user"),
    ("Staff review", "staff:review_queue", "staff"),
    ("Admin", "admin:index", "staff"),
]


def navigation(request: HttpRequest) -> dict:
    context = {"site_name": settings.SITE_NAME, "nav_items": []}
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return context
    items = []
    for label, url_name, audience in _ENTRIES:
        if audience == "staff" and not user.is_staff:
            continue
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            continue
        counted = url_name == "staff:review_queue"
        if counted:
            label = review_nav_label()
        items.append({"label": label, "url": url, "active": request.path.startswith(url), "counted": counted})
    context["nav_items"] = items
    return context


def review_nav_label() -> str:
    # How many apps wait for staff, e.g. "Staff review (3)"; one COUNT query, for staff only.
    from portal.review.selectors import review_queue_count

    count = review_queue_count()
    return f"Staff review ({count})" if count else "Staff review"
