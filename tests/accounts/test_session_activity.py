"""A signed-in session's row on the sessions page ("last seen", address, browser) is written at most once per
USERSESSIONS_ACTIVITY_INTERVAL, at once when the address or browser changes, and on every request while the
cache is unreachable (portal/session_activity.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from allauth.usersessions.models import UserSession
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from redis.exceptions import ConnectionError as RedisConnectionError

from tests.helpers.constants import PASSWORD

pytestmark = pytest.mark.django_db


def _sign_in() -> Client:
    client = Client(HTTP_USER_AGENT="Laptop Firefox", REMOTE_ADDR="10.0.0.1")
    assert client.post("/accounts/login/", {"login": "alice", "password": PASSWORD}).status_code == 302
    return client


def _session_writes(client: Client, **extra) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/", **extra).status_code == 200
    return [q["sql"] for q in queries.captured_queries if "usersessions_usersession" in q["sql"]]


def _age_the_row() -> None:
    UserSession.objects.update(last_seen_at=UserSession.objects.get().last_seen_at - timedelta(hours=1))


def test_pages_within_the_interval_write_nothing(alice):
    client = _sign_in()
    assert _session_writes(client)  # the first page after signing in starts the interval
    _age_the_row()
    aged = UserSession.objects.get().last_seen_at
    for _ in range(3):
        assert _session_writes(client) == []
    assert UserSession.objects.get().last_seen_at == aged


def test_after_the_interval_the_next_page_is_recorded(alice):
    client = _sign_in()
    _age_the_row()
    aged = UserSession.objects.get().last_seen_at
    cache.clear()  # the interval's mark expires
    assert _session_writes(client)
    assert UserSession.objects.get().last_seen_at > aged


def test_a_new_address_or_browser_is_recorded_at_once(alice):
    client = _sign_in()
    _session_writes(client, REMOTE_ADDR="10.0.0.9")
    assert UserSession.objects.get().ip == "10.0.0.9"
    _session_writes(client, REMOTE_ADDR="10.0.0.9", HTTP_USER_AGENT="Laptop Chromium")
    assert UserSession.objects.get().user_agent == "Laptop Chromium"


def test_without_the_cache_every_page_is_recorded(alice, monkeypatch):
    client = _sign_in()
    _age_the_row()
    aged = UserSession.objects.get().last_seen_at

    def unreachable(*args, **kwargs):
        raise RedisConnectionError("Connection refused")

    monkeypatch.setattr(cache, "get", unreachable)
    monkeypatch.setattr(cache, "set", unreachable)
    assert _session_writes(client)
    assert UserSession.objects.get().last_seen_at > aged
