"""How fast the token page and the audit log are with 100,000 (or BENCH_TOKENS) rows behind them.

Both use keyset pagination (portal/pagination.py): the oldest page costs what the newest does.
    BENCH_TOKENS=1000000 DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_tokens \
        .venv/bin/python benchmarks/token_list.py      # a million tokens and a million audit events


    .venv/bin/python benchmarks/token_list.py                  # a throwaway SQLite database
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_tokens .venv/bin/python benchmarks/token_list.py

With DATABASE_URL it uses (and first empties) that database, which must exist. Prints the time to render the
first page, a middle page and the last page, the developer's app list, and the queries each one ran.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from django.utils import timezone  # noqa: E402
from oauth2_provider.models import get_access_token_model  # noqa: E402

from portal.clients.services import application_create  # noqa: E402
from portal.terms.selectors import terms_current  # noqa: E402
from portal.terms.services import terms_accept  # noqa: E402

TOKENS = int(os.environ.get("BENCH_TOKENS", "100000"))
RUNS = 5


def build() -> tuple[object, object]:
    call_command("flush", interactive=False, verbosity=0) if "postgres" in os.environ[
        "DATABASE_URL"
    ] else None
    call_command("migrate", verbosity=0)
    users = get_user_model().objects
    developer = users.create_user("bench-dev", password="x")
    people = users.bulk_create([get_user_model()(username=f"user{n}") for n in range(1000)])
    terms_accept(user=developer, version=terms_current(), request=None)
    app, _secret = application_create(
        owner=developer,
        name="Busy App",
        client_type="confidential",
        grant_types=["authorization-code"],
        redirect_uris=["https://busy.example/cb"],
        review_status="approved",
    )
    Token = get_access_token_model()
    expires = timezone.now() + timedelta(hours=1)
    started = time.perf_counter()
    if connection.vendor == "postgresql":
        # A million rows through the ORM take minutes; the database makes them in seconds.
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO oauth2_provider_accesstoken (user_id, application_id, token, token_checksum, "
                "scope, expires, created, updated, resource) SELECT %s, %s, '', lpad(to_hex(g), 64, '0'), "
                "'openid read', %s, now() - (g || ' seconds')::interval, now(), '[]' "
                "FROM generate_series(1, %s) g",
                [people[0].pk, app.pk, expires, TOKENS],
            )
            cursor.execute(
                "INSERT INTO audit_auditevent (created_at, actor_id, actor_label, action, application_id, "
                "application_label, client_id, changes, ip_address) "
                "SELECT now() - (g || ' seconds')::interval, %s, 'bench-dev', 'token.revoked', %s, "
                "'Busy App', '', '{}', NULL FROM generate_series(1, %s) g",
                [developer.pk, app.pk, TOKENS],
            )
            cursor.execute("ANALYZE")
        print(f"inserted {TOKENS:,} access tokens and audit events in {time.perf_counter() - started:.1f} s")
        return developer, app
    batch = []
    for n in range(TOKENS):
        token = Token(user=people[n % len(people)], application=app, scope="openid read", expires=expires)
        token.token, token.token_checksum = "", f"{n:064x}"
        batch.append(token)
        if len(batch) == 5000:
            Token.objects.bulk_create(batch)
            batch = []
    Token.objects.bulk_create(batch)
    print(f"inserted {TOKENS:,} access tokens in {time.perf_counter() - started:.1f} s")
    return developer, app


def measure(client: Client, label: str, url: str) -> None:
    timings = []
    for _run in range(RUNS):
        reset_queries()
        started = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    print(
        f"{label:<28} median {statistics.median(timings):7.1f} ms   max {max(timings):7.1f} ms   "
        f"{len(connection.queries)} queries"
    )


def _cursor(client: Client, url: str, link: str) -> str:
    page = client.get(url).content.decode()
    return page.split(f'href="?{link}=')[1].split('"')[0]


def main() -> None:
    print(f"database: {connection.vendor}")
    developer, app = build()
    client = Client()
    client.force_login(developer)
    with override_settings(DEBUG=True, ALLOWED_HOSTS=["testserver"]):  # DEBUG only to count queries
        tokens = f"/developer/apps/{app.pk}/tokens/"
        measure(client, "tokens, newest page", tokens)
        measure(client, "tokens, next older page", f"{tokens}?older={_cursor(client, tokens, 'older')}")
        measure(client, "tokens, oldest page", f"{tokens}?oldest=1")
        measure(client, "app list", "/developer/")
        measure(client, "app detail", f"/developer/apps/{app.pk}/")
        developer.is_staff = True
        developer.save(update_fields=["is_staff"])
        if connection.vendor == "postgresql":
            measure(client, "audit log, newest page", "/staff/audit/")
            measure(client, "audit log, oldest page", "/staff/audit/?oldest=1")
            measure(client, "audit log, one app, oldest", f"/staff/audit/?application={app.pk}&oldest=1")


if __name__ == "__main__":
    main()
