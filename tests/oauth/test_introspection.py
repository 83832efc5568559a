"""Token introspection (RFC 7662 sections 2.1 and 4) over real HTTP (issue 9, finding 3): POST only, a
client learns only about its own tokens, and an app staff allowed (audited) may introspect any app's."""

from __future__ import annotations

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from django.contrib.auth import get_user_model

from portal.audit.models import AuditEvent
from portal.clients import grants
from tests.helpers.accounts import sign_in_with_second_factor
from tests.helpers.oauth import tokens_for


@pytest.fixture(autouse=True)
def _allow_plain_http_to_the_test_server(monkeypatch):
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")


def _introspect(base: str, token: str, auth: tuple[str, str]) -> requests.Response:
    return requests.post(f"{base}/o/introspect/", data={"token": token}, auth=auth, timeout=10)


@pytest.fixture
def two_apps(alice, charlie, make_app):
    """App A (alice's, signs people in) and resource server B (charlie's, client credentials)."""
    a, a_secret = make_app(alice, name="App A")
    b, b_secret = make_app(
        charlie, name="Resource Server B", grant_types=[grants.CLIENT_CREDENTIALS], redirect_uris=[]
    )
    return (a, a_secret), (b, b_secret)


@pytest.mark.django_db(transaction=True)
def test_a_client_learns_only_about_its_own_tokens(live_server, erin, two_apps):
    base = live_server.url
    (a, a_secret), (b, b_secret) = two_apps
    _browser, _oauth, token = tokens_for(base, a, a_secret, "erin")

    own = _introspect(base, token["access_token"], (a.client_id, a_secret))
    assert own.status_code == 200
    assert own.json()["active"] is True and own.json()["username"] == "erin"

    others = _introspect(base, token["access_token"], (b.client_id, b_secret))
    assert others.status_code == 200
    assert others.json() == {"active": False}


@pytest.mark.django_db(transaction=True)
def test_a_resource_server_staff_allowed_may_introspect_any_token(live_server, client, sam, erin, two_apps):
    base = live_server.url
    (a, a_secret), (b, b_secret) = two_apps
    _browser, _oauth, token = tokens_for(base, a, a_secret, "erin")

    # Staff allow it on the review page (a small form of its own), and it is audited.
    sign_in_with_second_factor(client, sam)
    response = client.post(
        f"/staff/apps/{b.pk}/introspection/", {"allowed": "true", "version": b.review_version()}
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(action=AuditEvent.Action.INTROSPECTION_ALLOWED)
    assert event.actor == sam and event.application == b
    page = client.get(f"/staff/apps/{b.pk}/")
    assert 'data-testid="may-introspect"' in page.content.decode()

    allowed = _introspect(base, token["access_token"], (b.client_id, b_secret)).json()
    assert allowed["active"] is True and allowed["client_id"] == a.client_id

    # And takes it back.
    assert client.post(f"/staff/apps/{b.pk}/introspection/", {}).status_code == 302
    assert (
        AuditEvent.objects.filter(action=AuditEvent.Action.INTROSPECTION_REMOVED, application=b).count() == 1
    )
    assert _introspect(base, token["access_token"], (b.client_id, b_secret)).json() == {"active": False}


@pytest.mark.django_db(transaction=True)
def test_introspection_is_post_only(live_server, two_apps):
    base = live_server.url
    _a, (b, b_secret) = two_apps
    token = OAuth2Session(b.client_id, b_secret, scope="read").fetch_token(
        f"{base}/o/token/", grant_type="client_credentials"
    )
    response = requests.get(
        f"{base}/o/introspect/",
        params={"token": token["access_token"]},
        auth=(b.client_id, b_secret),
        timeout=10,
    )
    assert response.status_code == 405
    assert "active" not in response.text


@pytest.mark.django_db(transaction=True)
def test_an_unauthenticated_caller_learns_nothing(live_server, erin, two_apps):
    base = live_server.url
    (a, a_secret), _b = two_apps
    _browser, _oauth, token = tokens_for(base, a, a_secret, "erin")
    response = _introspect(base, token["access_token"], (a.client_id, "wrong-secret"))
    assert response.status_code == 401
    assert "erin" not in response.text and "active" not in response.text
    bearer = requests.post(
        f"{base}/o/introspect/",
        data={"token": token["access_token"]},
        headers={"Authorization": f"Bearer {token['access_token']}"},
        timeout=10,
    )
    assert bearer.status_code == 401
    assert "erin" not in bearer.text and "active" not in bearer.text


def _assert_oauth_json_error(response: requests.Response, error: str) -> None:
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.json()["error"] == error


@pytest.mark.django_db(transaction=True)
def test_a_failed_client_authentication_is_rfc_6749s_invalid_client(live_server, two_apps):
    # RFC 7662 2.3 -> RFC 6749 5.2: 401, a JSON invalid_client body, and a challenge in the scheme tried.
    base = live_server.url
    _a, (b, b_secret) = two_apps
    url = f"{base}/o/introspect/"
    for auth in [(b.client_id, "wrong-secret"), ("no-such-client", b_secret)]:
        basic = requests.post(url, data={"token": "anything"}, auth=auth, timeout=10)
        assert basic.status_code == 401
        _assert_oauth_json_error(basic, "invalid_client")
        assert basic.headers["WWW-Authenticate"] == 'Basic realm="introspection"'

    # Credentials in the body (client_secret_post): the same answer, with no scheme to challenge in.
    body = requests.post(
        url, data={"token": "anything", "client_id": b.client_id, "client_secret": "wrong"}, timeout=10
    )
    assert body.status_code == 401
    _assert_oauth_json_error(body, "invalid_client")
    assert "WWW-Authenticate" not in body.headers
    nothing = requests.post(url, data={"token": "anything"}, timeout=10)
    assert nothing.status_code == 401
    _assert_oauth_json_error(nothing, "invalid_client")

    # A bearer token that may not introspect: RFC 6750 section 3's answer.
    bearer = requests.post(
        url, data={"token": "anything"}, headers={"Authorization": "Bearer not-a-token"}, timeout=10
    )
    assert bearer.status_code == 401
    _assert_oauth_json_error(bearer, "invalid_token")
    assert bearer.headers["WWW-Authenticate"] == 'Bearer realm="introspection", error="invalid_token"'

    # The right credentials still get their answer.
    good = requests.post(url, data={"token": "anything"}, auth=(b.client_id, b_secret), timeout=10)
    assert good.status_code == 200 and good.json() == {"active": False}


@pytest.mark.django_db(transaction=True)
def test_a_public_client_is_told_it_cannot_authenticate(live_server, alice, make_app):
    spa, _no_secret = make_app(alice, name="Browser App", client_type="public")
    url = f"{live_server.url}/o/introspect/"
    in_body = requests.post(url, data={"token": "anything", "client_id": spa.client_id}, timeout=10)
    assert in_body.status_code == 401
    _assert_oauth_json_error(in_body, "invalid_client")
    assert "public client" in in_body.json()["error_description"]
    assert "WWW-Authenticate" not in in_body.headers
    basic = requests.post(url, data={"token": "anything"}, auth=(spa.client_id, ""), timeout=10)
    assert basic.status_code == 401
    _assert_oauth_json_error(basic, "invalid_client")
    assert basic.headers["WWW-Authenticate"] == 'Basic realm="introspection"'


@pytest.mark.django_db
def test_allowing_is_bound_to_the_app_staff_saw(client, sam, two_apps):
    _a, (b, _secret) = two_apps
    sign_in_with_second_factor(client, sam)
    page = client.get(f"/staff/apps/{b.pk}/").content.decode()
    seen = b.review_version()
    assert f'name="version" value="{seen}"' in page.split('data-testid="introspection-form"')[1]
    # Meanwhile the developer points the app elsewhere: the permission was judged on the app as it was.
    b.homepage_url = "https://elsewhere.example.net/"
    b.save()

    response = client.post(
        f"/staff/apps/{b.pk}/introspection/", {"allowed": "true", "version": seen}, follow=True
    )

    b.refresh_from_db()
    assert b.may_introspect_any_token is False
    assert "The app changed while you were looking" in response.content.decode()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.INTROSPECTION_ALLOWED).exists()


@pytest.mark.django_db
def test_only_staff_set_the_permission(client, alice, two_apps):
    _a, (b, _secret) = two_apps
    client.force_login(alice)
    assert client.post(f"/staff/apps/{b.pk}/introspection/", {"allowed": "true"}).status_code == 404
    b.refresh_from_db()
    assert b.may_introspect_any_token is False


@pytest.mark.django_db
def test_the_admin_shows_the_permission_read_only(client, two_apps):
    _a, (b, _secret) = two_apps
    root = get_user_model().objects.create_superuser("root", "root@example.com", "x")
    sign_in_with_second_factor(client, root)
    page = client.get(f"/admin/clients/application/{b.pk}/change/").content.decode()
    assert "introspect any app" in page
    assert 'name="may_introspect_any_token"' not in page  # shown, not editable
