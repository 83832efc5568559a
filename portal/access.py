"""Who reaches the staff pages: `is_staff` users, and for everyone else they do not exist.

A 404 (not a login redirect or a 403) for anonymous visitors, ordinary users and their htmx requests alike,
so the staff area does not even confirm its own URLs to someone probing for them.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.http import Http404, HttpRequest, HttpResponse


def is_staff(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active and user.is_staff)


def staff_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not is_staff(getattr(request, "user", None)):
            raise Http404("No such page.")
        return view(request, *args, **kwargs)

    return wrapper
