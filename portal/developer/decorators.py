from __future__ import annotations

from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect

from portal.htmx import HtmxHttpRequest
from portal.terms.selectors import terms_version_to_accept


def terms_accepted(view):
    """Creating or changing apps needs the current developer terms accepted; existing apps keep working."""

    @wraps(view)
    def wrapper(request: HtmxHttpRequest, *args, **kwargs) -> HttpResponse:
        version = terms_version_to_accept(user=request.user)
        if version is None:
            return view(request, *args, **kwargs)
        messages.info(request, f"Please accept the developer terms (version {version.version}) to continue.")
        # Come back to the page, not to a POST-only action.
        back = request.get_full_path() if request.method == "GET" else request.headers.get("Referer", "")
        url = reverse("developer:terms") + ("?" + urlencode({"next": back}) if back else "")
        return HttpResponseClientRedirect(url) if request.htmx else redirect(url)

    return wrapper
