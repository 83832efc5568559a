"""Two gunicorn instances of the portal behind nginx (TLS on loopback), sharing PostgreSQL, Redis and
moto's S3: whatever one instance writes, the other sees at once. Then the logs of that whole flow are
checked: one JSON object per line, a request id on each, and no secret, code, token or password.

Shared services, configurable for CI: SCALE_DATABASE_URL (a database this test may empty; by default a
scratch database made on the shared PostgreSQL and dropped afterwards) and SCALE_REDIS_URL (a Redis
database of its own; default db 2).
Ports 18200-18202. Bounded: every wait has a timeout; the module takes about 90 s on this machine.
"""

from __future__ import annotations

import json
import os
import re
import time

import pytest
import redis

from tests.helpers.databases import ScratchDatabase
from tests.helpers.developer import image_upload, registration
from tests.scale.servers import Cluster

NGINX_PORT = 18200
INSTANCE_PORTS = [18201, 18202]
DATABASE_URL = os.environ.get("SCALE_DATABASE_URL")
REDIS_URL = os.environ.get("SCALE_REDIS_URL", "redis://127.0.0.1:6379/2")
TOKEN_LIMIT = 12  # per client per minute; the other tests use at most 6 on the web app


@pytest.fixture(scope="module")
def scale_database_url(tmp_path_factory):
    if DATABASE_URL:
        yield DATABASE_URL
        return
    # A fresh machine has no database for this test: make one beside the test databases, and drop it.
    scratch = ScratchDatabase.create("postgresql", tmp_path_factory.mktemp("scale-db"))
    try:
        yield scratch.url
    finally:
        scratch.drop()


@pytest.fixture(scope="module")
def cluster(moto, tmp_path_factory, scale_database_url):
    redis.Redis.from_url(REDIS_URL).flushdb()  # our own Redis database number only
    bucket = moto.make_bucket("two-instances")
    running = Cluster(
        workdir=tmp_path_factory.mktemp("cluster"),
        database_url=scale_database_url,
        redis_url=REDIS_URL,
        moto=moto,
        bucket=bucket,
        nginx_port=NGINX_PORT,
        instance_ports=INSTANCE_PORTS,
        extra_env={
            "RATE_LIMIT_TOKEN_PER_CLIENT": f"{TOKEN_LIMIT}/m",
            "RATE_LIMIT_TOKEN_PER_ADDRESS": "1000/m",
        },
    )
    running.prepare()
    try:
        running.start()
        yield running
    finally:
        running.stop()


def _upstream(response) -> str:
    return response.headers["X-Upstream"]


def _sign_in(cluster):
    browser = cluster.session()
    response = cluster.sign_in(browser)
    assert response.status_code == 302
    return browser, _upstream(response)


def _served_by_each(fetch, expected_status: int) -> set[str]:
    """Repeat ``fetch`` until both instances answered (round robin: a few tries); all must answer alike."""
    upstreams = set()
    for _ in range(8):
        response = fetch()
        assert response.status_code == expected_status, (_upstream(response), response.text[:300])
        upstreams.add(_upstream(response))
        if len(upstreams) == len(INSTANCE_PORTS):
            break
    return upstreams


ALL_INSTANCES = {f"127.0.0.1:{port}" for port in INSTANCE_PORTS}


def test_a_session_made_on_one_instance_works_on_the_other(cluster):
    browser, made_on = _sign_in(cluster)
    assert made_on in ALL_INSTANCES

    def console():
        return browser.get(f"{cluster.url}/developer/", allow_redirects=False, timeout=10)

    assert _served_by_each(console, 200) == ALL_INSTANCES
    assert "Alice&#x27;s web app" in console().text


def test_a_logo_uploaded_through_one_instance_is_served_through_the_other(cluster):
    browser, _ = _sign_in(cluster)
    created = browser.post(
        f"{cluster.url}/developer/apps/new/",
        data={**registration(name="Logo App"), "csrfmiddlewaretoken": browser.cookies["csrftoken"]},
        files={"logo": ("logo.png", image_upload().read(), "image/png")},
        headers={"Referer": f"{cluster.url}/developer/apps/new/"},
        allow_redirects=False,
        timeout=20,
    )
    assert created.status_code == 302, created.text[:500]
    uploaded_on = _upstream(created)
    detail_url = f"{cluster.url}{created.headers['Location']}"
    other = next(port for port in ALL_INSTANCES if port != uploaded_on)

    for _ in range(8):
        page = browser.get(detail_url, timeout=10)
        if _upstream(page) == other:
            break
    assert _upstream(page) == other and page.status_code == 200
    logo_url = re.search(rf'src="({re.escape(cluster.moto.endpoint)}/[^"]+\.png)"', page.text).group(1)
    served = cluster.session().get(logo_url, timeout=10)
    assert served.status_code == 200 and served.content[:4] == b"\x89PNG"
    assert cluster.moto.keys(cluster.bucket) == [logo_url.split(f"/{cluster.bucket}/", 1)[1]]


def test_a_token_revoked_through_one_instance_is_refused_by_the_other_at_once(cluster):
    browser, _ = _sign_in(cluster)
    tokens = cluster.authorization_code_flow(browser, scope="openid read")
    api = cluster.session()
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}

    def me():
        return api.get(f"{cluster.url}/api/me", headers=bearer, timeout=10)

    assert _served_by_each(me, 200) == ALL_INSTANCES
    web = cluster.seed["apps"]["web"]
    revoked = api.post(
        f"{cluster.url}/o/revoke_token/",
        data={"token": tokens["access_token"]},
        auth=(web["client_id"], web["secret"]),
        timeout=10,
    )
    assert revoked.status_code == 200
    # Straight away, whichever instance answers: no cache of valid tokens anywhere.
    assert _served_by_each(me, 401) == ALL_INSTANCES


def test_a_rate_limit_counts_requests_on_both_instances(cluster):
    limited = cluster.seed["apps"]["limited"]
    # Stay inside one fixed window (a minute): wait out the end of the current one if it is near.
    if 60 - time.time() % 60 < 15:
        time.sleep(60 - time.time() % 60 + 0.5)
    api = cluster.session()
    upstreams = set()
    for _ in range(TOKEN_LIMIT):
        response = api.post(
            f"{cluster.url}/o/token/",
            data={"grant_type": "client_credentials", "scope": "read"},
            auth=(limited["client_id"], limited["secret"]),
            timeout=10,
        )
        assert response.status_code == 200
        upstreams.add(_upstream(response))
    assert upstreams == ALL_INSTANCES  # the allowance was spent on both instances

    def token():
        return api.post(
            f"{cluster.url}/o/token/",
            data={"grant_type": "client_credentials", "scope": "read"},
            auth=(limited["client_id"], limited["secret"]),
            timeout=10,
        )

    assert _served_by_each(token, 429) == ALL_INSTANCES
    refused = token()
    assert refused.json()["error"] == "temporarily_unavailable"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60


def test_the_logs_of_a_full_flow_are_json_with_request_ids_and_hold_no_secret(cluster):
    browser, _ = _sign_in(cluster)
    tokens = cluster.authorization_code_flow(browser, scope="openid read")
    web = cluster.seed["apps"]["web"]
    api = cluster.session()
    refreshed = api.post(
        f"{cluster.url}/o/token/",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=(web["client_id"], web["secret"]),
        timeout=10,
    ).json()
    bearer = {"Authorization": f"Bearer {refreshed['access_token']}"}
    assert api.get(f"{cluster.url}/api/me", headers=bearer, timeout=10).status_code == 200
    introspected = api.post(
        f"{cluster.url}/o/introspect/",
        data={"token": refreshed["access_token"]},
        auth=(web["client_id"], web["secret"]),
        timeout=10,
    )
    assert introspected.json()["active"] is True
    # A wrong secret and a replayed code: the error paths log too.
    assert (
        api.post(
            f"{cluster.url}/o/token/",
            data={"grant_type": "client_credentials"},
            auth=(web["client_id"], "wrong-" + web["secret"]),
            timeout=10,
        ).status_code
        == 401
    )
    replay = api.post(
        f"{cluster.url}/o/token/",
        data={
            "grant_type": "authorization_code",
            "code": tokens["code"],
            "code_verifier": tokens["verifier"],
            "redirect_uri": cluster.seed["callback"],
        },
        auth=(web["client_id"], web["secret"]),
        timeout=10,
    )
    assert replay.status_code == 400
    # Rotating is a re-authenticated action: confirm the password first (allauth's page).
    confirmed = browser.post(
        f"{cluster.url}/accounts/reauthenticate/",
        data={"csrfmiddlewaretoken": browser.cookies["csrftoken"], "password": cluster.PASSWORD},
        headers={"Referer": f"{cluster.url}/accounts/reauthenticate/"},
        allow_redirects=False,
        timeout=10,
    )
    assert confirmed.status_code == 302
    rotated = browser.post(
        f"{cluster.url}/developer/apps/{web['pk']}/secrets/rotate/",
        data={"csrfmiddlewaretoken": browser.cookies["csrftoken"], "grace": "86400"},
        headers={"Referer": f"{cluster.url}/developer/"},
        timeout=10,
    )
    assert rotated.status_code == 200
    new_secret = re.search(r'value="([^"]{30,})" readonly aria-label="Client secret"', rotated.text)
    assert new_secret, "the rotated secret is shown once"
    time.sleep(1)  # let gunicorn flush the last access lines

    logs = cluster.logs()
    secrets_seen = {
        "client secret": web["secret"],
        "authorization code": tokens["code"],
        "PKCE verifier": tokens["verifier"],
        "access token": tokens["access_token"],
        "refresh token": tokens["refresh_token"],
        "ID token": tokens["id_token"],
        "refreshed access token": refreshed["access_token"],
        "refreshed refresh token": refreshed["refresh_token"],
        "password": cluster.PASSWORD,
        "session id": browser.cookies["sessionid"],
    }
    secrets_seen["rotated secret"] = new_secret.group(1)
    for what, value in secrets_seen.items():
        assert value not in logs, f"the {what} is in the logs"

    for instance in cluster.instances:
        lines = [line for line in instance.log.read_text().splitlines() if line.strip()]
        assert lines
        entries = [json.loads(line) for line in lines]  # every line is one JSON object
        assert all("request_id" in entry for entry in entries)
        access = [entry for entry in entries if entry["logger"] == "gunicorn.access"]
        assert access and all(re.fullmatch(r"[0-9a-f]{32}", entry["request_id"]) for entry in access)
    # The id nginx made for a request is the one the instance logged for it.
    nginx_ids = {json.loads(line)["request_id"] for line in cluster.nginx.access_log.read_text().splitlines()}
    instance_ids = {
        json.loads(line)["request_id"]
        for instance in cluster.instances
        for line in instance.log.read_text().splitlines()
        if '"gunicorn.access"' in line
    }
    assert instance_ids and instance_ids <= nginx_ids
