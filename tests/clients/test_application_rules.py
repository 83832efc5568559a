from __future__ import annotations

import pytest
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError

from portal.clients import grants


@pytest.mark.django_db
def test_an_app_may_hold_several_grants_and_uses_each(alice, make_app):
    app, _secret = make_app(alice, grant_types=[grants.AUTHORIZATION_CODE, grants.CLIENT_CREDENTIALS])
    assert app.allows_grant_type(grants.AUTHORIZATION_CODE)
    assert app.allows_grant_type(grants.CLIENT_CREDENTIALS)
    assert not app.allows_grant_type(grants.DEVICE_CODE)


@pytest.mark.django_db
def test_a_deprecated_grant_works_only_where_staff_allowed_it(alice, make_app):
    app, _secret = make_app(alice, grant_types=[grants.PASSWORD], redirect_uris=[])
    assert not app.allows_grant_type(grants.PASSWORD)
    app.staff_allowed_grants = [grants.PASSWORD]
    assert app.allows_grant_type(grants.PASSWORD)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("status", "usable"), [("pending", False), ("approved", True), ("rejected", False), ("suspended", False)]
)
def test_only_approved_apps_are_usable(alice, make_app, status, usable):
    app, _secret = make_app(alice, review_status=status)
    assert app.is_usable(request=None) is usable


@pytest.mark.django_db
def test_the_secret_is_stored_hashed_and_verifies(alice, make_app):
    app, secret = make_app(alice)
    app.refresh_from_db()
    assert secret not in app.client_secret
    assert app.client_secret.startswith("client_secret_hmac_sha256$")
    assert check_password(secret, app.client_secret)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("http://example.com/cb", "only https is allowed, except http on 127.0.0.1"),
        ("https://example.com/cb#frag", "has a fragment"),
        ("https://user:pw@example.com/cb", "contains user credentials"),
        ("https://*.example.com/cb", "contains a wildcard"),
        ("javascript:alert(1)", "uses the scheme 'javascript:'"),
        ("myapp:/cb", "uses the scheme 'myapp:'"),
        ("/relative/cb", "has no scheme"),
    ],
)
def test_unregistrable_redirect_uris_are_refused_by_name(alice, make_app, uri, message):
    with pytest.raises(ValidationError) as excinfo:
        make_app(alice, redirect_uris=[uri])
    errors = excinfo.value.message_dict["redirect_uris"]
    assert len(errors) == 1
    assert uri[:20] in errors[0]
    assert message in errors[0]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "uri",
    [
        "https://example.com/callback",
        "http://127.0.0.1:8765/callback",
        "http://[::1]/callback",
        "http://localhost:3000/cb",
        "com.example.app:/oauth2redirect",
    ],
)
def test_registrable_redirect_uris(alice, make_app, uri):
    app, _secret = make_app(alice, redirect_uris=[uri])
    assert app.redirect_uris == uri


@pytest.mark.django_db
def test_authorization_code_needs_a_redirect_uri(alice, make_app):
    with pytest.raises(ValidationError) as excinfo:
        make_app(alice, redirect_uris=[])
    assert "Add at least one redirect URI" in str(excinfo.value)
