"""Helpers for the device grant: a TV app (public client) and the requests its device makes."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from portal.clients import grants


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
