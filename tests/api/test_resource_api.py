"""GET /api/me and /api/groups: bearer tokens only; bad token 401, missing scope 403."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from oauth2_provider.models import get_access_token_model
from oauth2_provider.oauth2_validators import set_token_value


def _token(app, user, scope: str, *, expires_in: int = 3600, raw: str = "tok") -> str:
    token = get_access_token_model()(
        user=user, application=app, scope=scope, expires=timezone.now() + timedelta(seconds=expires_in)
    )
    set_token_value(token, raw)
    token.save()
    return raw


@pytest.fixture
def app(alice, make_app):
    return make_app(alice)[0]


@pytest.mark.django_db
def test_me_answers_with_the_users_details(client, app, erin):
    token = _token(app, erin, "read")
    response = client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    assert response.json() == {
        "id": erin.pk,
        "username": "erin",
        "email": "erin@example.com",
        "first_name": "Erin",
        "last_name": "Example",
    }


@pytest.mark.django_db
def test_tokens_are_stored_hashed_and_never_in_clear(app, erin):
    _token(app, erin, "read", raw="plain-token-value")
    stored = get_access_token_model().objects.get()
    assert stored.token == ""
    assert "plain-token-value" not in stored.token_checksum


@pytest.mark.django_db
def test_groups_needs_the_groups_scope(client, app, erin):
    erin.groups.add(Group.objects.create(name="beta-testers"), Group.objects.create(name="admins"))
    read_only = _token(app, erin, "read", raw="read-only")
    with_groups = _token(app, erin, "read groups", raw="with-groups")
    denied = client.get("/api/groups", HTTP_AUTHORIZATION=f"Bearer {read_only}")
    assert denied.status_code == 403
    assert denied.json()["required_scopes"] == ["groups"]
    allowed = client.get("/api/groups", HTTP_AUTHORIZATION=f"Bearer {with_groups}")
    assert allowed.json() == {"groups": ["admins", "beta-testers"]}


@pytest.mark.django_db
def test_me_without_read_scope_is_403(client, app, erin):
    token = _token(app, erin, "groups")
    assert client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("header", [None, "Bearer not-a-token", "Basic YWxpY2U6cHc=", "Bearer "])
def test_missing_or_bad_token_is_401_with_a_bearer_challenge(client, header):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    response = client.get("/api/me", **extra)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.django_db
def test_expired_token_is_401(client, app, erin):
    token = _token(app, erin, "read", expires_in=-1)
    assert client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401


@pytest.mark.django_db
def test_an_expired_token_says_so(client, app, erin):
    # Expiry is decided by the database in the bearer lookup (portal.api.bearer); a second either way.
    live = _token(app, erin, "read", expires_in=2, raw="live")
    assert client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {live}").status_code == 200
    expired = _token(app, erin, "read", expires_in=-2, raw="expired")
    response = client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {expired}")
    assert response.status_code == 401
    assert "The access token has expired." in response["WWW-Authenticate"]


@pytest.mark.django_db
def test_a_token_for_another_resource_is_refused(client, app, erin):
    # RFC 8707: a token issued for one resource server is no good at another.
    elsewhere = _token(app, erin, "read", raw="elsewhere")
    get_access_token_model().objects.filter(scope="read").update(resource=["https://other.example/api/"])
    response = client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {elsewhere}")
    assert response.status_code == 401
    assert "not valid for this resource" in response["WWW-Authenticate"]
    here = _token(app, erin, "read", raw="here")
    get_access_token_model().objects.filter(resource=[]).update(resource=["http://testserver/api/"])
    assert client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {here}").status_code == 200


@pytest.mark.django_db
def test_a_token_in_the_query_string_is_not_accepted(client, app, erin):
    token = _token(app, erin, "read")
    assert client.get(f"/api/me?access_token={token}").status_code == 401


@pytest.mark.django_db
def test_a_session_does_not_authenticate_the_api(client, erin):
    client.force_login(erin)
    assert client.get("/api/me").status_code == 401


@pytest.mark.django_db
def test_a_suspended_apps_tokens_stop_working(client, app, erin):
    token = _token(app, erin, "read")
    app.review_status = "suspended"
    app.save()
    assert client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401


@pytest.mark.django_db
def test_a_client_credentials_token_has_no_user_to_describe(client, app):
    token = _token(app, None, "read")
    response = client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 403
    assert "client-credentials token has no user" in response.json()["detail"]


@pytest.mark.django_db
def test_a_revoked_token_fails_on_the_very_next_request(client, app, erin):
    token = _token(app, erin, "read")
    assert client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    get_access_token_model().objects.get().revoke()
    response = client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 401
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


@pytest.mark.django_db
def test_a_suspended_apps_tokens_fail_at_once(client, app, erin):
    token = _token(app, erin, "read")
    type(app).objects.filter(pk=app.pk).update(review_status="suspended")
    assert client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401


@pytest.mark.django_db
def test_a_deactivated_persons_tokens_fail(client, app, erin):
    token = _token(app, erin, "read")
    erin.is_active = False
    erin.save()
    assert client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401


@pytest.mark.django_db
def test_api_calls_never_touch_the_session_or_csrf(client, app, erin, alice):
    # Even with a signed-in browser session alongside, an API call sets no cookie and varies on none:
    # the browser middleware does not run for it.
    client.force_login(alice)
    token = _token(app, erin, "read")
    response = client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    assert not response.cookies
    assert "Cookie" not in response.get("Vary", "")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "no-store"
    # A session cookie is no credential here.
    assert client.get("/api/me").status_code == 401


@pytest.mark.django_db
@pytest.mark.parametrize(
    "header",
    ["Bearer " + "x" * 100_000, "Bearer ünïcode", "bearer  spaced-out  ", "Bearer"],
)
def test_odd_authorization_headers_are_401_not_500(client, header):
    assert client.get("/api/me", HTTP_AUTHORIZATION=header).status_code == 401


@pytest.mark.django_db
def test_a_nul_byte_in_the_bearer_token_is_a_clear_400(client):
    # portal/request_guard.py refuses it before any lookup (PostgreSQL cannot compare with NUL).
    response = client.get("/api/me", HTTP_AUTHORIZATION="Bearer tok\x00en")
    assert response.status_code == 400 and "NUL byte" in response.content.decode()


@pytest.mark.django_db
def test_only_reads_are_allowed(client, app, erin):
    token = _token(app, erin, "read")
    response = client.post("/api/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 405
    assert response.json() == {"detail": 'Method "POST" not allowed.'}
    assert response["Allow"] == "GET, HEAD, OPTIONS"
    assert client.head("/api/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200


@pytest.mark.django_db
def test_groups_costs_two_queries(client, app, erin, django_assert_num_queries):
    erin.groups.add(Group.objects.create(name="beta-testers"))
    token = _token(app, erin, "groups")
    with django_assert_num_queries(2):  # the token with its person and app, then the groups
        response = client.get("/api/groups", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.json() == {"groups": ["beta-testers"]}
