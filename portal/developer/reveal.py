"""Carry a new client secret from the POST that made it to the page that shows it, exactly once.

Rendering the secret in the POST response would make a reload re-submit the form (a duplicate app, or a
second rotation that retires the secret just issued). Instead the POST redirects, and the secret rides in
a signed cookie that only the app's page reads: HttpOnly, SameSite=Strict, scoped to that page's path,
alive for two minutes at most, and deleted by the response that shows it. The server never stores the
secret in clear, and it never appears in a URL.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

COOKIE = "portal_new_secret"
MAX_AGE_SECONDS = 120


def _salt(request: HttpRequest, app) -> str:
    # Bound to the developer and the app: a cookie minted for one cannot reveal anything on another page.
    return f"portal.developer.reveal:{request.user.pk}:{app.pk}"


def redirect_revealing(request: HttpRequest, app, secret: str, *, created: bool = False) -> HttpResponse:
    path = reverse("developer:application_detail", args=[app.pk])
    response = redirect(path + ("?created=1" if created else ""))
    response.set_signed_cookie(
        COOKIE,
        secret,
        salt=_salt(request, app),
        max_age=MAX_AGE_SECONDS,
        path=path,
        secure=request.is_secure(),
        httponly=True,
        samesite="Strict",
    )
    return response


def take_secret(request: HttpRequest, app) -> str | None:
    return request.get_signed_cookie(COOKIE, default=None, salt=_salt(request, app), max_age=MAX_AGE_SECONDS)


def forget_secret(response: HttpResponse, app) -> HttpResponse:
    response.delete_cookie(
        COOKIE, path=reverse("developer:application_detail", args=[app.pk]), samesite="Strict"
    )
    return response
