"""Mixed traffic through nginx to two portal instances, with faults injected mid-run.

    .venv/bin/python benchmarks/scale_faults.py                 # 300 s, the README's figures
    .venv/bin/python benchmarks/scale_faults.py --duration 60   # a short run (CI may use it)

Everything is its own and on loopback (ports 18250-18259): a PostgreSQL cluster made with initdb in a
temporary directory (run as the `postgres` OS user when started as root), a redis-server, moto's S3 server,
two gunicorn instances and nginx. Nothing shared is restarted.

Traffic (client threads in a loop): client-credentials token requests, GET /api/me with a user's token,
introspection of the app's own token, the developer console and the consent page. Timeline, as fractions
of the run: steady; at 20 % instance B is SIGKILLed (restarted at 30 %); at 45 % PostgreSQL restarts
(pg_ctl restart -m fast); at 65 % Redis stops (started again at 80 %); steady to the end. While Redis is
down it probes the documented behaviour: token requests 200 (fail open), sign-in 503 with Retry-After.

Prints, per phase, requests, 5xx, connection errors and the recovery time of each fault (from the fault
to the last failed request). Exits non-zero if a steady phase saw any 5xx or a documented behaviour broke.
"""

from __future__ import annotations

import argparse
import collections
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from tests.scale.servers import Cluster, MotoServer, RedisServer, wait_for_port  # noqa: E402

NGINX_PORT, INSTANCE_PORTS, PG_PORT, REDIS_PORT, MOTO_PORT = 18250, [18251, 18252], 18253, 18254, 18255


class OwnPostgres:
    """A PostgreSQL cluster of our own in a temporary directory: the one this script may restart."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.directory = Path(tempfile.mkdtemp(prefix="scale-pg-"))
        self.data = self.directory / "data"
        self.user = "postgres" if os.geteuid() == 0 else None
        if self.user:
            entry = pwd.getpwnam(self.user)
            os.chown(self.directory, entry.pw_uid, entry.pw_gid)

    def _run(self, *args: str) -> None:
        binary = shutil.which(args[0]) or args[0]
        command = [binary, *args[1:]]
        if self.user:
            command = ["runuser", "-u", self.user, "--", *command]
        # Output to a file, not a pipe: the postmaster pg_ctl starts inherits it and would hold a pipe open.
        with open(self.directory / "ctl.log", "ab") as log:
            subprocess.run(command, check=True, stdout=log, stderr=log, timeout=120)  # noqa: S603

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/portal_bench"

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off"
        (self.directory / "options").write_text(options)

    def start(self) -> None:
        options = (self.directory / "options").read_text()
        self._run(
            "pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.directory / "log"), "-w", "start"
        )
        wait_for_port(self.port)

    def restart(self) -> None:
        options = (self.directory / "options").read_text()
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.directory / "log"),
            "-m",
            "fast",
            "-w",
            "restart",
        )

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.events: list[tuple[float, str, int]] = []  # (time, kind, status; 0 = connection error)

    def record(self, kind: str, status: int) -> None:
        with self.lock:
            self.events.append((time.monotonic(), kind, status))


def _session(cluster: Cluster) -> requests.Session:
    return cluster.session()


def sign_in(cluster: Cluster) -> requests.Session:
    browser = _session(cluster)
    response = cluster.sign_in(browser)
    assert response.status_code == 302, response.status_code
    return browser


def worker(cluster: Cluster, stats: Stats, stop: threading.Event, browser_cookies, access_token: str) -> None:
    session = _session(cluster)
    browser = _session(cluster)
    browser.cookies.update(browser_cookies)
    machine, web, consent = (cluster.seed["apps"][key] for key in ("machine", "web", "consent"))
    consent_url, _ = cluster.authorize_url(consent)
    bearer = {"Authorization": f"Bearer {access_token}"}
    requests_in_mix = [
        (
            "token",
            lambda: session.post(
                f"{cluster.url}/o/token/",
                data={"grant_type": "client_credentials", "scope": "read"},
                auth=(machine["client_id"], machine["secret"]),
                timeout=10,
            ),
        ),
        ("api_me", lambda: session.get(f"{cluster.url}/api/me", headers=bearer, timeout=10)),
        (
            "introspect",
            lambda: session.post(
                f"{cluster.url}/o/introspect/",
                data={"token": access_token},
                auth=(web["client_id"], web["secret"]),
                timeout=10,
            ),
        ),
        ("developer", lambda: browser.get(f"{cluster.url}/developer/", allow_redirects=False, timeout=10)),
        ("consent", lambda: browser.get(consent_url, allow_redirects=False, timeout=10)),
    ]
    index = 0
    while not stop.is_set():
        kind, send = requests_in_mix[index % len(requests_in_mix)]
        index += 1
        try:
            status = send().status_code
        except (requests.RequestException, OSError):
            status = 0
        stats.record(kind, status)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=300, help="seconds of traffic (default 300)")
    parser.add_argument("--clients", type=int, default=6, help="concurrent client threads (default 6)")
    args = parser.parse_args()
    duration = args.duration

    workdir = Path(tempfile.mkdtemp(prefix="scale-bench-"))
    postgres, redis_server, moto = OwnPostgres(PG_PORT), RedisServer(REDIS_PORT), MotoServer(MOTO_PORT)
    cluster = None
    stop = threading.Event()
    notes: dict[str, object] = {}
    failures: list[str] = []
    try:
        postgres.init()
        postgres.start()
        redis_server.start()
        moto.start()
        cluster = Cluster(
            workdir=workdir,
            database_url=postgres.url,
            redis_url=redis_server.url,
            moto=moto,
            bucket=moto.make_bucket("bench-logos"),
            nginx_port=NGINX_PORT,
            instance_ports=INSTANCE_PORTS,
            workers=2,
            extra_env={
                "RATE_LIMIT_TOKEN_PER_CLIENT": "off",
                "RATE_LIMIT_TOKEN_PER_ADDRESS": "off",
                "RATE_LIMIT_INTROSPECT_REVOKE_PER_ADDRESS": "off",
                "RATE_LIMIT_INTROSPECT_REVOKE_PER_CLIENT": "off",
                "LOG_LEVEL": "WARNING",
            },
        )
        cluster.prepare()
        cluster.start()
        browser = sign_in(cluster)
        token = cluster.authorization_code_flow(browser)["access_token"]

        stats = Stats()
        threads = [
            threading.Thread(target=worker, args=(cluster, stats, stop, browser.cookies, token), daemon=True)
            for _ in range(args.clients)
        ]
        start = time.monotonic()
        for thread in threads:
            thread.start()
        marks: dict[str, float] = {}

        def at(fraction: float) -> None:
            remaining = start + duration * fraction - time.monotonic()
            if remaining > 0:
                time.sleep(remaining)

        at(0.20)
        marks["kill"] = time.monotonic()
        cluster.instances[1].kill()
        at(0.30)
        marks["instance_back"] = time.monotonic()
        cluster.instances[1].start()
        notes["instance restart to serving (s)"] = round(time.monotonic() - marks["instance_back"], 2)
        at(0.45)
        marks["pg_restart"] = time.monotonic()
        postgres.restart()
        notes["pg_ctl restart took (s)"] = round(time.monotonic() - marks["pg_restart"], 2)
        at(0.65)
        marks["redis_stop"] = time.monotonic()
        redis_server.stop()
        time.sleep(2)
        probe = _session(cluster)
        machine = cluster.seed["apps"]["machine"]
        token_probe = probe.post(
            f"{cluster.url}/o/token/",
            data={"grant_type": "client_credentials", "scope": "read"},
            auth=(machine["client_id"], machine["secret"]),
            timeout=10,
        )
        login_probe = cluster.sign_in(probe)
        notes["Redis down: token request"] = token_probe.status_code
        notes["Redis down: sign-in"] = (
            f"{login_probe.status_code} Retry-After={login_probe.headers.get('Retry-After')}"
        )
        if token_probe.status_code != 200:
            failures.append("token requests did not fail open while Redis was down")
        if login_probe.status_code != 503 or "Retry-After" not in login_probe.headers:
            failures.append("sign-in did not fail closed (503 + Retry-After) while Redis was down")
        at(0.80)
        marks["redis_start"] = time.monotonic()
        redis_server.start()
        at(1.0)
        stop.set()
        for thread in threads:
            thread.join(timeout=15)
        end = time.monotonic()

        phases = [
            ("steady", start, marks["kill"]),
            ("instance B killed", marks["kill"], marks["instance_back"]),
            ("instance B back", marks["instance_back"], marks["pg_restart"]),
            ("PostgreSQL restart", marks["pg_restart"], marks["redis_stop"]),
            ("Redis stopped", marks["redis_stop"], marks["redis_start"]),
            ("Redis back", marks["redis_start"], end),
        ]
        print(f"\n{args.clients} clients, {duration} s through nginx to 2 instances x 2 workers\n")
        print(f"{'phase':<22}{'seconds':>8}{'requests':>10}{'req/s':>8}{'5xx':>6}{'conn err':>9}  other")
        total = collections.Counter()
        for name, begin, finish in phases:
            events = [event for event in stats.events if begin <= event[0] < finish]
            server_errors = [event for event in events if event[2] >= 500]
            connection_errors = [event for event in events if event[2] == 0]
            other = collections.Counter(
                f"{kind}:{status}"
                for _, kind, status in events
                if status not in (200, 302) and 0 < status < 500
            )
            seconds = finish - begin
            print(
                f"{name:<22}{seconds:>8.1f}{len(events):>10}{len(events) / seconds:>8.1f}"
                f"{len(server_errors):>6}{len(connection_errors):>9}  {dict(other) or ''}"
            )
            total.update(
                requests=len(events),
                server_errors=len(server_errors),
                connection_errors=len(connection_errors),
            )
            failed = server_errors + connection_errors
            if failed:
                notes[f"{name}: last failure after (s)"] = round(max(event[0] for event in failed) - begin, 2)
                notes[f"{name}: failures by kind"] = dict(
                    collections.Counter(f"{kind}:{status}" for _, kind, status in failed)
                )
            if name in ("steady", "instance B back", "Redis back") and failed:
                failures.append(f"{len(failed)} failed requests in the {name} phase")
        print(
            f"\ntotal: {total['requests']} requests, {total['server_errors']} 5xx, "
            f"{total['connection_errors']} connection errors"
        )
        for key, value in notes.items():
            print(f"  {key}: {value}")
    finally:
        stop.set()
        if cluster is not None:
            cluster.stop()
        for server in (redis_server, moto):
            try:
                server.stop()
            except Exception as exc:  # noqa: BLE001 - clean up the rest regardless
                print(f"cleanup: {exc}", file=sys.stderr)
        postgres.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    for failure in failures:
        print(f"FAILED: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
