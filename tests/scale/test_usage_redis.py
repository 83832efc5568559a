"""Usage counters on a real Redis (portal/usage/counters.py takes a pipelined INCRBY path there): counts from
several threads, two `flush_usage` runs racing each other and the counting, and every count reaching the
database exactly once."""

from __future__ import annotations

import threading

import pytest
from django.core.cache import cache
from django.db import connection
from django.db.models import Sum

from portal.usage import counters, services
from portal.usage.models import Kind, UsageDaily

THREADS, PER_THREAD = 4, 300


@pytest.mark.django_db(transaction=True)
def test_counts_from_many_threads_reach_the_database_once_despite_racing_flushes(
    redis_cache, alice, make_app
):
    app, _secret = make_app(alice)
    flushed_runs = []

    def count(number: int) -> None:
        for index in range(PER_THREAD):
            counters.token_issued(
                application_id=app.pk, grant_type="client_credentials", user_id=number * 1000 + index % 3
            )
        connection.close()

    def flush() -> None:
        for _ in range(5):
            flushed_runs.append(services.usage_flush().ran)
        connection.close()

    workers = [threading.Thread(target=count, args=(number,)) for number in range(THREADS)]
    workers += [threading.Thread(target=flush) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    services.usage_flush()

    stored = UsageDaily.objects.filter(application=app)
    tokens = stored.filter(kind=Kind.TOKEN_CLIENT_CREDENTIALS).aggregate(n=Sum("count"))["n"]
    assert tokens == THREADS * PER_THREAD
    # Three people per thread, each counted once today however many tokens they got.
    assert stored.get(kind=Kind.PEOPLE).count == THREADS * 3
    assert counters.pending_counts(application_id=app.pk) == {}
    assert True in flushed_runs
    # Every counter key expires (nothing left in Redis for ever), and holds no user id in clear.
    client = cache._cache.get_client(None)
    keys = [key.decode() for key in client.keys("*usage:*")]
    assert keys and all(client.ttl(key) > 0 for key in keys)
    assert not any(str(THREADS * 1000) in key for key in keys if ":who:" in key)
