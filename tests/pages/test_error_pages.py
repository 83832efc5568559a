"""Branded error pages and the favicon."""

from __future__ import annotations

import pytest
from django.contrib.staticfiles import finders
from django.test import RequestFactory
from django.views.defaults import server_error


@pytest.mark.django_db
def test_an_unknown_address_gets_the_portal_404_page(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "This page does not exist" in html and 'href="/"' in html


def test_the_500_page_renders_without_the_database():
    # No django_db mark: a query would raise. The 500 page must work when the database is what failed.
    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong on our side" in html and "favicon.svg" in html


@pytest.mark.django_db
def test_every_page_links_the_favicon_and_it_exists(client):
    assert 'rel="icon" href="/static/favicon.svg"' in client.get("/").content.decode()
    assert finders.find("favicon.svg")
