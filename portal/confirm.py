"""A real confirmation before a one-click action that cannot be undone, with or without JavaScript.

A view calls `confirmation_needed(request)` first; while the POST lacks `confirmed=yes` it answers with
`ask(...)` instead of acting:
- without htmx, a confirmation page whose form repeats the POST with `confirmed=yes` (works without JS);
- with htmx, a <dialog> appended to the page (HX-Retarget/HX-Reswap) whose form repeats the request with
  the original target, so the confirmed answer lands where the first click would have put it.
The call sites' markup stays as it is: the question comes from the server.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from portal.htmx import wants_fragment

_NOT_REPEATED = {"csrfmiddlewaretoken", "confirmed"}
# Marks the answer that asks: a per-person rate limit counts the confirmed POST alone (ratelimits.per_user).
_QUESTION = "portal_confirmation_question"


def confirmation_needed(request: HttpRequest) -> bool:
    return request.POST.get("confirmed") != "yes"


def is_question(response: HttpResponse) -> bool:
    """Whether `response` is `ask`'s question: the POST it answers did nothing yet."""
    return getattr(response, _QUESTION, False)


def ask(
    request: HttpRequest,
    *,
    title: str,
    message: str,
    confirm_label: str,
    cancel_url: str,
    danger: bool = True,
) -> HttpResponse:
    target = request.headers.get("HX-Target", "")
    context = {
        "title": title,
        "message": message,
        "confirm_label": confirm_label,
        "cancel_url": cancel_url,
        "danger": danger,
        "action": request.path,
        "fields": [(name, value) for name, value in request.POST.items() if name not in _NOT_REPEATED],
        "hx_target": f"#{target}" if target else "",
    }
    if wants_fragment(request):
        response = render(request, "components/confirm.html#dialog", context)
        response["HX-Retarget"] = "body"
        response["HX-Reswap"] = "beforeend"
    else:
        response = render(request, "components/confirm.html", context)
    setattr(response, _QUESTION, True)
    return response
