"""One rule for every view that answers htmx with a fragment of its full page.

An htmx request gets the named partial; anything else, including htmx's history-restore request (Back or
Forward after the page left htmx's history cache), gets the full page. `Vary: HX-Request` keeps a browser
or proxy cache from handing the fragment to a plain navigation of the same URL, or the reverse.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers


def wants_fragment(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request


def render_partial_or_page(
    request: HttpRequest, template: str, partial: str, context: dict, *, status: int = 200
) -> HttpResponse:
    name = f"{template}#{partial}" if wants_fragment(request) else template
    response = render(request, name, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response
