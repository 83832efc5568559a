"""Request ids: taken from the balancer when they look like one, made here otherwise, returned to the
client and put on every JSON log line of the request."""

from __future__ import annotations

import json
import logging

import pytest

from portal.logs import JsonFormatter, RequestIdFilter


@pytest.mark.django_db
def test_the_balancers_request_id_is_kept_and_returned(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="3f2a9c0d1e4b5a6978a1b2c3d4e5f607")
    assert response["X-Request-ID"] == "3f2a9c0d1e4b5a6978a1b2c3d4e5f607"


@pytest.mark.django_db
@pytest.mark.parametrize("incoming", ["", "short", "x" * 65, 'evil"\n{"level":"ERROR"}', "a b c d e f g h"])
def test_a_missing_or_odd_request_id_is_replaced_by_a_new_one(client, incoming):
    response = client.get("/healthz", HTTP_X_REQUEST_ID=incoming)
    assert response["X-Request-ID"] != incoming
    assert len(response["X-Request-ID"]) == 32


@pytest.mark.django_db
def test_lines_logged_while_answering_a_request_carry_its_id(client, caplog):
    caplog.handler.addFilter(RequestIdFilter())
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client.get("/api/me")  # 401: Django logs it after the view returns
    assert response.status_code == 401
    line = json.loads(JsonFormatter().format(caplog.records[-1]))
    assert line["request_id"] == response["X-Request-ID"]
    assert line["level"] == "WARNING" and "/api/me" in line["message"]
