"""Servers for the scale tests. Ports 18210-18219 belong to these in-process tests; the two-instance
test uses 18200-18209 (tests/scale/test_two_instances.py), the benchmark 18250-18259."""

from __future__ import annotations

import uuid

import pytest

from tests.scale.servers import MotoServer, RedisServer

MOTO_PORT = 18210
REDIS_PORT = 18211


@pytest.fixture(scope="session")
def moto():
    server = MotoServer(MOTO_PORT)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def s3_logos(moto, settings):
    """STORAGES["default"] on a fresh bucket of the moto server, configured as settings.py does it."""
    bucket = moto.make_bucket(f"logos-{uuid.uuid4().hex[:12]}")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": bucket,
                "region_name": "us-east-1",
                "endpoint_url": moto.endpoint,
                "access_key": "testing",
                "secret_key": "testing",
                "file_overwrite": False,
                "default_acl": "public-read",
                "querystring_auth": False,
            },
        },
    }
    return bucket


@pytest.fixture
def own_redis():
    """A redis-server of our own (never the shared one), which the test may stop."""
    server = RedisServer(REDIS_PORT)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_cache(own_redis, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": own_redis.url,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    return own_redis
