"""How fast the developer's "active tokens" page is for an app holding 100,000 tokens.

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
from portal.terms.selectors import terms_version_current  # noqa: E402
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
    terms_accept(user=developer, version=terms_version_current(), request=None)
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


def main() -> None:
    print(f"database: {connection.vendor}")
    developer, app = build()
    client = Client()
    client.force_login(developer)
    last_page = -(-TOKENS // 25)
    with override_settings(DEBUG=True, ALLOWED_HOSTS=["testserver"]):  # DEBUG only to count queries
        measure(client, "tokens, first page", f"/developer/apps/{app.pk}/tokens/")
        measure(client, "tokens, middle page", f"/developer/apps/{app.pk}/tokens/?page={last_page // 2}")
        measure(client, "tokens, last page", f"/developer/apps/{app.pk}/tokens/?page={last_page}")
        measure(client, "app list", "/developer/")
        measure(client, "app detail", f"/developer/apps/{app.pk}/")


if __name__ == "__main__":
    main()
