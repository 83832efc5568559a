"""Rate limits answer 429 with Retry-After (an OAuth JSON error on the token endpoint), count in the
shared cache, and do what README "Production" says while Redis is down: token requests fail open,
registration, secret rotation and sign-in fail closed (503 with Retry-After)."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
import redis
import requests
from django.utils import timezone
from oauth2_provider.models import get_access_token_model

from portal import envconfig
from portal.clients import grants
from portal.terms.services import terms_accept
from tests.helpers.accounts import sign_in_recently_authenticated
from tests.helpers.constants import PASSWORD
from tests.helpers.developer import registration


def _limits(settings, **rates: str) -> None:
    merged = dict(settings.PORTAL_RATE_LIMITS)
    for action, rate in rates.items():
        merged[action] = {**merged[action], "rate": envconfig.parse_rate(action, rate)}
    settings.PORTAL_RATE_LIMITS = merged


def _token(base_url: str, app, secret: str, *, basic: bool = True) -> requests.Response:
    data = {"grant_type": "client_credentials", "scope": "read"}
    if basic:
        credentials = base64.b64encode(f"{app.client_id}:{secret}".encode()).decode()
        return requests.post(
            f"{base_url}/o/token/", data=data, headers={"Authorization": f"Basic {credentials}"}, timeout=10
        )
    data.update(client_id=app.client_id, client_secret=secret)
    return requests.post(f"{base_url}/o/token/", data=data, timeout=10)


@pytest.fixture
def cc_app(make_app, alice):
    return make_app(alice, grant_types=[grants.CLIENT_CREDENTIALS], redirect_uris=[])


@pytest.fixture
def developer(client, alice, current_terms):
    terms_accept(user=alice, version=current_terms, request=None)
    sign_in_recently_authenticated(client, alice)
    return alice


@pytest.mark.parametrize(
    ("text", "rate"),
    [
        ("120/m", envconfig.Rate(120, 60)),
        ("5/300s", envconfig.Rate(5, 300)),
        ("30/5m", envconfig.Rate(30, 300)),
    ],
)
def test_rates_are_read_as_amount_per_period(text, rate):
    assert envconfig.parse_rate("X", text) == rate


@pytest.mark.parametrize("text", ["", "10", "0/m", "10/0m", "ten/m", "10/w", "10/m/ip"])
def test_a_malformed_rate_is_a_start_up_error_naming_the_variable(text):
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="RATE_LIMIT_X"):
        envconfig.parse_rate("RATE_LIMIT_X", text)


@pytest.mark.django_db(transaction=True)
def test_token_requests_per_client_answer_429_with_retry_after_and_an_oauth_error(
    live_server, settings, cc_app
):
    _limits(settings, token_client="3/m")
    app, secret = cc_app
    # Basic and body credentials name the same client: both count against it.
    statuses = [_token(live_server.url, app, secret, basic=index % 2 == 0).status_code for index in range(3)]
    assert statuses == [200, 200, 200]
    refused = _token(live_server.url, app, secret)
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["Content-Type"] == "application/json"
    assert refused.headers["Cache-Control"] == "no-store"
    assert refused.json()["error"] == "temporarily_unavailable"


@pytest.mark.django_db(transaction=True)
def test_token_requests_per_address_count_every_client_from_it(
    live_server, settings, make_app, alice, charlie
):
    _limits(settings, token_address="2/m")
    first, first_secret = make_app(alice, grant_types=[grants.CLIENT_CREDENTIALS], redirect_uris=[])
    second, second_secret = make_app(charlie, grant_types=[grants.CLIENT_CREDENTIALS], redirect_uris=[])
    assert _token(live_server.url, first, first_secret).status_code == 200
    assert _token(live_server.url, second, second_secret).status_code == 200
    assert _token(live_server.url, second, second_secret).status_code == 429
    # Even a request naming no client at all is counted by address.
    bare = requests.post(f"{live_server.url}/o/token/", data={"grant_type": "client_credentials"}, timeout=10)
    assert bare.status_code == 429


@pytest.mark.django_db
def test_app_registration_per_developer_answers_429_with_retry_after(client, developer, settings):
    _limits(settings, app_register="2/h")
    assert client.get("/developer/apps/new/").status_code == 200
    for name in ("One", "Two"):
        assert client.post("/developer/apps/new/", registration(name=name)).status_code == 302
    refused = client.post("/developer/apps/new/", registration(name="Three"))
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 3600
    # Reading the form is not limited; another developer is not affected.
    assert client.get("/developer/apps/new/").status_code == 200


@pytest.mark.django_db
def test_secret_rotation_per_developer_answers_429(client, developer, settings, make_app):
    _limits(settings, secret_rotate="1/h")
    app, _secret = make_app(developer)
    assert client.post(f"/developer/apps/{app.pk}/secrets/rotate/", {"name": app.name}).status_code == 200
    refused = client.post(f"/developer/apps/{app.pk}/secrets/rotate/", {"name": app.name})
    assert refused.status_code == 429
    assert refused.has_header("Retry-After")


@pytest.mark.django_db
def test_limits_count_in_redis_where_every_instance_sees_them(client, developer, settings, redis_cache):
    _limits(settings, app_register="5/h")
    client.post("/developer/apps/new/", registration(name="Counted"))
    # Another process's view of the same Redis: one counter for this developer, at 1.
    raw = redis.Redis.from_url(redis_cache.url)
    keys = [key for key in raw.keys("*") if b"rl:app_register:" in key]
    assert len(keys) == 1
    assert int(raw.get(keys[0])) == 1
    assert f"user:{developer.pk}".encode() not in keys[0]  # hashed, not in clear


@pytest.mark.django_db(transaction=True)
def test_with_redis_stopped_tokens_fail_open_and_writes_and_sign_in_fail_closed(
    live_server, settings, redis_cache, cc_app, alice, current_terms
):
    app, secret = cc_app
    terms_accept(user=alice, version=current_terms, request=None)
    signed_in = requests.Session()
    signed_in.get(f"{live_server.url}/accounts/login/", timeout=10)
    response = signed_in.post(
        f"{live_server.url}/accounts/login/",
        data={"login": "alice", "password": PASSWORD},
        headers={"X-CSRFToken": signed_in.cookies["csrftoken"], "Referer": f"{live_server.url}/"},
        timeout=10,
    )
    assert response.status_code == 200 and response.url == f"{live_server.url}/"
    token = "alice-api-token-" + "x" * 24
    get_access_token_model().objects.create(
        user=alice, application=app, token=token, scope="read", expires=timezone.now() + timedelta(hours=1)
    )

    redis_cache.stop()

    # Fail open: token requests and the API keep working.
    issued = _token(live_server.url, app, secret)
    assert issued.status_code == 200
    me = requests.get(f"{live_server.url}/api/me", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert me.status_code == 200
    # Sessions are in the database: the signed-in developer still sees the console.
    assert signed_in.get(f"{live_server.url}/developer/", timeout=10).status_code == 200

    # Fail closed: registration and sign-in answer 503 with Retry-After, never a 500.
    csrf = {"X-CSRFToken": signed_in.cookies["csrftoken"], "Referer": f"{live_server.url}/"}
    registering = signed_in.post(
        f"{live_server.url}/developer/apps/new/", data=registration(), headers=csrf, timeout=10
    )
    assert registering.status_code == 503
    assert registering.headers["Retry-After"] == "30"
    anonymous = requests.Session()
    anonymous.get(f"{live_server.url}/accounts/login/", timeout=10)
    signing_in = anonymous.post(
        f"{live_server.url}/accounts/login/",
        data={"login": "alice", "password": PASSWORD},
        headers={"X-CSRFToken": anonymous.cookies["csrftoken"], "Referer": f"{live_server.url}/"},
        timeout=10,
    )
    assert signing_in.status_code == 503
    assert signing_in.headers["Retry-After"] == "30"
    readiness = requests.get(f"{live_server.url}/readyz", timeout=10)
    assert readiness.status_code == 503 and readiness.json()["cache"] == "unreachable"
    assert requests.get(f"{live_server.url}/healthz", timeout=10).status_code == 200

    # Redis back: the same processes recover without a restart.
    redis_cache.start()
    registering = signed_in.post(
        f"{live_server.url}/developer/apps/new/",
        data=registration(),
        headers=csrf,
        timeout=10,
        allow_redirects=False,
    )
    assert registering.status_code == 302
    assert requests.get(f"{live_server.url}/readyz", timeout=10).status_code == 200


@pytest.mark.django_db
def test_failed_sign_ins_are_counted_in_redis_per_account(client, alice, redis_cache, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login_failed": "10/m/ip,3/5m/key"}
    for _ in range(3):
        wrong = client.post("/accounts/login/", {"login": "alice", "password": "not-her-password"})
        assert wrong.status_code == 200
    # The right password no longer helps: the account is locked for this window, on every instance.
    locked = client.post("/accounts/login/", {"login": "alice", "password": PASSWORD})
    assert locked.status_code == 200
    assert "Too many failed login attempts" in locked.content.decode()
    raw = redis.Redis.from_url(redis_cache.url)
    assert any(b"allauth:rl:allauth.account:login_failed" in key for key in raw.keys("*"))
