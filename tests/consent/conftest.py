"""Helpers for driving the authorization endpoint with Django's test client."""

from __future__ import annotations

import pytest


@pytest.fixture
def consent_app(alice, make_app):
    """An approved, untrusted app by alice, so people see the consent screen. Returns (app, secret)."""
    app, secret = make_app(
        alice,
        name="Photo Printer",
        skip_authorization=False,
        homepage_url="https://printer.example.com/",
    )
    app.privacy_policy_url = "https://printer.example.com/privacy"
    app.terms_of_service_url = "https://printer.example.com/terms"
    app.save()
    return app, secret
