"""A database outage raised by a middleware, before any view runs, answers 503 with Retry-After like one
raised in a view (portal/errors.py, urls.handler500); any other failure is still the 500 page."""

from __future__ import annotations

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.db import InterfaceError, OperationalError
from django.test import Client


@pytest.fixture
def signed_in(erin) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(erin)
    return client


@pytest.mark.django_db
@pytest.mark.parametrize(
    "error",
    [
        OperationalError("server closed the connection unexpectedly"),
        InterfaceError("connection already closed"),
    ],
)
def test_a_session_lookup_failing_in_a_middleware_is_a_503(signed_in, monkeypatch, error):
    def database_down(self):
        raise error

    # The session is read by the middleware chain (the signed-in person), not by the view.
    monkeypatch.setattr(SessionStore, "load", database_down)
    response = signed_in.get("/")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "briefly unavailable" in response.content.decode()


@pytest.mark.django_db
def test_any_other_failure_in_a_middleware_is_the_500_page(signed_in, monkeypatch):
    def broken(self):
        raise RuntimeError("a bug")

    monkeypatch.setattr(SessionStore, "load", broken)
    response = signed_in.get("/")
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()
    assert "Retry-After" not in response
