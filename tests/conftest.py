"""Shared fixtures. Named users as in healthchecks: alice owns things, bob is another developer,
charlie must see nothing of alice's, erin is an end user, sam is staff."""

from __future__ import annotations

import pytest
import requests
from django.contrib.auth import get_user_model

from portal.clients import grants
from portal.clients.services import application_create
from portal.terms.services import terms_accept
from tests.helpers.accounts import sign_in_recently_authenticated, sign_in_with_second_factor
from tests.helpers.constants import LOOPBACK_CALLBACK, PASSWORD


@pytest.fixture(autouse=True)
def _close_http_sessions(monkeypatch):
    """Close every HTTP session a test opened, so no keep-alive connection outlives the live server."""
    opened: list[requests.Session] = []
    original_init = requests.Session.__init__

    def tracking_init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        opened.append(self)

    monkeypatch.setattr(requests.Session, "__init__", tracking_init)
    yield
    for session in opened:
        session.close()


@pytest.fixture(autouse=True)
def _empty_cache():
    """Rate-limit counters live in the cache (local memory in tests): each test starts from zero."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # User passwords only: Django's 1,000,000 PBKDF2 rounds would dominate the suite. Client secrets
    # keep the portal's own hasher, so what the tests exercise is what production stores.
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "portal.clients.hashers.ClientSecretHMACHasher",
        "portal.clients.hashers.ClientSecretHasher",
    ]


def _make_user(username: str, *, is_staff: bool = False):
    user = get_user_model().objects.create_user(
        username=username,
        email=f"{username}@example.com",
        password=PASSWORD,
        first_name=username.capitalize(),
        last_name="Example",
        is_staff=is_staff,
    )
    return user


@pytest.fixture
def alice(db):
    return _make_user("alice")


@pytest.fixture
def charlie(db):
    return _make_user("charlie")


@pytest.fixture
def erin(db):
    return _make_user("erin")


@pytest.fixture
def sam(db):
    return _make_user("sam", is_staff=True)


@pytest.fixture
def current_terms(db):
    """The developer terms a developer must accept. Migration terms/0002 publishes version 1, but tests
    with transaction=True empty the database afterwards, so later tests cannot rely on that row."""
    from portal.terms.models import TermsVersion
    from portal.terms.selectors import terms_version_current

    return terms_version_current() or TermsVersion.objects.create(
        version="1", body="Be nice to people's data."
    )


@pytest.fixture
def make_app(db):
    """Create an app through the portal's service; returns (app, clear-text secret)."""

    def make(owner, **overrides):
        options = {
            "name": "Alice's App",
            "client_type": "confidential",
            "grant_types": [grants.AUTHORIZATION_CODE],
            "redirect_uris": [LOOPBACK_CALLBACK],
            "review_status": "approved",
            "skip_authorization": True,
        }
        options.update(overrides)
        return application_create(owner=owner, **options)

    return make


@pytest.fixture
def developer(client, alice, current_terms):
    """alice, signed in (and re-authenticated just now), with the current developer terms accepted."""
    terms_accept(user=alice, version=current_terms, request=None)
    sign_in_recently_authenticated(client, alice)
    return alice


@pytest.fixture
def staff_client(client, sam):
    """sam, signed in with a second factor: staff pages need one (portal/mfa_gate.py)."""
    sign_in_with_second_factor(client, sam)
    return client
