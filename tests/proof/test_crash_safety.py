"""Crash safety: `kill -9` of a live `sightline serve` under concurrent check-in writers loses nothing.

A real server process (its webhook dispatcher inside it, as `serve` runs by default) takes single and batch
check-ins from 24 concurrent API clients while delivering webhooks to a receiver in this test. Once enough
writes are acknowledged, with requests in flight and deliveries both in flight and still queued, the whole
process group gets SIGKILL. Restarted on the same database, it must show: every acknowledged check-in
present, every request all or nothing, no check-in without its event, every key-result row equal to what
its check-ins imply, every event of the organisation delivered (at least once, validly signed), and a
retry of each unanswered request with its Idempotency-Key never applying it twice.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import and_, select
from sqlmodel import col
from tests.support import SIGHTLINE, create, free_port, okr_setup, sign_up, wait_ready
from tests.webhook_receiver import LocalReceiver, Received, Reply
from tests.webhooks.support import verify

from sightline.db.engine import create_engine, session_factory
from sightline.db.tenancy import set_tenant
from sightline.identity.service import get_org, org_settings
from sightline.okrs.derive import Calendar, derive
from sightline.okrs.models import Cycle, KeyResult, Objective
from sightline.okrs.rollups import stored
from sightline.okrs.subgraph import load_subgraph

pytestmark = pytest.mark.slow  # a proof under load: a live server, killed and restarted

WRITERS = 24
KEY_RESULTS = 12
KILL_AFTER_ACKNOWLEDGED = 300  # requests answered 201 before the kill
MIN_IN_FLIGHT = 8  # requests sent and not yet answered at the kill
HOLD_AFTER = 100  # the receiver answers this many deliveries, then holds every answer until the kill
LEASE_SECONDS = 5  # what a dead dispatcher's claimed deliveries wait before they are sent again
SUBSCRIBED = ["check_in.created", "key_result.status_changed"]
IN_PROGRESS, PROCESSED = "still in progress", "was processed"  # the two 409s of a retried key (http/idempotency)


@dataclass
class Write:
    """One POST exactly as a writer sent it, and what came back (before the kill, and on retry after it)."""

    path: str
    key: str
    body: bytes
    notes: list[str]  # one unique note per check-in: finds each item in the database, answered or not
    status: int | None = None  # None: no answer, the server died first
    answer: Any = None
    error: str | None = None
    retry_status: int | None = None
    retry_answer: Any = None
    replayed: bool = False

    @property
    def acknowledged_ids(self) -> list[str] | None:
        """The check-in ids of a 201 (first answer or retry), in item order; None when never acknowledged."""
        answer = self.answer if self.status == 201 else self.retry_answer if self.retry_status == 201 else None
        if answer is None:
            return None
        return [item["id"] for item in answer["items"]] if "items" in answer else [answer["id"]]


@dataclass
class Load:
    writes: list[Write] = field(default_factory=list)
    in_flight: int = 0
    killed: bool = False


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


class Server:
    """`sightline serve` in its own process group, logging to a file, on the test database."""

    def __init__(self, database_url: str, log: Path) -> None:
        self.database_url, self.log = database_url, log
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> float:
        """Spawn on a new free port and wait until ready; return the seconds that took."""
        self._spawn()
        assert self.process is not None
        # In a thread: the receiver shares this event loop and must keep answering meanwhile.
        return await asyncio.to_thread(wait_ready, self.port, self.process, 60.0)

    def _spawn(self) -> None:
        self.port = free_port()
        env = {
            **os.environ,
            "SIGHTLINE_DATABASE_URL": self.database_url,
            "SIGHTLINE_PORT": str(self.port),
            "SIGHTLINE_WORKER_IN_PROCESS": "true",  # the dispatcher dies with the API
            "SIGHTLINE_BUILD_CLIENT": "false",
            "SIGHTLINE_WEBHOOK_ALLOWED_HOSTS": "127.0.0.1",
            "SIGHTLINE_WEBHOOK_ALLOW_HTTP": "true",
            "SIGHTLINE_WEBHOOK_LEASE_SECONDS": str(LEASE_SECONDS),
            "SIGHTLINE_WEBHOOK_POLL_SECONDS": "1",
            # Held answers time out (at 80 % of the lease); quick retries keep them from failing for good.
            "SIGHTLINE_WEBHOOK_RETRY_SCHEDULE": ",".join(["0", "1"] + ["2"] * 18),
            "SIGHTLINE_RECOMPUTE_INTERVAL_SECONDS": "3600",
            "SIGHTLINE_LOG_LEVEL": "WARNING",
        }
        env.pop("DATABASE_URL", None)
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [SIGHTLINE, "serve"], env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    def kill_9(self) -> None:
        """SIGKILL to the whole process group: the supervisor, its API workers and the job process."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        assert self.process.returncode == -signal.SIGKILL
        deadline = time.monotonic() + 10  # the orphaned workers are reaped by init, not by us: a moment
        while _group_alive(self.process.pid):
            assert time.monotonic() < deadline, "a process of the killed group is still there"
            time.sleep(0.05)
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{self.base}/healthz")  # and nothing listening on its port

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


@dataclass
class Hooks:
    """The webhook receiver, and the events it answered 2xx while the sender was alive to read the answer."""

    receiver: LocalReceiver
    released: asyncio.Event
    answered: set[str] = field(default_factory=set)


@pytest.fixture
async def hooks() -> AsyncIterator[Hooks]:
    """A receiver that answers the first HOLD_AFTER deliveries, then holds every answer until released.

    A held request arrived but its answer goes to a dead process: it does not count as delivered, and
    must come again after the restart.
    """

    async def answer(request: Received) -> Reply:
        if len(running.received) > HOLD_AFTER and not state.released.is_set():
            await state.released.wait()
            return Reply()
        state.answered.add(request.webhook_id)
        return Reply()

    running = await LocalReceiver(answer).start()
    state = Hooks(running, asyncio.Event())
    yield state
    state.released.set()
    await running.stop()


def _plan(rng: random.Random, writer: int, number: int, key_results: list[str]) -> Write:
    """A single check-in (3 in 4) or a batch of 5 to 20 across key results; some backdated a few hours."""
    size = 1 if rng.random() < 0.75 else rng.randint(5, 20)
    items = []
    for index in range(size):
        item: dict[str, Any] = {
            "key_result_id": rng.choice(key_results),
            "value": round(rng.uniform(0, 1100), 2),
            "confidence": rng.randint(1, 10),
            "note": f"crash w{writer} #{number}.{index}",
        }
        if rng.random() < 0.25:  # older than the latest: the current value must come from the history
            item["checked_in_at"] = (datetime.now(UTC) - timedelta(hours=rng.uniform(0.1, 72))).isoformat()
        items.append(item)
    path, body = ("/api/v1/check-ins", items[0]) if size == 1 else ("/api/v1/check-ins:batch", {"items": items})
    return Write(path, f"crash-{uuid.uuid4()}", json.dumps(body).encode(), [i["note"] for i in items])


async def _writer(writer: int, base: str, api_key: str, key_results: list[str], load: Load) -> None:
    rng = random.Random(writer)
    headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as client:
        number = 0
        while not load.killed:
            write = _plan(rng, writer, number, key_results)
            number += 1
            load.writes.append(write)
            load.in_flight += 1
            try:
                response = await client.post(write.path, content=write.body, headers={"Idempotency-Key": write.key})
            except httpx.TransportError as exc:
                write.error = f"{'' if load.killed else 'BEFORE THE KILL: '}{exc!r}"
                return
            finally:
                load.in_flight -= 1
            write.status, write.answer = response.status_code, _body(response)


def _outcome(write: Write) -> str:
    if write.retry_status == 409:
        detail = str(write.retry_answer.get("detail", ""))
        return "409 nothing landed" if IN_PROGRESS in detail else "409 landed" if PROCESSED in detail else detail
    return "201 replayed" if write.replayed else f"{write.retry_status}"


def _body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:  # not JSON: keep the text for the assertion message
        return response.text


async def _retry(client: httpx.AsyncClient, write: Write) -> None:
    """The same key and the same bytes, as a client that never got its answer would send them."""
    response = await client.post(write.path, content=write.body, headers={"Idempotency-Key": write.key})
    write.retry_status, write.retry_answer = response.status_code, _body(response)
    write.replayed = response.headers.get("Idempotent-Replayed") == "true"


async def _key_result_mismatches(database_url: str, org_id: uuid.UUID, connection: asyncpg.Connection) -> list[str]:
    """Each key-result row against its check-ins: the current one chosen here in SQL, independently of the
    service (latest reported time, then recording order, not replaced by a correction), then progress, score
    and status derived by the service's one definition at the moment the row says it was derived."""
    current = {
        r["key_result_id"]: r
        for r in await connection.fetch(
            """
            SELECT DISTINCT ON (c.key_result_id) c.key_result_id, c.value, c.confidence, c.checked_in_at
            FROM check_ins c
            WHERE c.org_id = $1
              AND NOT EXISTS (SELECT 1 FROM check_ins x WHERE x.org_id = c.org_id AND x.corrects = c.id)
            ORDER BY c.key_result_id, c.checked_in_at DESC, c.seq DESC
            """,
            org_id,
        )
    }
    engine = create_engine(database_url, pool_size=1, max_overflow=0)
    problems: list[str] = []
    try:
        async with session_factory(engine)() as session, session.begin():
            await set_tenant(session, org_id)
            settings = org_settings(await get_org(session, org_id=org_id))
            rows = (
                await session.execute(
                    select(KeyResult, Cycle)
                    .join(
                        Objective,
                        and_(
                            col(Objective.org_id) == col(KeyResult.org_id),
                            col(Objective.id) == col(KeyResult.objective_id),
                        ),
                    )
                    .join(
                        Cycle,
                        and_(col(Cycle.org_id) == col(Objective.org_id), col(Cycle.id) == col(Objective.cycle_id)),
                    )
                    .where(col(KeyResult.org_id) == org_id)
                )
            ).all()
    finally:
        await engine.dispose()
    for kr, cycle in rows:
        latest = current.get(kr.id)
        value = latest["value"] if latest else kr.start_value
        expected = (value, latest["confidence"] if latest else None, latest["checked_in_at"] if latest else None)
        stored = (kr.current_value, kr.latest_confidence, kr.last_check_in_at)
        if stored != expected:
            problems.append(f"{kr.id}: row {stored} ≠ {expected}")
        derived = derive(
            kr,
            current_value=value,
            latest_confidence=expected[1],
            has_check_in=latest is not None,
            calendar=Calendar.of(settings, cycle),
            now=kr.updated_at,
        )
        if (kr.progress, kr.score, kr.status) != (derived.progress, derived.score, derived.status.value):
            problems.append(f"{kr.id}: row {(kr.progress, kr.score, kr.status)} ≠ derived {derived}")
    return problems


async def _rollup_mismatches(database_url: str, org_id: uuid.UUID) -> list[str]:
    """Each objective's stored roll-up against a full recomputation from its subgraph, at the clock it was
    stored at (its time-dependent part is as of then)."""
    engine = create_engine(database_url, pool_size=1, max_overflow=0)
    problems: list[str] = []
    try:
        async with session_factory(engine)() as session, session.begin():
            await set_tenant(session, org_id)
            objectives = (await session.execute(select(Objective).where(col(Objective.org_id) == org_id))).scalars()
            for objective in objectives:
                assert objective.rollup_at is not None, objective.title
                graph = await load_subgraph(session, org_id=org_id, roots=[objective], use_stored=False)
                want = graph.rollups(objective.rollup_at)[objective.id]
                if stored(objective) != want:
                    problems.append(f"{objective.title}: stored {stored(objective)} ≠ recomputed {want}")
    finally:
        await engine.dispose()
    return problems


async def _marks_drained(connection: asyncpg.Connection, org_id: uuid.UUID) -> bool:
    deadline = time.monotonic() + 60  # the sweep runs every 5 s and takes marks older than 10 s
    while await connection.fetchval("SELECT count(*) FROM rollup_pending WHERE org_id = $1", org_id):
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.5)
    return True


async def _settled(connection: asyncpg.Connection, endpoint_id: uuid.UUID) -> Counter[str]:
    rows = await connection.fetch("SELECT status FROM webhook_deliveries WHERE endpoint_id = $1", endpoint_id)
    return Counter(r["status"] for r in rows)


async def test_kill_9_under_concurrent_check_ins_loses_nothing(
    database_url: str,
    owner_connection: asyncpg.Connection,
    hooks: Hooks,
    tmp_path: Path,
) -> None:
    receiver = hooks.receiver
    server = Server(database_url, tmp_path / "serve.log")
    started = time.monotonic()
    endpoint_id: uuid.UUID | None = None
    try:
        await server.start()
        # An organisation with an endpoint for check-in events, key results in an active cycle, an API key.
        async with httpx.AsyncClient(base_url=server.base, timeout=30) as owner:
            signup = await sign_up(owner, "Crash test", "Owner")
            org_id = uuid.UUID(signup["organisation"]["id"])
            endpoint = await create(
                owner, "/api/v1/webhook-endpoints", {"url": receiver.url, "event_types": SUBSCRIBED}
            )
            endpoint_id = uuid.UUID(endpoint["id"])
            today = date.today()
            okr = await okr_setup(
                owner, start=(today - timedelta(days=120)).isoformat(), end=(today + timedelta(days=240)).isoformat()
            )
            # The objective checked into rolls up into a company objective: every check-in refreshes both.
            top = await create(
                owner,
                "/api/v1/objectives",
                {"cycle_id": okr.cycle["id"], "title": "Top", "level": "company", "progress_from": "children"},
            )
            link = {"child_objective_id": okr.objective["id"], "parent_objective_id": top["id"]}
            await create(owner, "/api/v1/alignments", link)
            key_results = [
                (
                    await create(
                        owner,
                        "/api/v1/key-results",
                        {"objective_id": okr.objective["id"], "title": f"Leads {n}", "target_value": 1000},
                    )
                )["id"]
                for n in range(KEY_RESULTS)
            ]
            api_key = (await create(owner, "/api/v1/api-keys", {"name": "load", "scopes": ["read", "write"]}))["secret"]

        # Load, and kill -9 mid-load: enough acknowledged, requests in flight, deliveries held and queued.
        load = Load()
        writers = [asyncio.create_task(_writer(n, server.base, api_key, key_results, load)) for n in range(WRITERS)]
        load_started = time.monotonic()
        while not (
            sum(w.status == 201 for w in load.writes) >= KILL_AFTER_ACKNOWLEDGED
            and len(receiver.received) > HOLD_AFTER
            and load.in_flight >= MIN_IN_FLIGHT
        ):
            assert time.monotonic() - load_started < 60, (
                f"no kill point in 60 s: {sum(w.status == 201 for w in load.writes)} acknowledged, "
                f"{len(receiver.received)} delivered, {Counter(w.status for w in load.writes)}"
            )
            await asyncio.sleep(0.005)
        load.killed = True
        in_flight_at_kill = load.in_flight
        received_at_kill = set(receiver.ids())
        answered_at_kill = set(hooks.answered)
        server.kill_9()
        load_seconds = time.monotonic() - load_started
        await asyncio.wait_for(asyncio.gather(*writers), 30)
        hooks.released.set()  # the held answers now go to a dead process

        answered = [w for w in load.writes if w.status is not None]
        unanswered = [w for w in load.writes if w.status is None]
        assert [w.error for w in unanswered if w.error and "BEFORE THE KILL" in w.error] == []
        assert Counter(w.status for w in answered) == {201: len(answered)}, [
            (w.status, w.answer) for w in answered if w.status != 201
        ][:5]
        events_at_kill = {
            str(r["id"])
            for r in await owner_connection.fetch(
                "SELECT id FROM events WHERE org_id = $1 AND type = ANY($2)", org_id, SUBSCRIBED
            )
        }
        unsent_at_kill = events_at_kill - received_at_kill
        held_at_kill = received_at_kill - answered_at_kill  # arrived, but the answer never reached the sender
        assert in_flight_at_kill >= MIN_IN_FLIGHT and unanswered
        assert unsent_at_kill and held_at_kill  # delivery after the restart is really put to the test

        # Restart on the same database; retry every unanswered request with its key and its exact bytes.
        restart_started = time.monotonic()
        restart_seconds = await server.start()
        async with httpx.AsyncClient(
            base_url=server.base,
            headers={"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"},
            timeout=60,
        ) as client:
            for chunk in range(0, len(unanswered), 8):
                await asyncio.gather(*(_retry(client, w) for w in unanswered[chunk : chunk + 8]))
        retried = Counter(_outcome(w) for w in unanswered)
        assert {w.retry_status for w in unanswered} <= {201, 409}, retried

        # Every acknowledged check-in present under its id; every request all or nothing, and at most once.
        rows = await owner_connection.fetch("SELECT id, note FROM check_ins WHERE org_id = $1", org_id)
        by_note = Counter(r["note"] for r in rows)
        id_of = {r["note"]: str(r["id"]) for r in rows}
        assert [n for n, count in by_note.items() if count > 1] == []
        assert set(by_note) <= {note for w in load.writes for note in w.notes}
        acknowledged_check_ins = 0
        for write in load.writes:
            present = [note in id_of for note in write.notes]
            assert all(present) or not any(present), f"half-written {write.path}: {present}"
            ids = write.acknowledged_ids
            if ids is not None:
                assert [id_of.get(note) for note in write.notes] == ids, f"acknowledged but missing: {write.notes}"
                acknowledged_check_ins += len(ids)
            elif write.retry_status == 409:
                detail = write.retry_answer["detail"]
                assert (IN_PROGRESS in detail and not any(present)) or (PROCESSED in detail and all(present)), (
                    detail,
                    present,
                )

        # No check-in without its event (same transaction), none with two.
        check_in_events = Counter(
            str(r["object_id"])
            for r in await owner_connection.fetch(
                "SELECT object_id FROM events WHERE org_id = $1 AND type = 'check_in.created'", org_id
            )
        )
        assert check_in_events == Counter(str(r["id"]) for r in rows)

        # Every key-result row equals the recomputation from its check-ins.
        assert await _key_result_mismatches(database_url, org_id, owner_connection) == []
        # Roll-up marks the killed process committed but never drained are taken by the next drain or by the
        # restarted jobs' sweep (okrs/rollups.py); then every stored objective roll-up equals the recomputation.
        assert await _marks_drained(owner_connection, org_id), "roll-up marks left behind"
        assert await _rollup_mismatches(database_url, org_id) == []

        # Every event has its one delivery row, and arrives at least once, validly signed.
        expected = {
            str(r["id"])
            for r in await owner_connection.fetch(
                "SELECT id FROM events WHERE org_id = $1 AND type = ANY($2)", org_id, SUBSCRIBED
            )
        }
        outbox = Counter(
            str(r["event_id"])
            for r in await owner_connection.fetch(
                "SELECT event_id FROM webhook_deliveries WHERE endpoint_id = $1", endpoint_id
            )
        )
        assert outbox == Counter(expected)
        deadline = time.monotonic() + 90
        while missing := expected - hooks.answered:
            assert time.monotonic() < deadline, f"{len(missing)} of {len(expected)} events never delivered"
            await asyncio.sleep(0.1)
        delivered_seconds = time.monotonic() - restart_started
        received = Counter(receiver.ids())
        assert set(received) == expected
        for request in receiver.received:
            verify(endpoint["secret"], request)
        # And the outbox knows it: every delivery recorded as succeeded (the dead process's leases ran out).
        deadline = time.monotonic() + 60
        while (settled := await _settled(owner_connection, endpoint_id)) != {"succeeded": len(expected)}:
            assert time.monotonic() < deadline, settled
            await asyncio.sleep(0.2)
    finally:
        server.stop()
        if endpoint_id is not None:  # nothing of this test for any later dispatcher to pick up
            await owner_connection.execute(
                "UPDATE webhook_endpoints SET enabled = false, disabled_at = now(), disabled_reason = 'test over' "
                "WHERE id = $1",
                endpoint_id,
            )
    log = (tmp_path / "serve.log").read_text(errors="replace")
    assert "Traceback" not in log, log[-4000:]
    print(
        f"\ncrash safety: {WRITERS} writers on {KEY_RESULTS} key results; kill -9 after {len(answered)} requests "
        f"({sum(len(w.acknowledged_ids or []) for w in answered)} check-ins) acknowledged in {load_seconds:.1f} s, "
        f"{in_flight_at_kill} in flight; {len(held_at_kill)} events held unanswered and {len(unsent_at_kill)} "
        f"not yet sent at the kill; restart ready in {restart_seconds:.1f} s; retries of the {len(unanswered)} "
        f"unanswered: {dict(retried)}; {len(rows)} check-ins ({acknowledged_check_ins} acknowledged) all present "
        f"and consistent; {len(expected)} events all delivered {delivered_seconds:.1f} s after the restart "
        f"({sum(received.values()) - len(received)} duplicates); {time.monotonic() - started:.1f} s in all"
    )
