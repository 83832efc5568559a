"""portal.ratelimits.hit: a fixed window counted in the cache, one Redis round trip per limit; when Redis
cannot be reached each limit fails open or closed as configured. (Counting on a live Redis shared by two
instances: tests/scale/test_ratelimits.py.)"""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from django.core.cache import caches
from django.utils import timezone
from oauth2_provider.models import get_access_token_model, set_token_value

from portal import envconfig, ratelimits


def _limits(settings, **rates: str) -> None:
    merged = dict(settings.PORTAL_RATE_LIMITS)
    for action, rate in rates.items():
        merged[action] = {**merged[action], "rate": envconfig.parse_rate(action, rate)}
    settings.PORTAL_RATE_LIMITS = merged


def test_the_request_over_the_amount_is_refused_until_the_window_ends(settings):
    _limits(settings, token_client="3/m")
    assert [ratelimits.hit("token_client", key="client-a").allowed for _ in range(4)] == [True] * 3 + [False]
    refused = ratelimits.hit("token_client", key="client-a")
    assert not refused.allowed and 1 <= refused.retry_after <= 60
    assert ratelimits.hit("token_client", key="client-b").allowed  # counted per key


@pytest.fixture
def unreachable_redis(settings):
    # Nothing listens on port 1: every command fails at once with a connection error (a RedisError).
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }


def test_without_redis_a_fail_open_limit_lets_the_request_through(unreachable_redis):
    decision = ratelimits.hit("token_address", key="127.0.0.1")
    assert decision.allowed and decision.cache_down


def test_without_redis_a_fail_closed_limit_refuses_with_retry_after(unreachable_redis):
    decision = ratelimits.hit("app_register", key="alice")
    assert not decision.allowed and decision.cache_down
    assert decision.retry_after == ratelimits.CACHE_DOWN_RETRY_AFTER


def test_the_redis_client_the_counter_pipelines_on_is_where_django_keeps_it(unreachable_redis):
    # portal.ratelimits._count reaches Django's Redis client (a private attribute) for its one round trip.
    backend = caches["default"]
    key = backend.make_and_validate_key("rl:probe")
    assert key.endswith("rl:probe")
    assert hasattr(backend._cache.get_client(key, write=True), "pipeline")


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/o/introspect/", "/o/revoke_token/"])
def test_without_redis_introspection_and_revocation_are_served(
    unreachable_redis, client, alice, make_app, path
):
    # Their limits fail open, as the token endpoint's do: an API that introspects on every call it serves
    # keeps working through a Redis outage.
    app, secret = make_app(alice)
    token = get_access_token_model()(
        user=alice, application=app, scope="read", expires=timezone.now() + timedelta(hours=1)
    )
    set_token_value(token, "the-access-token")
    token.save()
    basic = "Basic " + base64.b64encode(f"{app.client_id}:{secret}".encode()).decode()
    response = client.post(path, {"token": "the-access-token"}, HTTP_AUTHORIZATION=basic)
    assert response.status_code == 200
    if path == "/o/introspect/":
        assert response.json()["active"] is True
    else:
        assert not get_access_token_model().objects.filter(pk=token.pk).exists()
