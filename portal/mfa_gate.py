"""The one rule for who needs a second factor, and where: staff on /staff/ and /admin/ always; everyone on
/developer/ when REQUIRE_MFA_FOR_DEVELOPERS is on.

"Used it" means this session's authentication records (allauth keeps them in the session: one entry per
password, code or key used) contain a second factor. A person without one is sent to set it up; a person who
has one but signed in with the password only is asked for it (allauth's MFA re-authentication, which records
it), and comes back to the page they asked for. htmx requests get the same answer as an HX-Redirect, since a
redirect inside an htmx swap would paste the set-up page into a fragment.

A middleware rather than a decorator, so that the admin (Django's own views) and every staff view are covered
by the same lines, and a new staff URL cannot forget it. Non-staff visitors are left alone here: the staff
pages 404 for them (portal/review/access.py) and the admin refuses them.
"""

from __future__ import annotations

from collections.abc import Callable

from allauth.account.authentication import get_authentication_records
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode

STAFF_PREFIXES = ("/staff/", "/admin/")
DEVELOPER_PREFIXES = ("/developer/",)


def used_second_factor(request: HttpRequest) -> bool:
    return any(record.get("method") == "mfa" for record in get_authentication_records(request, request.user))


def second_factor_required(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    path = request.path
    if user.is_staff and path.startswith(STAFF_PREFIXES):
        return True
    return bool(settings.REQUIRE_MFA_FOR_DEVELOPERS and path.startswith(DEVELOPER_PREFIXES))


def _back_to(request: HttpRequest) -> str:
    """Where to return after the challenge: the page itself for a GET; the page an htmx request came from;
    the area's start page for a plain POST (its URL answers POST only)."""
    if request.htmx and request.htmx.current_url_abs_path:
        return request.htmx.current_url_abs_path
    if request.method == "GET" and not request.htmx:
        return request.get_full_path()
    return next(prefix for prefix in STAFF_PREFIXES + DEVELOPER_PREFIXES if request.path.startswith(prefix))


def second_factor_redirect(request: HttpRequest) -> HttpResponse | None:
    """None when the request may go on; otherwise where to send the person first."""
    if not second_factor_required(request) or used_second_factor(request):
        return None
    back = _back_to(request)
    if is_mfa_enabled(request.user):
        target = f"{reverse('mfa_reauthenticate')}?{urlencode({REDIRECT_FIELD_NAME: back})}"
        messages.info(request, "This page needs your second factor: confirm it to continue.")
    else:
        target = reverse("mfa_index")
        messages.warning(request, "This page needs two-factor authentication: set up a second factor first.")
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = target
        return response
    return HttpResponseRedirect(target)


class SecondFactorRequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return second_factor_redirect(request) or self.get_response(request)
