"""Seeds one project's database for benchmarks/compare_stock.py, and counts the queries of each flow.

    DJANGO_SETTINGS_MODULE=portal.settings python benchmarks/bench_fixture.py seed OUTDIR N
    DJANGO_SETTINGS_MODULE=benchmarks.stock_dot.settings python benchmarks/bench_fixture.py count OUTDIR

Runs under the portal's settings or the stock DOT project's (the same DOT models either way). `seed`
migrates, creates a user, a client-credentials app and an authorization-code app (confidential, PKCE), a
read token, N unused authorization codes and N unused refresh tokens, and writes them to OUTDIR for the
load generator (each code and refresh token works once). `count` runs each flow once in-process after a
warm-up and prints the number of queries of each as JSON.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sys
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import django  # noqa: E402

django.setup()

from bench_flows import flows  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402
from oauth2_provider.models import (  # noqa: E402
    get_access_token_model,
    get_application_model,
    get_grant_model,
    get_refresh_token_model,
    set_token_value,
)

IS_PORTAL = settings.ROOT_URLCONF == "portal.urls"
REDIRECT_URI = "https://bench.example/cb"
CODE_VERIFIER = "bench-verifier-" + "v" * 43
CODE_CHALLENGE = (
    base64.urlsafe_b64encode(hashlib.sha256(CODE_VERIFIER.encode()).digest()).rstrip(b"=").decode()
)


def _app(owner, name: str, grant: str):
    if IS_PORTAL:
        from portal.clients.services import application_create

        return application_create(
            owner=owner,
            name=name,
            client_type="confidential",
            grant_types=[grant],
            redirect_uris=[REDIRECT_URI] if grant == "authorization-code" else [],
            review_status="approved",
        )
    secret = f"{name}-secret-" + "s" * 100
    app = get_application_model().objects.create(
        user=owner,
        name=name,
        client_type="confidential",
        authorization_grant_type=grant,
        redirect_uris=REDIRECT_URI if grant == "authorization-code" else "",
        client_secret=secret,
    )
    return app, secret


def seed(outdir: Path, count: int) -> None:
    call_command("migrate", verbosity=0)
    person = get_user_model().objects.create_user(
        "bench", email="bench@example.com", first_name="Ben", last_name="Ch", password=None
    )
    cc_app, cc_secret = _app(person, "bench-cc", "client-credentials")
    ac_app, ac_secret = _app(person, "bench-ac", "authorization-code")
    expires = timezone.now() + timedelta(hours=6)
    AccessToken, RefreshToken, Grant = get_access_token_model(), get_refresh_token_model(), get_grant_model()
    api_token = AccessToken(user=person, application=ac_app, scope="read", expires=expires)
    set_token_value(api_token, "bench-api-token")
    api_token.save()
    Grant.objects.bulk_create(
        Grant(
            user=person,
            application=ac_app,
            code=f"bench-code-{n}",
            expires=expires,
            redirect_uri=REDIRECT_URI,
            scope="read",
            code_challenge=CODE_CHALLENGE,
            code_challenge_method="S256",
        )
        for n in range(count)
    )
    accesses = []
    for n in range(count):
        access = AccessToken(user=person, application=ac_app, scope="read", expires=expires)
        set_token_value(access, f"bench-access-{n}")
        accesses.append(access)
    accesses = AccessToken.objects.bulk_create(accesses, batch_size=2000)
    if accesses[0].pk is None:  # SQLite before RETURNING support hands back no keys
        accesses = list(AccessToken.objects.filter(scope="read").exclude(pk=api_token.pk).order_by("pk"))
    refreshes = []
    for n, access in enumerate(accesses):
        refresh = RefreshToken(user=person, application=ac_app, access_token=access)
        set_token_value(refresh, f"bench-refresh-{n}")
        refreshes.append(refresh)
    RefreshToken.objects.bulk_create(refreshes, batch_size=2000)
    outdir.mkdir(parents=True, exist_ok=True)
    (outdir / "codes.txt").write_text("".join(f"bench-code-{n}\n" for n in range(count)))
    (outdir / "refresh.txt").write_text("".join(f"bench-refresh-{n}\n" for n in range(count)))
    (outdir / "fixture.json").write_text(
        json.dumps(
            {
                "cc": [cc_app.client_id, cc_secret],
                "ac": [ac_app.client_id, ac_secret],
                "api_token": "bench-api-token",
                "redirect_uri": REDIRECT_URI,
                "code_verifier": CODE_VERIFIER,
                "count": count,
            }
        )
    )


def count(outdir: Path) -> None:
    fixture = json.loads((outdir / "fixture.json").read_text())
    client = Client(HTTP_HOST="127.0.0.1")
    counts = {}
    spent = fixture["count"] - 1  # the last codes and refresh tokens: the load generator starts at the first
    for name in flows(fixture, 0):
        for attempt in ("warm-up", "counted"):
            method, path, data, auth = flows(fixture, spent)[name]
            spent -= 1
            with CaptureQueriesContext(connection) as queries:
                response = getattr(client, method)(path, data, HTTP_AUTHORIZATION=auth)
            if response.status_code != 200:
                raise SystemExit(
                    f"{name} ({attempt}) answered {response.status_code}: {response.content[:300]!r}"
                )
        counts[name] = len(queries)
    print(json.dumps(counts))


if __name__ == "__main__":
    command, outdir = sys.argv[1], Path(sys.argv[2])
    if command == "seed":
        seed(outdir, int(sys.argv[3]))
    else:
        count(outdir)
