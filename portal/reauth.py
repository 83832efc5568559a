"""Re-authentication before dangerous actions, with allauth's own flow.

`reauthentication_require(request)` is called by each dangerous write (rotating or revoking a secret,
deleting an app, revoking all tokens, changing redirect URIs or grant types, staff decisions marked
`reauthenticate = true` in portal/review/decisions.toml). Unless the person confirmed their password or
second factor within ACCOUNT_REAUTHENTICATION_TIMEOUT (allauth's records in the session; a sign-in itself
does not count), it raises allauth's ReauthenticationRequired. allauth's AccountMiddleware then keeps the
POST in the session, sends the person to the re-authentication page with `next` set to the POST's URL, and
afterwards replays the POST: what they typed (a name to confirm, a grace period, a reason) is not lost, and
the action completes.

An htmx request cannot follow a redirect to a full page (htmx would paste it into the fragment), so
`HtmxReauthenticationMiddleware` answers it with HX-Redirect to the same page. The kept POST is stored
without its htmx headers, so the replay answers as a plain form post would (a full page or a redirect).
"""

from __future__ import annotations

from collections.abc import Callable

from allauth.account.adapter import get_adapter
from allauth.account.internal.flows import reauthentication
from allauth.core.exceptions import ReauthenticationRequired
from django.http import HttpRequest, HttpResponse


def reauthentication_require(request: HttpRequest) -> None:
    if reauthentication.did_recently_reauthenticate(request):
        return
    raise ReauthenticationRequired()


class HtmxReauthenticationMiddleware:
    """Listed after allauth's AccountMiddleware, so it sees the exception first."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, ReauthenticationRequired) or not getattr(request, "htmx", False):
            return None
        for header in [key for key in request.META if key.startswith("HTTP_HX_")]:
            del request.META[header]
        methods = get_adapter().get_reauthentication_methods(request.user)
        target = methods[0]["url"] if methods else "/accounts/login/"
        redirect = reauthentication.suspend_request(request, target)
        response = HttpResponse(status=204)
        response["HX-Redirect"] = redirect["Location"]
        return response
