"""The PostgreSQL health check without a round trip (portal/db/postgresql/base.py), against a real server
whatever database the rest of the suite runs on: a connection the server closed is replaced before a
request uses it, and a healthy one is kept without a statement being sent."""

from __future__ import annotations

import os
import time

import dj_database_url
import psycopg
import pytest
from django.db.utils import ConnectionHandler

from tests.helpers.databases import postgres_server_url, postgres_unreachable_reason


@pytest.fixture
def wrapper(django_db_blocker):
    reason = postgres_unreachable_reason()
    if reason and os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so this must run)")
    if reason:
        pytest.skip(reason)
    settings = dj_database_url.parse(postgres_server_url(), conn_max_age=600, conn_health_checks=True)
    settings["ENGINE"] = "portal.db.postgresql"
    handler = ConnectionHandler({"default": settings})
    connection = handler["default"]
    # Its own connection to the server, not the suite's test database: allowed outside django_db.
    with django_db_blocker.unblock():
        connection.ensure_connection()
        yield connection
        connection.close()


def _backend_pid(connection) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def _last_statement(pid: int) -> str:
    with psycopg.connect(postgres_server_url(), autocommit=True) as admin:
        return admin.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone()[0]


def _next_request(connection) -> None:
    # What Django does at the start of each request, then at its first query.
    connection.health_check_done = False
    connection.close_if_health_check_failed()


def test_a_healthy_connection_is_kept_without_sending_anything(wrapper):
    pid = _backend_pid(wrapper)
    before = wrapper.connection
    _next_request(wrapper)
    assert wrapper.connection is before
    # The server saw no SELECT 1: its last statement from this connection is still ours.
    assert _last_statement(pid) == "SELECT pg_backend_pid()"
    assert _backend_pid(wrapper) == pid


def test_a_connection_the_server_closed_is_replaced_before_it_is_used(wrapper):
    pid = _backend_pid(wrapper)
    with psycopg.connect(postgres_server_url(), autocommit=True) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone()[0] is True
    deadline = time.monotonic() + 5
    while wrapper.socket_looks_usable() and time.monotonic() < deadline:
        time.sleep(0.01)  # the server's notice and close arrive within milliseconds
    _next_request(wrapper)
    assert wrapper.connection is None
    # The request's query opens a new connection instead of failing on the dead one.
    assert _backend_pid(wrapper) != pid


def test_a_connection_left_in_a_transaction_gets_the_full_check(wrapper):
    wrapper.connection.autocommit = False
    with wrapper.connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    assert wrapper.socket_looks_usable() is True
    wrapper.connection.rollback()
    wrapper.connection.autocommit = True
