"""Helpers for the device grant: a TV app (public client) and the requests its device makes."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.core.cache import cache

from portal.clients import grants

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Poll pacing and the code-entry rate limits live in the cache, which outlives a test.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def tv_app(alice, make_app):
    """An approved public client registered for the device grant; not trusted, as most apps are."""
    app, _secret = make_app(
        alice,
        name="Living Room TV",
        client_type="public",
        grant_types=[grants.DEVICE_CODE],
        redirect_uris=[],
        skip_authorization=False,
        description="Watch your library on the big screen.",
        homepage_url="https://tv.example.com",
    )
    return app


def form_post(client, path: str, data: dict, **extra):
    """A device's POST: application/x-www-form-urlencoded, as RFC 8628 and RFC 6749 require."""
    return client.post(path, urlencode(data), content_type="application/x-www-form-urlencoded", **extra)


def start(client, app, scope: str | None = "openid profile read"):
    """The device's first request (RFC 8628 3.1)."""
    data = {"client_id": app.client_id}
    if scope is not None:
        data["scope"] = scope
    return form_post(client, "/o/device-authorization/", data)


def poll(client, app, device_code: str):
    """The device polling the token endpoint (RFC 8628 3.4)."""
    data = {"grant_type": DEVICE_GRANT, "device_code": device_code, "client_id": app.client_id}
    return form_post(client, "/o/token/", data)


def enter_code(client, user_code: str):
    return client.post("/o/device/", {"user_code": user_code})


def decide(client, *, allow: bool = True, ticked: tuple[str, ...] = ()):
    data = {"granted_scopes": list(ticked)}
    if allow:
        data["allow"] = "true"
    return client.post("/o/device/confirm/", data)
