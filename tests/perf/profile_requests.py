"""Profile single requests in-process against the organisation that `bench.py --state` loaded.

Run:  DATABASE_URL=postgresql://postgres@127.0.0.1:5432/perf uv run python tests/perf/bench.py --state s.json --only GET
      DATABASE_URL=... uv run python tests/perf/profile_requests.py s.json [row ...] [--repeat N] [--html DIR]

For each chosen row: the SQL statements one request sends (count, and the slowest with their time), the median
wall time of N sequential requests through the ASGI app (no network, no load generator), and a pyinstrument
profile of those requests. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import random
import statistics
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from pyinstrument import Profiler
from sqlalchemy import event

ROWS = (
    "healthz",
    "get-cycle",
    "get-objective",
    "list-objectives",
    "line-of-sight",
    "scoreboard",
    "alignment-map",
    "check-in",
    "batch",
    "batch-20",
)


def requests_for(state: dict[str, Any]) -> dict[str, Callable[[httpx.AsyncClient], Any]]:
    cycle, leaves, krs = state["cycle_id"], state["leaves"], state["kr_ids"]
    return {
        # Floors: the framework without the database, then an authenticated one-row read.
        "healthz": lambda c: c.get("/healthz"),
        "get-cycle": lambda c: c.get(f"/api/v1/cycles/{cycle}"),
        "get-objective": lambda c: c.get(f"/api/v1/objectives/{random.choice(leaves)}"),
        "list-objectives": lambda c: c.get(f"/api/v1/objectives?limit=50&cycle_id={cycle}"),
        "line-of-sight": lambda c: c.get(f"/api/v1/objectives/{random.choice(leaves)}/line-of-sight"),
        "scoreboard": lambda c: c.get(f"/api/v1/cycles/{cycle}/scoreboard"),
        "alignment-map": lambda c: c.get(f"/api/v1/cycles/{cycle}/alignment-map"),
        "check-in": lambda c: c.post(  # keyed, as the web client sends every write and bench.py measures it
            "/api/v1/check-ins",
            json={"key_result_id": random.choice(krs), "value": 500, "confidence": 7},
            headers={"Idempotency-Key": f"profile-{uuid.uuid4()}"},
        ),
        "batch": lambda c: c.post(
            "/api/v1/check-ins:batch",
            json={
                "items": [
                    {"key_result_id": random.choice(krs), "value": random.randint(1, 999), "confidence": 6}
                    for _ in range(1000)
                ]
            },
        ),
        "batch-20": lambda c: c.post(  # the mixed load's batch, keyed as it sends it
            "/api/v1/check-ins:batch",
            json={"items": [{"key_result_id": random.choice(krs), "value": random.randint(1, 999)} for _ in range(20)]},
            headers={"Idempotency-Key": f"profile-{uuid.uuid4()}"},
        ),
    }


class GcClock:
    """Time spent in the cyclic garbage collector (it runs inside whatever request allocates)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._started = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._started


class StatementLog:
    """The statements sent through the engine while active, each with its time until the result was in."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.statements: list[tuple[float, str]] = []
        self._started: dict[int, float] = {}

    def _before(self, conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        self._started[id(cursor)] = time.perf_counter()

    def _after(self, conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        elapsed = time.perf_counter() - self._started.pop(id(cursor), time.perf_counter())
        self.statements.append((elapsed * 1000, " ".join(statement.split())[:160]))

    def __enter__(self) -> StatementLog:
        event.listen(self.engine, "before_cursor_execute", self._before)
        event.listen(self.engine, "after_cursor_execute", self._after)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._before)
        event.remove(self.engine, "after_cursor_execute", self._after)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("state", type=Path, help="the JSON file written by bench.py --state")
    parser.add_argument("rows", nargs="*", default=list(ROWS), help=f"any of {', '.join(ROWS)}")
    parser.add_argument("--repeat", type=int, default=20, help="sequential requests timed and profiled per row")
    parser.add_argument("--html", type=Path, help="also write each profile as HTML into this directory")
    parser.add_argument("--sql", type=int, default=5, help="how many of the slowest statements to print")
    parser.add_argument("--default-gc", action="store_true", help="leave the garbage collector as Python sets it")
    parser.add_argument("--time-only", action="store_true", help="statement counts and timings, no profile")
    parser.add_argument(
        "--concurrency",
        type=int,
        default=1,
        help="requests in flight at once while timing and profiling (writes then share drains, as under load)",
    )
    args = parser.parse_args()
    os.environ.setdefault("SIGHTLINE_WORKER_IN_PROCESS", "false")
    os.environ.setdefault("SIGHTLINE_LOG_LEVEL", "WARNING")
    os.environ.setdefault("SIGHTLINE_BUILD_CLIENT", "false")

    from sightline.app import create_app, tune_garbage_collector
    from sightline.config import get_settings
    from sightline.observability import configure_logging

    settings = get_settings()
    configure_logging("WARNING", settings.log_format)
    state = json.loads(args.state.read_text())
    from sightline.db.ddl import APP_ROLE
    from sightline.db.roles import as_login

    app = create_app(as_login(os.environ["DATABASE_URL"], APP_ROLE), settings)  # the bench's administrator URL
    if not args.default_gc:
        tune_garbage_collector()  # as `sightline serve` does
    chosen = requests_for(state)
    gc_clock = GcClock()
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://bench",
            headers={"Authorization": f"Bearer {state['key']}"},
            timeout=120,
        ) as client,
    ):
        engine = app.state.engine.sync_engine
        for name in args.rows:
            send = chosen[name]
            for _ in range(3):  # warm the pool, caches and prepared statements
                (await send(client)).raise_for_status()
            with StatementLog(engine) as log:
                response = await send(client)
            response.raise_for_status()
            print(f"\n=== {name}: {len(log.statements)} statements, {len(response.content):,} bytes")
            for ms, sql in sorted(log.statements, reverse=True)[: args.sql]:
                print(f"  {ms:8.2f} ms  {sql}")
            if args.concurrency > 1:
                await _concurrently(send, client, args.repeat, args.concurrency, gc_clock)
            else:
                await _sequentially(send, client, args.repeat, gc_clock)
            if args.time_only:
                continue
            profiler = Profiler(async_mode="disabled" if args.concurrency > 1 else "enabled", interval=0.0005)
            profiler.start()
            await _in_flight(send, client, args.repeat, args.concurrency)
            profiler.stop()
            print(profiler.output_text(unicode=False, color=False, show_all=False, short_mode=False))
            if args.html:
                args.html.mkdir(parents=True, exist_ok=True)
                (args.html / f"{name}.html").write_text(profiler.output_html())


async def _sequentially(
    send: Callable[[httpx.AsyncClient], Any], client: httpx.AsyncClient, repeat: int, gc_clock: GcClock
) -> None:
    samples, cpu = [], []
    gc_clock.seconds = 0.0
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        (await send(client)).raise_for_status()
        samples.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    print(
        f"  wall median {statistics.median(samples):.2f} ms (min {min(samples):.2f}), "
        f"CPU of this process median {statistics.median(cpu):.2f} ms, "
        f"garbage collector {gc_clock.seconds * 1000 / repeat:.2f} ms/request, over {repeat} requests"
    )


async def _concurrently(
    send: Callable[[httpx.AsyncClient], Any],
    client: httpx.AsyncClient,
    repeat: int,
    concurrency: int,
    gc_clock: GcClock,
) -> None:
    """Time `repeat` requests with `concurrency` in flight: the CPU of this process per request (client included)."""
    gc_clock.seconds = 0.0
    t0, c0 = time.perf_counter(), time.process_time()
    await _in_flight(send, client, repeat, concurrency)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(
        f"  {concurrency} in flight: {repeat / wall:.0f} req/s, CPU of this process {cpu * 1000 / repeat:.2f} ms "
        f"per request, garbage collector {gc_clock.seconds * 1000 / repeat:.2f} ms/request, over {repeat} requests"
    )


async def _in_flight(
    send: Callable[[httpx.AsyncClient], Any], client: httpx.AsyncClient, repeat: int, concurrency: int
) -> None:
    """`repeat` requests, `concurrency` of them in flight at any time."""
    left = list(range(repeat))

    async def worker() -> None:
        while left:
            left.pop()
            (await send(client)).raise_for_status()

    await asyncio.gather(*(worker() for _ in range(concurrency)))


if __name__ == "__main__":
    asyncio.run(main())
