"""The portal against a stock django-oauth-toolkit 3.4.1 project, side by side, in one run (`make bench`).

    .venv/bin/python benchmarks/compare_stock.py            # SQLite and PostgreSQL
    BENCH_ENGINES=sqlite BENCH_DURATION=3 BENCH_ROUNDS=2 .venv/bin/python benchmarks/compare_stock.py

For each database engine it builds three fresh databases (the portal; stock DOT with its default client-secret
hasher, PBKDF2 at 1,000,000 rounds; stock DOT "tuned" with a one-iteration hasher), seeds each the same way
(benchmarks/bench_fixture.py), counts each flow's queries in-process, then serves each with the same gunicorn
settings (4 sync workers, DEBUG off, persistent connections) on loopback and drives it with `wrk` (installed
with apt-get when missing). The flows run in interleaved rounds (portal, stock, stock, portal, ...) so a
change in the machine's load hits both sides alike; every response's status is checked and a figure with any
non-200 answer or socket error is refused, not reported. CPU per request is the gunicorn processes' CPU time
(and, on PostgreSQL, the database backends') divided by the requests served.

PostgreSQL: BENCH_PG (default postgres://postgres@127.0.0.1:5432) and a maintenance database BENCH_PG_ADMIN_DB
(default h_perf) from which the bench_* databases are created and dropped. Ports: BENCH_PORT (default 18110)
and the next two.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import re
import secrets
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
DURATION = int(os.environ.get("BENCH_DURATION", "4"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
ENGINES = os.environ.get("BENCH_ENGINES", "sqlite,postgresql").split(",")
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
PG_ADMIN_DB = os.environ.get("BENCH_PG_ADMIN_DB", "h_perf")
BASE_PORT = int(os.environ.get("BENCH_PORT", "18110"))
WORKERS = os.environ.get("BENCH_WORKERS", "4")
THREADS, CONNECTIONS = 2, 8
# Codes and refresh tokens are spent once each: enough for every round at 400 exchanges a second.
POOL = int(os.environ.get("BENCH_POOL", str(400 * DURATION * (ROUNDS + 1))))
CLK_TCK = os.sysconf("SC_CLK_TCK")

FLOWS = ["client_credentials", "authorization_code", "refresh", "introspection", "api_me"]
LABELS = {
    "client_credentials": "client-credentials token",
    "authorization_code": "authorization code + PKCE exchange",
    "refresh": "refresh (rotating)",
    "introspection": "introspection",
    "api_me": "GET /api/me (bearer)",
    "bare": "bare JsonResponse view (ceiling)",
}

LUA = r"""
local threads = {}
local counter = 0
function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end
function init(args)
  bad = 0
  values = {}
  if VALUES ~= "" then
    for line in io.lines(VALUES) do values[#values + 1] = line end
  end
  idx = tid + 1
end
function request()
  local body = BODY
  if #values > 0 then
    -- each thread takes every THREADS-th value, so no code or refresh token is sent twice
    local v = values[idx] or "exhausted"
    idx = idx + NTHREADS
    body = string.gsub(BODY, "{v}", v)
  end
  return wrk.format(METHOD, PATH, HEADERS, body)
end
function response(status, headers, body)
  if status ~= 200 then
    bad = bad + 1
    if bad == 1 then first_bad = status .. " " .. string.sub(body or "", 1, 200) end
  end
end
function done(summary, latency, requests)
  local total = 0
  for _, t in ipairs(threads) do
    total = total + t:get("bad")
    local first = t:get("first_bad")
    if first then io.write("BENCH_FIRST_BAD " .. first .. "\n") end
  end
  io.write(string.format("BENCH_NON200 %d\n", total))
end
"""


def log(message: str) -> None:
    print(message, flush=True)


def machine() -> str:
    cpu = "unknown CPU"
    with open("/proc/cpuinfo") as handle:
        for line in handle:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} cores ({cpu}), load average {load}, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}"
    )


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    log("wrk is missing: installing Debian's package (apt-get install wrk)")
    subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=False, capture_output=True)  # noqa: S607
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk is not installed and apt-get could not install it (run: apt-get install wrk)")
    return found


# --- Processes and their CPU time -------------------------------------------------------------------


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds used) of a process, or None when it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / CLK_TCK


def _all_pids() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def cpu_of(master: int, dbname: str | None) -> dict[int, float]:
    """CPU seconds of a gunicorn master, its workers, and (PostgreSQL) the backends serving `dbname`."""
    usage: dict[int, float] = {}
    for pid in _all_pids():
        stat = _stat(pid)
        if stat is None:
            continue
        parent, seconds = stat
        if pid == master or parent == master:
            usage[pid] = seconds
        elif dbname:
            try:
                title = (
                    Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                )
            except OSError:
                continue
            if title.startswith("postgres: ") and f" {dbname} " in title:
                usage[pid] = seconds
    return usage


def cpu_spent(before: dict[int, float], after: dict[int, float]) -> float:
    # A process that appeared during the run (a new backend) counts from zero.
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


# --- The three projects ------------------------------------------------------------------------------


@dataclass
class Project:
    name: str
    settings: str
    port: int
    env: dict
    dbname: str | None = None
    workdir: Path = field(default_factory=Path)
    process: subprocess.Popen | None = None
    fixture: dict = field(default_factory=dict)
    queries: dict = field(default_factory=dict)
    offsets: dict = field(default_factory=dict)

    def run(self, *args: str) -> str:
        result = subprocess.run(  # noqa: S603 - this interpreter, arguments written here
            [PYTHON, *args], cwd=ROOT, env=self.env, capture_output=True, text=True, check=False
        )
        if result.returncode:
            raise SystemExit(f"{self.name}: {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - this interpreter's gunicorn, fixed arguments
            [
                PYTHON,
                "-m",
                "gunicorn",
                "--workers",
                WORKERS,
                "--worker-class",
                "sync",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--log-level",
                "warning",
                "portal.wsgi:application"
                if self.settings == "portal.settings"
                else "benchmarks.stock_dot.wsgi:application",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=open(self.workdir / "gunicorn.log", "w"),  # noqa: SIM115 - lives as long as the server
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/o/.well-known/nothing", timeout=2)
            except urllib.error.HTTPError:
                return  # answering (404): up
            except OSError:
                time.sleep(0.3)
        raise SystemExit(f"{self.name} did not start; see {self.workdir / 'gunicorn.log'}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=30)


def _pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG}/{PG_ADMIN_DB}", autocommit=True) as conn:
        conn.execute(sql)


def fresh_database(engine: str, directory: Path, name: str) -> tuple[str, str | None]:
    """An empty database for one side of a run: a SQLite file in `directory`, or PostgreSQL database
    `name` dropped and created again. Returns its URL and the PostgreSQL name (None for SQLite)."""
    if engine == "sqlite":
        return f"sqlite:///{directory / 'db.sqlite3'}", None
    _pg_admin(f"DROP DATABASE IF EXISTS {name}")
    _pg_admin(f"CREATE DATABASE {name}")
    return f"{PG}/{name}", name


def make_projects(engine: str, workdir: Path, keys: dict) -> list[Project]:
    common = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DEBUG": "0",
        "DATABASE_CONN_MAX_AGE": "600",
        "LOG_LEVEL": "ERROR",
    }
    projects = []
    for offset, (name, settings, extra) in enumerate(
        [
            ("portal", "portal.settings", keys),
            ("stock-tuned", "benchmarks.stock_dot.settings", {"BENCH_STOCK_TUNED": "1"}),
            ("stock-default", "benchmarks.stock_dot.settings", {"BENCH_STOCK_TUNED": "0"}),
        ]
    ):
        directory = workdir / engine / name
        directory.mkdir(parents=True)
        url, dbname = fresh_database(engine, directory, f"bench_{name.replace('-', '_')}")
        env = {**common, **extra, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": settings}
        projects.append(Project(name, settings, BASE_PORT + offset, env, dbname, directory))
    return projects


def production_keys(workdir: Path) -> dict:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    (workdir / "oidc.pem").write_bytes(pem)
    return {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "CLIENT_SECRET_HMAC_KEYS": f"bench:{secrets.token_urlsafe(40)}",
        "OIDC_RSA_PRIVATE_KEY_FILE": str(workdir / "oidc.pem"),
        "ALLOWED_HOSTS": "127.0.0.1",
        # Plain http on loopback: no redirect to https, which a TLS proxy would do in production.
        "SECURE_SSL_REDIRECT": "0",
        # One loopback address and one client send every request: the token endpoint's limits (300/m per
        # address) and introspection's (3000/m) would answer 429. Still counted on each request, so their
        # cost is measured; never reached.
        "RATE_LIMIT_TOKEN_PER_ADDRESS": "1000000/m",
        "RATE_LIMIT_TOKEN_PER_CLIENT": "1000000/m",
        "RATE_LIMIT_INTROSPECT_REVOKE_PER_ADDRESS": "1000000/m",
        "RATE_LIMIT_INTROSPECT_REVOKE_PER_CLIENT": "1000000/m",
    }


# --- Load ---------------------------------------------------------------------------------------------


@dataclass
class Run:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    cpu_s: float
    load: float


def _ms(text: str) -> float:
    number, unit = re.match(r"([\d.]+)(\w+)", text).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def wrk_flow(project: Project, flow: str, round_no: int, wrk: str) -> Run:
    from bench_flows import flows  # noqa: PLC0415 - only after sys.path has benchmarks/

    if flow == "bare":
        method, path, data, auth = "get", "/bare", {}, ""
    else:
        method, path, data, auth = flows(project.fixture, 0)[flow]
    values = ""
    if flow in ("authorization_code", "refresh"):
        # This run's own slice of the seeded codes / refresh tokens.
        source = project.workdir / ("codes.txt" if flow == "authorization_code" else "refresh.txt")
        per_run = project.fixture["count"] // (ROUNDS + 1)
        lines = source.read_text().splitlines()[round_no * per_run : (round_no + 1) * per_run]
        values_path = project.workdir / f"{flow}-{round_no}.txt"
        values_path.write_text("\n".join(lines) + "\n")
        values = str(values_path)
        data = {key: ("{v}" if key in ("code", "refresh_token") else value) for key, value in data.items()}
    from urllib.parse import urlencode

    body = urlencode(data, safe="{}") if data else ""
    headers = {"Host": "127.0.0.1"}
    if auth:
        headers["Authorization"] = auth
    if method == "post":
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    lua_headers = "{" + ", ".join(f'["{k}"] = "{v}"' for k, v in headers.items()) + "}"
    script = project.workdir / f"{flow}.lua"
    script.write_text(
        f'VALUES = "{values}"\nBODY = "{body}"\nMETHOD = "{method.upper()}"\nPATH = "{path}"\n'
        f"NTHREADS = {THREADS}\nHEADERS = {lua_headers}\n" + LUA
    )
    before = cpu_of(project.process.pid, project.dbname)
    result = subprocess.run(  # noqa: S603 - wrk with arguments written here
        [
            wrk,
            f"-t{THREADS}",
            f"-c{CONNECTIONS}",
            # Stock DOT's default hasher manages a few requests per second: give it time for a figure.
            f"-d{DURATION * 3 if project.name == 'stock-default' else DURATION}s",
            "--timeout",
            # Stock DOT's default hasher takes seconds per request on a busy machine: wait for its answers.
            "60s" if project.name == "stock-default" else "10s",
            "--latency",
            "-s",
            str(script),
            f"http://127.0.0.1:{project.port}{path}",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    after = cpu_of(project.process.pid, project.dbname)
    out = result.stdout
    bad = int(re.search(r"BENCH_NON200 (\d+)", out).group(1)) if "BENCH_NON200" in out else -1
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    socket_errors = sum(int(n) for n in socket.groups()) if socket else 0
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    if bad or socket_errors or not requests:
        raise FigureRefused(
            f"{project.name} {flow}: {bad} non-200 answers and {socket_errors} socket errors "
            f"in {requests} requests; wrk said:\n{out}{result.stderr}\n"
            f"(server log: {project.workdir / 'gunicorn.log'})"
        )
    latencies = dict(re.findall(r"^\s*(50|99)(?:\.0+)?%\s+([\d.]+[a-z]+)", out, re.M))
    return Run(
        rps=float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        p50_ms=_ms(latencies["50"]),
        p99_ms=_ms(latencies["99"]),
        requests=requests,
        cpu_s=cpu_spent(before, after),
        load=os.getloadavg()[0],
    )


class FigureRefused(Exception):
    pass


@dataclass
class Result:
    runs: list[Run] = field(default_factory=list)
    refused: str = ""

    @property
    def rps(self) -> float:
        return statistics.median(run.rps for run in self.runs)

    def cell(self) -> str:
        if self.refused:
            return "refused (errors)"
        p50 = statistics.median(run.p50_ms for run in self.runs)
        p99 = statistics.median(run.p99_ms for run in self.runs)
        cpu = sum(run.cpu_s for run in self.runs) / sum(run.requests for run in self.runs) * 1000
        return f"{self.rps:8.1f} req/s  p50 {p50:6.1f} ms  p99 {p99:7.1f} ms  CPU {cpu:6.2f} ms/req"


def bench_engine(engine: str, workdir: Path, wrk: str, keys: dict) -> list[str]:
    projects = make_projects(engine, workdir, keys)
    portal, tuned, default = projects
    for project in projects:
        pool = POOL if project is not default else 50
        log(f"[{engine}] seeding {project.name} ({pool:,} codes and refresh tokens)")
        project.run("benchmarks/bench_fixture.py", "seed", str(project.workdir), str(pool))
        project.fixture = json.loads((project.workdir / "fixture.json").read_text())
        if engine == "sqlite":
            # WAL (kept in the file) lets readers go on beside the one writer; the same for every side.
            with sqlite3.connect(project.workdir / "db.sqlite3") as db:
                db.execute("PRAGMA journal_mode=WAL")
    for project in (portal, tuned):
        project.queries = json.loads(
            project.run("benchmarks/bench_fixture.py", "count", str(project.workdir))
        )
    plan = [(flow, (portal, tuned)) for flow in FLOWS]
    plan.insert(1, ("client_credentials", (default,)))
    plan.append(("bare", (tuned,)))
    results: dict[tuple[str, str], Result] = {}
    loads = []
    try:
        for project in projects:
            project.start()
        for round_no in range(ROUNDS):
            for flow, sides in plan:
                # Alternate who goes first, so a burst of load from elsewhere does not favour one side.
                for project in sides if round_no % 2 == 0 else tuple(reversed(sides)):
                    result = results.setdefault((flow, project.name), Result())
                    if result.refused:
                        continue
                    try:
                        run = wrk_flow(project, flow, round_no, wrk)
                    except FigureRefused as exc:
                        result.refused = str(exc)
                        log(f"[{engine}] REFUSED {exc}")
                        continue
                    result.runs.append(run)
                    loads.append(run.load)
                    log(
                        f"[{engine}] round {round_no + 1}/{ROUNDS} {project.name:<13} {flow:<19} "
                        f"{run.rps:8.1f} req/s  (load {run.load:.2f})"
                    )
    finally:
        for project in projects:
            project.stop()
        if engine == "postgresql":
            for project in projects:
                _pg_admin(f"DROP DATABASE IF EXISTS {project.dbname}")
    lines = [
        f"## {engine}: gunicorn {WORKERS} sync workers, wrk -t{THREADS} -c{CONNECTIONS} -d{DURATION}s, "
        f"{ROUNDS} interleaved rounds (medians), load average during the runs "
        f"{min(loads, default=0):.2f}-{max(loads, default=0):.2f}",
        "",
        "| flow | side | requests/s, latency, CPU per request | queries | portal/stock |",
        "| --- | --- | --- | --- | --- |",
    ]
    for flow in [*FLOWS, "bare"]:
        for project in (portal, tuned, default):
            result = results.get((flow, project.name))
            if result is None:
                continue
            queries = (portal if project is portal else tuned).queries.get(flow, "")
            ratio = ""
            if project is not portal and not result.refused:
                mine = results.get((flow, "portal"))
                if mine and not mine.refused and mine.runs:
                    ratio = f"{mine.rps / result.rps:.2f}x"
            lines.append(f"| {LABELS[flow]} | {project.name} | {result.cell()} | {queries} | {ratio} |")
    if (("api_me", "portal") in results) and (("bare", "stock-tuned") in results):
        me, bare = results[("api_me", "portal")], results[("bare", "stock-tuned")]
        if me.runs and bare.runs and not me.refused and not bare.refused:
            lines.append(f"\nportal GET /api/me = {me.rps / bare.rps:.0%} of the bare view")
    return lines


def main() -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    wrk = ensure_wrk()
    started = datetime.datetime.now(datetime.UTC)
    log(f"machine: {machine()}")
    report = [
        f"# Portal vs stock DOT 3.4.1, {started:%Y-%m-%d %H:%M} UTC",
        f"machine at start: {machine()}",
    ]
    # BENCH_KEEP=1 keeps the working directory (databases, server logs) for a look after a refusal.
    tmp = tempfile.mkdtemp(prefix="bench-")
    try:
        keys = production_keys(Path(tmp))
        for engine in ENGINES:
            report += ["", *bench_engine(engine.strip(), Path(tmp), wrk, keys)]
    finally:
        if not os.environ.get("BENCH_KEEP"):
            shutil.rmtree(tmp, ignore_errors=True)
    report.append(f"\nmachine at end: {machine()}; whole run {datetime.datetime.now(datetime.UTC) - started}")
    print("\n" + "\n".join(report))


if __name__ == "__main__":
    main()
