"""What usage counting (portal/usage/) costs the token endpoint: client-credentials tokens with
USAGE_COUNTING on and off, side by side, interleaved.

    BENCH_PORT=18460 BENCH_PG_ADMIN_DB=h_insights BENCH_REDIS_URL=redis://127.0.0.1:6379/4 \\
        .venv/bin/python benchmarks/usage_overhead.py

It reuses compare_stock.py's machinery (its gunicorn settings, wrk with every status checked, CPU per request,
interleaved rounds whose order alternates; read its docstring) for two copies of the portal that differ only
in USAGE_COUNTING, each on a fresh database seeded by bench_fixture.py. BENCH_ENGINES (default postgresql),
BENCH_DURATION, BENCH_ROUNDS, BENCH_PORT (this one and the next) and BENCH_PG / BENCH_PG_ADMIN_DB are
compare_stock.py's. BENCH_REDIS_URL puts the cache in Redis, as in production (the counters then cost a
network round trip); without it each worker counts in its own memory. At the end `flush_usage` runs once on
the counting side, and the tokens it moved into the database are checked against the requests served.
"""

from __future__ import annotations

import datetime
import json
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import compare_stock as cs  # noqa: E402 - after benchmarks/ is on the path

ENGINES = os.environ.get("BENCH_ENGINES", "postgresql").split(",")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "")
FLOW = "client_credentials"
MICRO = (
    "import time; from portal.usage import counters; n = 20000; "
    "wall, cpu = time.perf_counter(), time.process_time(); "
    "count = lambda: counters.token_issued(application_id=1, grant_type='client_credentials', user_id=None); "
    "[count() for _ in range(n)]; "
    "print(f'{(time.perf_counter() - wall) / n * 1e6:.1f} {(time.process_time() - cpu) / n * 1e6:.1f}')"
)


def make_sides(engine: str, workdir: Path, keys: dict) -> list[cs.Project]:
    common = {
        **os.environ,
        **keys,
        "PYTHONPATH": str(cs.ROOT),
        "DEBUG": "0",
        "DATABASE_CONN_MAX_AGE": "600",
        "LOG_LEVEL": "ERROR",
        "DJANGO_SETTINGS_MODULE": "portal.settings",
    }
    if REDIS_URL:
        common["REDIS_URL"] = REDIS_URL
    sides = []
    for offset, (name, counting) in enumerate([("counting-on", "1"), ("counting-off", "0")]):
        directory = workdir / engine / name
        directory.mkdir(parents=True)
        url, dbname = cs.fresh_database(engine, directory, f"bench_usage_{name.split('-')[1]}")
        env = {
            **common,
            "DATABASE_URL": url,
            "USAGE_COUNTING": counting,
            # Each side its own cache keys, so the off side can be checked to count nothing.
            "CACHE_KEY_PREFIX": f"bench-{name}",
        }
        sides.append(cs.Project(name, "portal.settings", cs.BASE_PORT + offset, env, dbname, directory))
    return sides


def bench(engine: str, workdir: Path, wrk: str, keys: dict) -> list[str]:
    sides = make_sides(engine, workdir, keys)
    on, off = sides
    for side in sides:
        side.run("benchmarks/bench_fixture.py", "seed", str(side.workdir), "10")
        side.fixture = json.loads((side.workdir / "fixture.json").read_text())
        if engine == "sqlite":
            with sqlite3.connect(side.workdir / "db.sqlite3") as db:
                db.execute("PRAGMA journal_mode=WAL")
    results = {side.name: cs.Result() for side in sides}
    try:
        for side in sides:
            side.start()
        for round_no in range(cs.ROUNDS):
            for side in sides if round_no % 2 == 0 else reversed(sides):
                run = cs.wrk_flow(side, FLOW, round_no, wrk)
                results[side.name].runs.append(run)
                cs.log(
                    f"[{engine}] round {round_no + 1}/{cs.ROUNDS} {side.name:<13} {run.rps:8.1f} req/s "
                    f"(load {run.load:.2f})"
                )
        flushed = on.run("manage.py", "flush_usage")
        counted = on.run(
            "manage.py",
            "shell",
            "-c",
            "from django.db.models import Sum; from portal.usage.models import UsageDaily; "
            "rows = UsageDaily.objects.filter(kind='token.client_credentials'); "
            "print(rows.aggregate(n=Sum('count'))['n'] or 0)",
        )
        uncounted = off.run("manage.py", "flush_usage")
        # What one count costs the worker, without the server around it: wall and CPU time per call.
        micro = on.run("manage.py", "shell", "-c", MICRO).split()[-2:]
    finally:
        for side in sides:
            side.stop()
        if engine == "postgresql":
            for side in sides:
                cs._pg_admin(f"DROP DATABASE IF EXISTS {side.dbname}")
    served = sum(run.requests for run in results["counting-on"].runs)
    ratio = results["counting-on"].rps / results["counting-off"].rps
    cpu = {
        name: sum(r.cpu_s for r in result.runs) / sum(r.requests for r in result.runs) * 1000
        for name, result in results.items()
    }
    per_round = [
        f"{a.rps / b.rps:.3f}"
        for a, b in zip(results["counting-on"].runs, results["counting-off"].runs, strict=True)
    ]
    return [
        f"## {engine}: client-credentials tokens, cache {'Redis' if REDIS_URL else 'local memory'}, gunicorn "
        f"{cs.WORKERS} sync workers, wrk -t{cs.THREADS} -c{cs.CONNECTIONS} -d{cs.DURATION}s, {cs.ROUNDS} "
        "interleaved rounds (medians)",
        "",
        "| side | requests/s, latency, CPU per request |",
        "| --- | --- |",
        *(f"| {name} | {result.cell()} |" for name, result in results.items()),
        "",
        f"counting on / off: {ratio:.3f} of the throughput (per round: {', '.join(per_round)}); "
        f"CPU per request {cpu['counting-on']:.2f} vs {cpu['counting-off']:.2f} ms",
        f"flush_usage after the runs: {flushed.strip()} -> {int(counted.split()[-1])} client-credentials "
        "tokens counted "
        f"for {served} answered to wrk (a request in flight when wrk stops is served, not counted by wrk); "
        f"counting off: {uncounted.strip()}",
        f"median of per-round ratios: {statistics.median(float(r) for r in per_round):.3f}",
        f"one count in-process ({'Redis' if REDIS_URL else 'local memory'}): {micro[0]} µs wall, "
        f"{micro[1]} µs CPU of the worker, per token request",
    ]


def main() -> None:
    wrk = cs.ensure_wrk()
    started = datetime.datetime.now(datetime.UTC)
    report = [
        f"# Usage counting on vs off, {started:%Y-%m-%d %H:%M} UTC",
        f"machine at start: {cs.machine()}",
    ]
    tmp = tempfile.mkdtemp(prefix="bench-usage-")
    try:
        keys = cs.production_keys(Path(tmp))
        for engine in ENGINES:
            report += ["", *bench(engine.strip(), Path(tmp), wrk, keys)]
    finally:
        if not os.environ.get("BENCH_KEEP"):
            shutil.rmtree(tmp, ignore_errors=True)
    report.append(
        f"\nmachine at end: {cs.machine()}; whole run {datetime.datetime.now(datetime.UTC) - started}"
    )
    print("\n" + "\n".join(report))


if __name__ == "__main__":
    main()
