"""Sightline benchmark: a large organisation, a real load generator, every figure beside a same-run baseline.

Run:  uv run python tests/perf/bench.py            (embedded PostgreSQL in a temporary directory)
      DATABASE_URL=postgresql://postgres@127.0.0.1:5432/sightline_bench uv run python tests/perf/bench.py
      (DATABASE_URL here is an administrator's: the bench creates the roles, serves as the app role and loads
      its large organisation directly as the administrator)
      uv run python tests/perf/bench.py --help     (options: chosen rows only, reuse a loaded organisation, ...)

Load generator: wrk (Debian package `wrk`) over loopback, pinned with taskset to a different core than the
service (service on core 0, wrk on core 1; PostgreSQL is not pinned). Baselines measured in the same run:
a FastAPI endpoint returning a constant (framework ceiling for reads), raw asyncpg INSERT transactions
(database ceiling for writes) and a FastAPI POST committing one such INSERT (framework ceiling for writes).
Writes docs/benchmarks.md. Not part of the test suite's pass/fail.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
SIZE = {"objectives": 1000, "key_results": 5000, "check_ins": 200_000, "initiatives": 2000, "levels": 6}
DURATION_S = int(os.environ.get("BENCH_SECONDS", "10"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "32"))
# write_report replaces docs/benchmarks.md up to this line and keeps what follows it (hand-written analysis).
KEEP_MARKER = "<!-- bench.py keeps everything below this line -->"
ROW_NAMES = (
    "GET objective",
    "list objectives",
    "line of sight",
    "scoreboard",
    "alignment map",
    "POST check-in with Idempotency-Key",
    "batch",
    "mixed load",
    "webhook",
)
# --table: which tables run, as the number of API workers of each. The first: one worker pinned to core 0, wrk on
# core 1 (the per-core figures the goals are stated in). The second: two workers, wrk beside them, on both cores.
TABLES = {"1": (1,), "2": (2,), "both": (1, 2)}


@dataclass
class Row:
    name: str
    rps: float | None
    p50_ms: float | None
    p99_ms: float | None
    baseline: str
    ratio: float | None
    target: str
    met: bool | None
    note: str = ""
    by_kind: dict[str, tuple[float, float]] | None = None  # the mixed load's p50 and p99 per kind of request


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pin(core: int) -> list[str]:
    return ["taskset", "-c", str(core)] if shutil.which("taskset") and (os.cpu_count() or 1) > 1 else []


@contextmanager
def server(
    args: list[str], env: dict[str, str], port: int, *, pinned: bool = True
) -> Iterator[subprocess.Popen[bytes]]:
    """`args` running (on core 0 when `pinned`, else on every core) until its port answers; SIGINT at the end."""
    process = subprocess.Popen(
        [*(pin(0) if pinned else []), *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code in (200, 404):
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            raise RuntimeError(
                "server did not start: " + (process.stderr.read(4000).decode() if process.stderr else "")
            )
        yield process
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def wrk(
    url: str,
    *,
    connections: int | None = None,
    seconds: int | None = None,
    script: str | None = None,
    headers: dict[str, str] | None = None,
    pinned: bool = True,
) -> tuple[float, float, float]:
    """Requests/s, p50 ms, p99 ms from wrk --latency (non-2xx responses make the run fail); on core 1 when
    `pinned`, else on every core (beside the service's workers)."""
    connections, seconds = connections or CONNECTIONS, seconds or DURATION_S
    command = [*(pin(1) if pinned else []), "wrk", "-t", "1", "-c", str(connections), "-d", f"{seconds}s", "--latency"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    if script:
        command += ["-s", script]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in output:
        raise RuntimeError(f"non-2xx responses from {url}:\n{output}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    return rps, _latency(output, "50%"), _latency(output, "99%")


def _latency(output: str, percentile: str) -> float:
    value, unit = re.search(rf"{percentile}\s+([\d.]+)(us|ms|s)", output).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def latencies(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


async def vacuum_unless_autovacuum(dsn: str) -> bool:
    """VACUUM (ANALYZE) the database when its server runs without autovacuum (as this machine's does), standing in
    for what the daemon does between the write rows in production: without it, every row after the first
    write row reads the dead tuples the earlier ones left (the roll-up marks' queue most). True when it ran."""
    connection = await asyncpg.connect(dsn)
    try:
        if await connection.fetchval("SHOW autovacuum") == "on":
            return False
        await connection.execute("VACUUM (ANALYZE)")
        return True
    finally:
        await connection.close()


async def raw_insert_rate(dsn: str, seconds: int | None = None, connections: int = 8) -> float:
    """Database ceiling for writes: one-row INSERT transactions over asyncpg, as fast as they go."""
    seconds = seconds or DURATION_S
    setup = await asyncpg.connect(dsn)
    await setup.execute(
        "DROP TABLE IF EXISTS bench_raw; CREATE TABLE bench_raw (id uuid PRIMARY KEY, "
        "org_id uuid, value double precision, at timestamptz)"
    )
    await setup.close()
    stop = time.monotonic() + seconds
    counts = [0] * connections

    async def writer(i: int) -> None:
        conn = await asyncpg.connect(dsn)
        while time.monotonic() < stop:
            async with conn.transaction():
                await conn.execute(
                    "INSERT INTO bench_raw VALUES ($1, $2, $3, now())", uuid.uuid4(), uuid.uuid4(), random.random()
                )
            counts[i] += 1
        await conn.close()

    await asyncio.gather(*[writer(i) for i in range(connections)])
    return sum(counts) / seconds


async def load_large_org(dsn: str, base: str) -> dict[str, object]:
    """A realistic large organisation: signed up through the API, bulk-loaded with SQL."""
    email = f"bench-{uuid.uuid4().hex[:6]}@example.test"
    async with httpx.AsyncClient(base_url=base) as client:
        me = (
            await client.post(
                "/api/v1/signup",
                json={"organisation_name": "Bench Co", "name": "Bench", "email": email, "password": "bench-password-1"},
            )
        ).json()
        key = (
            await client.post("/api/v1/api-keys", json={"name": "bench", "scopes": ["read", "write", "admin"]})
        ).json()["secret"]
        year = datetime.now(UTC).year
        cycle = (
            await client.post(
                "/api/v1/cycles",
                json={
                    "name": f"FY{year}",
                    "start_date": f"{year}-01-01",
                    "end_date": f"{year}-12-31",
                    "state": "active",
                },
            )
        ).json()
    org, owner, cycle_id = uuid.UUID(me["organisation"]["id"]), uuid.UUID(me["member"]["id"]), uuid.UUID(cycle["id"])
    conn = await asyncpg.connect(dsn)
    try:
        teams = [uuid.uuid4() for _ in range(20)]
        await conn.executemany(
            "INSERT INTO teams (org_id, id, name, parent_id) VALUES ($1, $2, $3, $4)",
            [(org, t, f"Team {i}", teams[0] if i else None) for i, t in enumerate(teams)],
        )
        levels: list[list[uuid.UUID]] = [[uuid.uuid4() for _ in range(5)]]
        per_level = (SIZE["objectives"] - 5) // (SIZE["levels"] - 1)
        for _ in range(SIZE["levels"] - 1):
            levels.append([uuid.uuid4() for _ in range(per_level)])
        rows = [
            (
                org,
                o,
                cycle_id,
                f"Objective {d}.{i}",
                "company" if d == 0 else "team",
                None if d == 0 else random.choice(teams),
                owner,
                "key_results" if d in (0, SIZE["levels"] - 1) else "both",
            )
            for d, level in enumerate(levels)
            for i, o in enumerate(level)
        ]
        await conn.executemany(
            "INSERT INTO objectives (org_id, id, cycle_id, title, level, team_id, owner_id, "
            "progress_from) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            rows,
        )
        links = [
            (
                org,
                uuid.uuid4(),
                child,
                parent,
                parent,
                random.choice(["cascade", "contributes"]),
                round(random.uniform(0.2, 1.0), 2),
                "bench",
            )
            for d in range(1, len(levels))
            for child in levels[d]
            for parent in [random.choice(levels[d - 1])]
        ]
        await conn.executemany(
            "INSERT INTO alignments (org_id, id, child_objective_id, parent_objective_id, "
            "parent_node_id, kind, weight, actor) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            links,
        )
        objective_ids = [o for level in levels for o in level]
        per_objective = SIZE["key_results"] // len(objective_ids)
        await conn.execute(
            """INSERT INTO key_results (org_id, id, objective_id, title, owner_id, metric, direction, start_value,
                   target_value, stretch_value, previous_value, cadence, current_value, external_key)
               SELECT $1, gen_random_uuid(), o, 'KR ' || n, $2, 'number', 'increase', 0, 1000, 1400, 800, 'weekly',
                      0, 'bench:' || o || ':' || n
               FROM unnest($3::uuid[]) o, generate_series(1, $4) n""",
            org,
            owner,
            objective_ids,
            per_objective,
        )
        per_kr = SIZE["check_ins"] // (per_objective * len(objective_ids))
        start = datetime(datetime.now(UTC).year, 1, 1, tzinfo=UTC)
        await conn.execute(
            """INSERT INTO check_ins (org_id, id, key_result_id, value, confidence, actor, checked_in_at, created_at)
               SELECT $1, gen_random_uuid(), k.id, n * (10 + random() * 20), (random() * 10)::int, 'bench',
                      $2::timestamptz + n * interval '1 day', $2::timestamptz + n * interval '1 day'
               FROM key_results k, generate_series(1, $3) n WHERE k.org_id = $1""",
            org,
            start,
            per_kr,
        )
        await conn.execute(
            """UPDATE key_results k SET current_value = c.value, latest_confidence = c.confidence,
                   last_check_in_at = c.checked_in_at, progress = c.value / 1000, score = least(c.value / 1000, 1),
                   status = (ARRAY['on_track', 'at_risk', 'off_track', 'done'])[1 + floor(random() * 4)::int]
               FROM (SELECT DISTINCT ON (key_result_id) key_result_id, value, confidence, checked_in_at
                     FROM check_ins WHERE org_id = $1 ORDER BY key_result_id, checked_in_at DESC) c
               WHERE k.org_id = $1 AND k.id = c.key_result_id""",
            org,
        )
        if await conn.fetchval("SELECT to_regclass('initiatives') IS NOT NULL"):
            await conn.execute(
                """INSERT INTO initiatives (org_id, id, title, kind, owner_id, state, planned_budget, currency)
                   SELECT $1, gen_random_uuid(), 'Initiative ' || n, 'campaign', $2, 'in_progress', 10000, 'EUR'
                   FROM generate_series(1, $3) n""",
                org,
                owner,
                SIZE["initiatives"],
            )
        await conn.execute("ANALYZE")
        await store_rollups(dsn, org)
        kr_ids = [r["id"] for r in await conn.fetch("SELECT id FROM key_results WHERE org_id = $1", org)]
        leaves = [str(o) for o in levels[-1]]
    finally:
        await conn.close()
    return {
        "key": key,
        "cycle_id": str(cycle_id),
        "leaves": leaves,
        "parents": [str(o) for level in levels[:-1] for o in level],
        "kr_ids": [str(k) for k in kr_ids],
        "top": str(levels[0][0]),
    }


async def store_rollups(dsn: str, org: uuid.UUID) -> None:
    """The scheduled pass the service runs at start, for the organisation just loaded behind its back: statuses
    and stored objective roll-ups as the service keeps them (okrs/rollups.py)."""
    from sightline.db.engine import create_engine, session_factory
    from sightline.db.tenancy import set_tenant
    from sightline.okrs.recompute import recompute_org

    engine = create_engine(dsn)
    try:
        async with session_factory(engine)() as session, session.begin():
            await set_tenant(session, org)
            await recompute_org(session, org_id=org, now=datetime.now(UTC))
    finally:
        await engine.dispose()


def lua_random_path(paths: list[str], directory: Path, name: str) -> str:
    script = directory / f"{name}.lua"
    items = ",".join(json.dumps(p) for p in paths[:500])
    script.write_text(
        textwrap.dedent(f"""
        local paths = {{{items}}}
        math.randomseed(os.time())
        request = function() return wrk.format("GET", paths[math.random(#paths)]) end
    """)
    )
    return str(script)


def lua_check_in(kr_ids: list[str], directory: Path) -> str:
    """POST /check-ins on random key results, each with its own `Idempotency-Key` (the web client always sends
    one, and a keyed write is what issue 16 measures: the key is claimed and settled with the check-in)."""
    script = directory / "check_in.lua"
    items = ",".join(json.dumps(k) for k in kr_ids[:2000])
    script.write_text(
        textwrap.dedent(f"""
        local ids = {{{items}}}
        math.randomseed(os.time())
        local run = tostring(math.random(1, 1000000000))
        local n = 0
        wrk.method = "POST"
        wrk.headers["Content-Type"] = "application/json"
        request = function()
          n = n + 1
          wrk.headers["Idempotency-Key"] = "bench-" .. run .. "-" .. n
          local body = '{{"key_result_id": "' .. ids[math.random(#ids)] .. '", "value": ' .. math.random(1, 1000)
                       .. ', "confidence": 7}}'
          return wrk.format("POST", "/api/v1/check-ins", nil, body)
        end
    """)
    )
    return str(script)


async def batch_latencies(base: str, key: str, kr_ids: list[str], runs: int = 15) -> list[float]:
    samples = []
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=60) as client:
        for _ in range(runs):
            items = [
                {"key_result_id": random.choice(kr_ids), "value": random.randint(1, 999), "confidence": 6}
                for _ in range(1000)
            ]
            started = time.perf_counter()
            response = await client.post("/api/v1/check-ins:batch", json={"items": items})
            samples.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 201, response.text
    return samples


@dataclass
class MixedResult:
    statuses: dict[str, int]  # "2xx", "4xx", "503", "5xx" (other server errors), "transport" (no answer)
    acknowledged: int  # check-ins answered 201
    missing: int  # acknowledged check-ins absent from the database afterwards
    gained: int  # check-ins the database gained during the run
    rps: float
    p50_ms: float
    p99_ms: float
    by_kind: dict[str, tuple[float, float]]  # p50 and p99 ms of each kind of request (where the tail comes from)


def read_kind(path: str) -> str:
    """`GET /api/v1/objectives/{id}/line-of-sight` for any id: the mixed load's latencies by kind of read."""
    return "GET " + re.sub(r"[0-9a-f]{8}-[0-9a-f-]{27}", "{id}", path.split("?")[0].removeprefix("/api/v1"))


async def mixed_load(
    base: str, key: str, dsn: str, reads: list[str], kr_ids: list[str], clients: int = 200, seconds: int = 60
) -> MixedResult:
    """`clients` concurrent clients for `seconds`, each looping over reads (70 %), single check-ins (25 %) and
    batches of 20 (5 %). Every acknowledged check-in id is then looked up: a lost write shows as `missing`."""
    conn = await asyncpg.connect(dsn)
    before = await conn.fetchval("SELECT count(*) FROM check_ins")
    statuses: dict[str, int] = {}
    acknowledged: list[str] = []
    samples: list[float] = []
    kinds: dict[str, list[float]] = {}
    stop = time.monotonic() + seconds

    def count(outcome: str) -> None:
        statuses[outcome] = statuses.get(outcome, 0) + 1

    async def client(i: int) -> None:
        rng = random.Random(i)
        async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=120) as http:
            while time.monotonic() < stop:
                roll = rng.random()
                started = time.perf_counter()
                try:
                    if roll < 0.70:
                        path = rng.choice(reads)
                        kind = read_kind(path)
                        response = await http.get(path)
                    elif roll < 0.95:
                        kind = "POST check-in"
                        body = {"key_result_id": rng.choice(kr_ids), "value": rng.randint(1, 999), "confidence": 5}
                        keyed = {"Idempotency-Key": f"mixed-{uuid.uuid4()}"}  # as the web client sends every write
                        response = await http.post("/api/v1/check-ins", json=body, headers=keyed)
                        if response.status_code == 201:
                            acknowledged.append(response.json()["id"])
                    else:
                        kind = "POST batch of 20"
                        items = [{"key_result_id": rng.choice(kr_ids), "value": rng.randint(1, 999)} for _ in range(20)]
                        keyed = {"Idempotency-Key": f"mixed-{uuid.uuid4()}"}
                        response = await http.post("/api/v1/check-ins:batch", json={"items": items}, headers=keyed)
                        if response.status_code == 201:
                            acknowledged.extend(item["id"] for item in response.json()["items"])
                except httpx.HTTPError:
                    count("transport")
                    continue
                samples.append((time.perf_counter() - started) * 1000)
                kinds.setdefault(kind, []).append(samples[-1])
                code = response.status_code
                count("503" if code == 503 else f"{code // 100}xx")

    started = time.monotonic()
    await asyncio.gather(*[client(i) for i in range(clients)])
    elapsed = time.monotonic() - started
    after = await conn.fetchval("SELECT count(*) FROM check_ins")
    found = await conn.fetchval("SELECT count(*) FROM check_ins WHERE id = ANY($1::uuid[])", acknowledged)
    await conn.close()
    p50, p99 = latencies(samples)
    return MixedResult(
        statuses=statuses,
        acknowledged=len(acknowledged),
        missing=len(acknowledged) - found,
        gained=after - before,
        rps=len(samples) / elapsed,
        p50_ms=p50,
        p99_ms=p99,
        by_kind={kind: latencies(values) for kind, values in sorted(kinds.items())},
    )


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory = next(
        (line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")), "?"
    )
    load = os.getloadavg()[0]
    return (
        f"{os.cpu_count()} cores ({cpu}), {int(memory) // 1024 // 1024} GiB, Linux {platform.release()}, "
        f"Python {platform.python_version()}; load average {load:.1f} at the end of the run (other work on the "
        "machine inflates every figure, the baselines' included)"
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark Sightline against same-run baselines and write docs/benchmarks.md.",
        epilog="The database is DATABASE_URL when set, else an embedded PostgreSQL in a temporary directory.",
    )
    parser.add_argument(
        "--only",
        nargs="+",
        metavar="ROW",
        help=f"run only the rows whose name contains one of these (case-insensitive): {', '.join(ROW_NAMES)}; "
        "the baselines always run. The report is printed, not written.",
    )
    parser.add_argument("--seconds", type=int, default=DURATION_S, help="seconds per wrk row (BENCH_SECONDS)")
    parser.add_argument(
        "--connections", type=int, default=CONNECTIONS, help="wrk connections for throughput rows (BENCH_CONNECTIONS)"
    )
    parser.add_argument(
        "--state",
        type=Path,
        help="with DATABASE_URL: reuse the large organisation recorded in this JSON file (load it and write the "
        "file when missing), so repeated runs skip the load and profiles see the same data",
    )
    parser.add_argument(
        "--serve",
        action="store_true",
        help="load (or reuse) the organisation, start the service and wait (Ctrl-C stops): for py-spy or curl",
    )
    parser.add_argument("--clients", type=int, default=200, help="concurrent clients of the mixed-load row")
    parser.add_argument("--mixed-seconds", type=int, default=60, help="duration of the mixed-load row")
    parser.add_argument("--no-report", action="store_true", help="print the table without writing the report")
    parser.add_argument(
        "--table",
        choices=sorted(TABLES),
        default="both",
        help="1: one worker pinned to core 0 (wrk on core 1); 2: `serve --workers 2` on both cores (wrk too); "
        "both (the default). Only `both` writes the report; the webhook row belongs to table 1.",
    )
    return parser.parse_args(argv)


def selected(name: str, only: list[str] | None) -> bool:
    return only is None or any(o.lower() in name.lower() for o in only)


async def org_is_present(base: str, data: dict[str, object]) -> bool:
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {data['key']}"}) as client:
        return (await client.get(f"/api/v1/cycles/{data['cycle_id']}")).status_code == 200


def main() -> None:
    global CONNECTIONS, DURATION_S
    # A TERM (kill, timeout) unwinds like Ctrl-C, so `server` stops the service it started: an orphaned server
    # would go on running the jobs and dispatching webhooks from the benchmark's database.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    args = parse_args()
    DURATION_S, CONNECTIONS = args.seconds, args.connections
    from sightline.db.ddl import APP_ROLE
    from sightline.db.embedded import start_embedded_server
    from sightline.db.roles import OWNER_ROLE, as_login, create_roles
    from sightline.db.urls import asyncpg_dsn

    if args.state and not os.environ.get("DATABASE_URL"):
        raise SystemExit("--state needs DATABASE_URL (the embedded database is temporary)")
    tmp = Path(tempfile.mkdtemp(prefix="sightline-bench-"))
    admin_url = os.environ.get("DATABASE_URL") or start_embedded_server(tmp / "data")
    url, owner_url = as_login(admin_url, APP_ROLE), as_login(admin_url, OWNER_ROLE)
    asyncio.run(create_roles(admin_url, url, owner_url))
    dsn = asyncpg_dsn(admin_url)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SIGHTLINE_MIGRATION_DATABASE_URL": owner_url,
        "SIGHTLINE_LOG_LEVEL": "WARNING",
        "SIGHTLINE_DB_POOL_SIZE": "20",
        "SIGHTLINE_LOGIN_MAX_FAILURES_PER_ADDRESS": "100000",
        "SIGHTLINE_BUILD_CLIENT": "false",  # the API is measured; no web-app build on first start
        # The benchmark's organisation is its own: usable without a verification mail, and its one API key makes
        # thousands of requests a second (the budgets would answer 429, which fails a wrk row).
        "SIGHTLINE_SIGNUP_VERIFY_EMAIL": "false",
        "SIGHTLINE_RATE_LIMIT_PER_MINUTE": "0",
    }
    setup = Setup(args, env, dsn, tmp)
    if not args.serve:
        setup.raw_rate = asyncio.run(raw_insert_rate(dsn))
    tables = [measure_table(setup, workers) for workers in TABLES[args.table]]
    if args.serve:
        return
    if selected("webhook event → delivery", args.only) and 1 in TABLES[args.table]:
        if str(ROOT) not in sys.path:  # run as a script: the repository's `tests` package is beside it
            sys.path.insert(0, str(ROOT))
        from tests.webhook_receiver import measure_latency

        # Event-to-delivery: one event at a time, from its commit to its arrival at a local receiver, with the
        # dispatcher woken by LISTEN/NOTIFY (polling fallback set to 30 s, so a poll cannot explain the figure).
        latency = asyncio.run(measure_latency(url, events_count=1000))
        tables[0].append(
            Row(
                "webhook event → delivery (1,000 events)",
                None,
                latency.median_ms,
                latency.p99_ms,
                "—",
                None,
                "median < 100 ms",
                latency.median_ms < 100,
            )
        )
    partial = bool(args.no_report or args.only or args.table != "both")
    write_report(dict(zip(TABLES[args.table], tables, strict=True)), setup.load_s, write=not partial)
    shutil.rmtree(tmp, ignore_errors=True)


@dataclass
class Setup:
    """What every table shares: options, the service's environment, the database, the loaded organisation."""

    args: argparse.Namespace
    env: dict[str, str]
    dsn: str
    tmp: Path
    raw_rate: float = 0.0
    data: dict[str, object] | None = None
    load_s: float = 0.0


async def first_pass_done(dsn: str, cycle_id: str, *, since: datetime, timeout_s: float = 120.0) -> None:
    """Wait for the jobs' first scheduled pass after the service started (it refreshes every stored roll-up of the
    organisation, on the service's core when it runs in process): measured rows start after it, not during it."""
    connection = await asyncpg.connect(dsn)
    try:
        deadline = time.monotonic() + timeout_s
        query = "SELECT min(rollup_at) FROM objectives WHERE cycle_id = $1::uuid AND state <> 'archived'"
        while time.monotonic() < deadline:
            oldest = await connection.fetchval(query, cycle_id)
            if oldest is not None and oldest >= since:
                return
            await asyncio.sleep(0.5)
        print(f"note: the first scheduled pass had not finished after {timeout_s:.0f} s; measuring anyway")
    finally:
        await connection.close()


def constant_baseline(env: dict[str, str], *, workers: int) -> Row:
    """The framework ceiling for reads: a FastAPI endpoint returning a constant, in as many uvicorn workers."""
    port = free_port()
    command = [str(VENV_BIN / "uvicorn"), "constant_app:app", "--port", str(port), "--no-access-log"]
    command += ["--app-dir", str(Path(__file__).parent), "--workers", str(workers)]
    with server(command, env, port, pinned=workers == 1):
        rps, p50, p99 = wrk(f"http://127.0.0.1:{port}/constant", pinned=workers == 1)
    return Row("baseline: FastAPI constant endpoint", rps, p50, p99, "—", None, "—", None)


def insert_baseline(setup: Setup, *, workers: int) -> Row:
    """The framework ceiling for writes: the check-in row's requests (wrk script included) against a FastAPI
    endpoint that validates the body and commits one one-row INSERT (tests/perf/insert_app.py)."""
    port = free_port()
    command = [str(VENV_BIN / "uvicorn"), "insert_app:app", "--port", str(port), "--no-access-log"]
    command += ["--app-dir", str(Path(__file__).parent), "--workers", str(workers)]
    script = lua_check_in([str(uuid.uuid4()) for _ in range(100)], setup.tmp)
    env = {**setup.env, "BENCH_INSERT_DSN": setup.dsn}
    with server(command, env, port, pinned=workers == 1):
        rps, p50, p99 = wrk(f"http://127.0.0.1:{port}", script=script, pinned=workers == 1)
    ratio = rps / setup.raw_rate
    return Row(
        "baseline: FastAPI POST of one INSERT transaction", rps, p50, p99, "raw INSERT transaction", ratio, "—", None
    )


def measure_table(setup: Setup, workers: int) -> list[Row]:
    """One table: the baselines, then every selected row against `sightline serve --workers N` (one worker
    pinned to core 0 with wrk on core 1, or N workers and wrk sharing every core)."""
    rows: list[Row] = []
    if not setup.args.serve:
        rows.append(constant_baseline(setup.env, workers=workers))
        rows.append(Row("baseline: raw asyncpg INSERT transaction", setup.raw_rate, None, None, "—", None, "—", None))
        rows.append(insert_baseline(setup, workers=workers))
    port = free_port()
    command = [str(VENV_BIN / "sightline"), "serve", "--workers", str(workers), "--port", str(port)]
    started = datetime.now(UTC)
    with server(command, setup.env, port, pinned=workers == 1):
        base = f"http://127.0.0.1:{port}"
        data = loaded_org(setup, base)
        if setup.args.serve:
            leaves = data["leaves"]
            assert isinstance(leaves, list)
            print(f"serving {base}  key {data['key']}  cycle {data['cycle_id']}  leaf {leaves[0]}", flush=True)
            with contextlib.suppress(KeyboardInterrupt):
                while True:
                    time.sleep(3600)
            return rows
        assert rows[0].rps is not None
        asyncio.run(first_pass_done(setup.dsn, str(data["cycle_id"]), since=started))
        assert rows[2].rps is not None
        measure_rows(setup, rows, base, data, constant_rps=rows[0].rps, insert_rps=rows[2].rps, pinned=workers == 1)
    return rows


def loaded_org(setup: Setup, base: str) -> dict[str, object]:
    """The large organisation: loaded once per run (or reused from --state), through the service at `base`."""
    args = setup.args
    if setup.data is None and args.state and args.state.exists():
        saved = json.loads(args.state.read_text())
        if asyncio.run(org_is_present(base, saved)):
            setup.data, setup.load_s = saved, float(saved.get("load_s", 0.0))
    if setup.data is None:
        started = time.perf_counter()
        setup.data = asyncio.run(load_large_org(setup.dsn, base))
        setup.load_s = time.perf_counter() - started
        if args.state:
            args.state.write_text(json.dumps({**setup.data, "load_s": setup.load_s}))
    return setup.data


def measure_rows(
    setup: Setup,
    rows: list[Row],
    base: str,
    data: dict[str, object],
    *,
    constant_rps: float,
    insert_rps: float,
    pinned: bool,
) -> None:
    """Every selected row against the service at `base`, appended to `rows`."""
    args, only, tmp, dsn, raw_rate = setup.args, setup.args.only, setup.tmp, setup.dsn, setup.raw_rate
    auth = {"Authorization": f"Bearer {data['key']}"}
    leaves, kr_ids = data["leaves"], data["kr_ids"]
    assert isinstance(leaves, list) and isinstance(kr_ids, list)
    cycle_id = data["cycle_id"]

    def read(
        name: str,
        paths: list[str],
        target_ratio: float | None = None,
        connections: int | None = None,
        p99_target_ms: float | None = None,
    ) -> None:
        if not selected(name, only):
            return
        script = lua_random_path(paths, tmp, name.split()[0])
        rps, p50, p99 = wrk(base, connections=connections, script=script, headers=auth, pinned=pinned)
        ratio = rps / constant_rps
        if target_ratio is not None:
            rows.append(
                Row(
                    name,
                    rps,
                    p50,
                    p99,
                    "constant endpoint",
                    ratio,
                    f"≥ {target_ratio:.0%} of baseline",
                    ratio >= target_ratio,
                )
            )
        else:
            assert p99_target_ms is not None
            rows.append(
                Row(
                    name,
                    rps,
                    p50,
                    p99,
                    "constant endpoint",
                    ratio,
                    f"p99 < {p99_target_ms:.0f} ms",
                    p99 < p99_target_ms,
                )
            )

    parents = data.get("parents") or leaves  # objectives that roll up from children (state files before: leaves)
    assert isinstance(parents, list)
    read("GET objective", [f"/api/v1/objectives/{o}" for o in parents], target_ratio=0.35)
    read("GET key result", [f"/api/v1/key-results/{k}" for k in kr_ids[:1000]], target_ratio=0.35)
    read("GET cycle", [f"/api/v1/cycles/{cycle_id}"], target_ratio=0.35)
    read("list objectives (page of 50)", [f"/api/v1/objectives?limit=50&cycle_id={cycle_id}"], target_ratio=0.10)
    read("line of sight", [f"/api/v1/objectives/{o}/line-of-sight" for o in leaves], target_ratio=0.35)
    scoreboard = httpx.get(f"{base}/api/v1/cycles/{cycle_id}/scoreboard", headers=auth)
    if scoreboard.status_code == 200:
        read(
            "scoreboard (1,000 objectives, 5,000 KRs)",
            [f"/api/v1/cycles/{cycle_id}/scoreboard"],
            connections=1,
            p99_target_ms=40,
        )
    elif selected("scoreboard", only):
        rows.append(Row("scoreboard", None, None, None, "—", None, "p99 < 40 ms", None, "endpoint not present"))
    read(
        "alignment map (1,000 objectives)",
        [f"/api/v1/cycles/{cycle_id}/alignment-map"],
        connections=1,
        p99_target_ms=100,
    )

    if selected("POST check-in with Idempotency-Key", only):
        asyncio.run(vacuum_unless_autovacuum(dsn))
        script = lua_check_in(kr_ids, tmp)
        rps, p50, p99 = wrk(base, connections=CONNECTIONS, script=script, headers=auth, pinned=pinned)
        rows.append(
            Row(
                "POST check-in with Idempotency-Key",
                rps,
                p50,
                p99,
                "raw INSERT transaction",
                rps / raw_rate,
                "≥ 40% of baseline",
                rps / raw_rate >= 0.40,
                f"{rps / insert_rps:.0%} of the FastAPI POST baseline",
            )
        )
    if selected("batch of 1,000 check-ins", only):
        asyncio.run(vacuum_unless_autovacuum(dsn))
        samples = asyncio.run(batch_latencies(base, str(data["key"]), kr_ids))
        p50, p99 = latencies(samples)
        rows.append(
            Row(
                "batch of 1,000 check-ins",
                1000 / (p50 / 1000),
                p50,
                p99,
                "—",
                None,
                "p50 < 500 ms",
                p50 < 500,
                "rps = check-ins/s",
            )
        )

    if selected("mixed load", only):
        asyncio.run(vacuum_unless_autovacuum(dsn))
        # Concurrency: 200 clients at once, reads and writes mixed (issue 9, point 6).
        reads = [
            *(f"/api/v1/objectives/{o}" for o in leaves[:200]),
            *(f"/api/v1/objectives/{o}/line-of-sight" for o in leaves[:100]),
            f"/api/v1/objectives?limit=50&cycle_id={cycle_id}",
            f"/api/v1/cycles/{cycle_id}/scoreboard",
        ]
        mixed = asyncio.run(
            mixed_load(base, str(data["key"]), dsn, reads, kr_ids, clients=args.clients, seconds=args.mixed_seconds)
        )
        outcomes = ", ".join(f"{k} {v:,}" for k, v in sorted(mixed.statuses.items()))
        rows.append(
            Row(
                f"mixed load: {args.clients} clients, {args.mixed_seconds} s (70 % reads, 30 % check-ins)",
                mixed.rps,
                mixed.p50_ms,
                mixed.p99_ms,
                "—",
                None,
                "p99 < 1 s, 0 non-2xx, 0 lost writes",
                mixed.p99_ms < 1000 and set(mixed.statuses) == {"2xx"} and mixed.missing == 0,
                f"{outcomes}; {mixed.acknowledged:,} check-ins acknowledged, {mixed.missing} missing, "
                f"the database gained {mixed.gained:,}",
                by_kind=mixed.by_kind,
            )
        )


def kinds_table(rows: list[Row]) -> str:
    """The mixed load's latencies by kind of request, under the table (empty when it did not run)."""
    lines = []
    for row in rows:
        if row.by_kind:
            lines += ["", f"{row.name}, by kind of request:", "", "| request | p50 ms | p99 ms |", "|---|---:|---:|"]
            lines += [f"| {kind} | {p50:,.2f} | {p99:,.2f} |" for kind, (p50, p99) in row.by_kind.items()]
    return "\n".join(lines) + ("\n" if lines else "")


def markdown_table(rows: list[Row]) -> str:
    def fmt(value: float | None, digits: int = 1) -> str:
        return "—" if value is None else f"{value:,.{digits}f}"

    lines = [
        "| measurement | req/s | p50 ms | p99 ms | baseline | ratio | target | met |",
        "|---|---:|---:|---:|---|---:|---|---|",
    ]
    for r in rows:
        met = "—" if r.met is None else ("yes" if r.met else "**no**")
        ratio = "—" if r.ratio is None else f"{r.ratio:.0%}"
        lines.append(
            f"| {r.name} | {fmt(r.rps, 0)} | {fmt(r.p50_ms, 2)} | {fmt(r.p99_ms, 2)} | {r.baseline} | {ratio} "
            f"| {r.target} | {met}{' (' + r.note + ')' if r.note else ''} |"
        )
    return "\n".join(lines)


TWO_WORKERS = """\
## Two API workers on both cores

`sightline serve --workers 2` (two API processes, each with its own pools, and the job process), neither it nor
wrk pinned: the service, wrk and PostgreSQL share both cores, so this shows what the machine does as a whole, not
a per-core figure. The constant-endpoint and POST baselines run the same way (`uvicorn --workers 2`); the raw
INSERT baseline is the run's one measurement.

"""


def write_report(tables: dict[int, list[Row]], load_s: float, *, write: bool = True) -> None:
    """Print every table; with `write`, replace docs/benchmarks.md up to KEEP_MARKER with them."""
    for workers, rows in tables.items():
        print(f"\n{workers} API worker{'s' if workers > 1 else ''}:\n{markdown_table(rows)}{kinds_table(rows)}")
    if not write:
        return
    second = "".join(
        f"\n{TWO_WORKERS}{markdown_table(rows)}\n{kinds_table(rows)}"
        for workers, rows in tables.items()
        if workers == 2
    )
    report = ROOT / "docs" / "benchmarks.md"
    report.parent.mkdir(exist_ok=True)
    # The hand-written analysis after the marker line survives a re-run.
    kept = report.read_text().partition(KEEP_MARKER)[2] if report.exists() else ""
    report.write_text(
        textwrap.dedent(f"""\
        # Benchmarks

        Produced by `uv run python tests/perf/bench.py` on {date.today().isoformat()}.

        * Machine: {machine()}.
        * Data: one organisation with {SIZE["objectives"]:,} objectives in a {SIZE["levels"]}-level alignment graph,
          {SIZE["key_results"]:,} key results, {SIZE["check_ins"]:,} check-ins (loaded in {load_s:.1f} s).
        * Load generator: wrk 4.1, 1 thread, {CONNECTIONS} connections (1 for scoreboard and map: "low load"),
          {DURATION_S} s per row, over loopback; service pinned to core 0, wrk to core 1 (taskset);
          PostgreSQL unpinned. One API worker (`serve --workers 1`: database pool 20 + 10 overflow, side pool
          10 + 5); the second table below has two.
        * Mixed load: an async httpx client in the benchmark's own process (not pinned), each of the
          clients looping without pause; every acknowledged check-in id is looked up afterwards.
        * Before each write row (check-in, batch, mixed load) the database is vacuumed when its server runs
          without autovacuum, as this machine's PostgreSQL does: what the daemon would have done between rows.
        * Ratios compare with baselines measured in the same run: the FastAPI constant endpoint (framework
          ceiling for reads), raw asyncpg one-row INSERT transactions with 8 connections (database
          ceiling for writes) and a FastAPI POST that validates the check-in row's body and commits one
          such INSERT on a pool of 20 (framework ceiling for writes; tests/perf/insert_app.py).

        """)
        + markdown_table(tables.get(1, []))
        + "\n"
        + kinds_table(tables.get(1, []))
        + second
        + (f"\n{KEEP_MARKER}{kept}" if kept else "")
    )
    print(f"written to {report}")


if __name__ == "__main__":
    main()
