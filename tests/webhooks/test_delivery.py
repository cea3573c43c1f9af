"""Deliveries to a real HTTP receiver: signed and verifiable, retried on schedule, never lost."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import asyncpg
import pytest
from fastapi import FastAPI
from standardwebhooks.webhooks import WebhookVerificationError
from tests.support import FixedClock, Tenant, make_client, sign_up
from tests.webhook_receiver import LocalReceiver, Received, Reply
from tests.webhooks.conftest import CONFIG, LOCAL
from tests.webhooks.support import (
    check_in,
    deliveries,
    endpoint_at,
    free_port,
    key_result,
    run_until,
    step_to_next_attempt,
    verify,
    within_jitter,
)

from sightline.app import create_app
from sightline.config import Settings
from sightline.db.urls import asyncpg_dsn
from sightline.okrs.schemas import CheckInPublic
from sightline.webhooks.dispatcher import Dispatcher
from sightline.webhooks.sender import WebhookSender


async def test_check_in_reaches_a_real_receiver_signed_and_verifiable(
    app: FastAPI, tenant: Tenant, receiver: LocalReceiver, database_url: str
) -> None:
    endpoint = await endpoint_at(tenant.client, receiver.url, event_types=["check_in.created"])
    assert endpoint["secret"].startswith("whsec_")
    kr = await key_result(tenant.client)
    sender = WebhookSender(LOCAL)
    # Polling every 30 s: a delivery within seconds can only come from LISTEN/NOTIFY (5 s, not 1: on a loaded
    # machine the check-in alone can take a second).
    dispatcher = Dispatcher(app.state.session_factory, sender, CONFIG, listen_dsn=asyncpg_dsn(database_url))
    stop = asyncio.Event()
    running = asyncio.create_task(dispatcher.run(stop))
    try:
        await asyncio.wait_for(dispatcher.listening.wait(), 5)
        started = time.monotonic()
        created = await check_in(tenant.client, kr, value=40)
        await receiver.wait_for(lambda got: len(got) >= 1, within=5)
        elapsed = time.monotonic() - started
    finally:
        stop.set()
        await running
        await sender.aclose()
    assert elapsed < 5
    [request] = receiver.received
    body = verify(endpoint["secret"], request)  # the standardwebhooks verifier accepts it
    assert request.method == "POST" and request.headers["content-type"] == "application/json"
    assert body["type"] == "check_in.created"
    assert body["id"] == request.headers["webhook-id"]
    assert set(body) == {"id", "type", "timestamp", "data"}
    assert body["data"] == created
    CheckInPublic.model_validate(body["data"])
    assert abs(int(request.headers["webhook-timestamp"]) - time.time()) < 10
    # The id is the event's: consumers de-duplicate by it.
    event = (await tenant.client.get("/api/v1/events", params={"type": "check_in.created"})).json()["items"][0]
    assert event["id"] == body["id"]

    tampered = Received(request.method, request.path, request.headers, request.body.replace(b"40.0", b"41.0"), 0)
    assert tampered.body != request.body
    with pytest.raises(WebhookVerificationError):
        verify(endpoint["secret"], tampered)
    with pytest.raises(WebhookVerificationError):
        verify("whsec_" + "A" * 43 + "=", request)  # another endpoint's secret

    log = (await tenant.client.get(f"/api/v1/webhook-endpoints/{endpoint['id']}/deliveries")).json()["items"]
    assert len(log) == 1  # only the subscribed type: no cycle, objective or key-result events
    wanted = {"event_id": body["id"], "event_type": "check_in.created", "status": "succeeded", "attempts": 1}
    wanted |= {"response_status": 200, "response_excerpt": "ok", "error": None, "next_attempt_at": None}
    assert {key: log[0][key] for key in wanted} == wanted
    assert log[0]["latency_ms"] >= 0 and log[0]["delivered_at"] is not None


async def test_a_timestamp_older_than_five_minutes_fails_verification(
    tenant: Tenant, receiver: LocalReceiver, clock: FixedClock, dispatcher: Dispatcher
) -> None:
    clock.now = datetime.now(UTC) - timedelta(minutes=10)
    endpoint = await endpoint_at(tenant.client, receiver.url, event_types=["check_in.created"])
    await check_in(tenant.client, await key_result(tenant.client))
    assert await dispatcher.drain() == 1
    [request] = receiver.received
    verify(endpoint["secret"], request, at=clock.now + timedelta(minutes=4))
    with pytest.raises(WebhookVerificationError, match="too old"):
        verify(endpoint["secret"], request)


async def test_after_rotation_both_secrets_verify_for_24_hours_then_only_the_new(
    tenant: Tenant, receiver: LocalReceiver, clock: FixedClock, dispatcher: Dispatcher
) -> None:
    clock.set("2026-07-01T12:00:00+00:00")
    endpoint = await endpoint_at(tenant.client, receiver.url, event_types=["check_in.created"])
    old = endpoint["secret"]
    kr = await key_result(tenant.client)
    rotated = await tenant.client.post(f"/api/v1/webhook-endpoints/{endpoint['id']}/rotate-secret")
    assert rotated.status_code == 200
    new = rotated.json()["secret"]
    assert new != old and rotated.json()["previous_secret"] == old
    assert rotated.json()["previous_secret_expires_at"] == "2026-07-02T12:00:00Z"

    clock.set("2026-07-02T11:59:00+00:00")  # 23 h 59 min later: both sign
    await check_in(tenant.client, kr)
    await dispatcher.drain()
    clock.set("2026-07-02T12:00:01+00:00")  # 24 h later: only the new one
    await check_in(tenant.client, kr)
    await dispatcher.drain()

    first, second = receiver.received
    assert len(first.headers["webhook-signature"].split(" ")) == 2
    assert verify(new, first, at=datetime(2026, 7, 2, 11, 59, tzinfo=UTC))["type"] == "check_in.created"
    assert verify(old, first, at=datetime(2026, 7, 2, 11, 59, tzinfo=UTC))["type"] == "check_in.created"
    assert len(second.headers["webhook-signature"].split(" ")) == 1
    assert verify(new, second, at=datetime(2026, 7, 2, 12, 0, 1, tzinfo=UTC))["type"] == "check_in.created"
    with pytest.raises(WebhookVerificationError):
        verify(old, second, at=datetime(2026, 7, 2, 12, 0, 1, tzinfo=UTC))
    revealed = (await tenant.client.get(f"/api/v1/webhook-endpoints/{endpoint['id']}/secret")).json()
    assert revealed == {"secret": new, "previous_secret": None, "previous_secret_expires_at": None}


async def test_receiver_down_then_failing_then_up_gets_every_event_on_schedule(
    tenant: Tenant, clock: FixedClock, dispatcher: Dispatcher, owner_connection: asyncpg.Connection
) -> None:
    clock.set("2026-07-01T08:00:00+00:00")
    port = free_port()
    failing = True

    async def respond(_: Received) -> Reply:
        return Reply(500, b"database unavailable") if failing else Reply(200, b"thanks")

    endpoint = await endpoint_at(tenant.client, f"http://127.0.0.1:{port}/hooks", event_types=["check_in.created"])
    kr = await key_result(tenant.client)
    sent = [await check_in(tenant.client, kr, value=v) for v in (10, 20, 30)]

    def check_schedule(rows: list[asyncpg.Record], attempts: int, nominal: float) -> None:
        for row in rows:
            assert row["status"] == "pending" and row["attempts"] == attempts
            assert within_jitter(row["next_attempt_at"] - row["last_attempt_at"], nominal), row

    # Attempt 1, immediately, and attempt 2 after ~5 s: nobody listens (connection refused).
    assert await dispatcher.drain() == 3
    rows = await deliveries(owner_connection, endpoint["id"])
    assert all("ConnectError" in row["error"] and row["response_status"] is None for row in rows)
    check_schedule(rows, 1, 5)
    await step_to_next_attempt(owner_connection, clock, dispatcher, endpoint["id"])
    check_schedule(await deliveries(owner_connection, endpoint["id"]), 2, 300)

    # Attempt 3 after ~5 min: the receiver is up but answers 500.
    receiver = await LocalReceiver(respond).start(port)
    try:
        await step_to_next_attempt(owner_connection, clock, dispatcher, endpoint["id"])
        rows = await deliveries(owner_connection, endpoint["id"])
        check_schedule(rows, 3, 1800)
        assert {(row["response_status"], row["response_excerpt"]) for row in rows} == {(500, "database unavailable")}

        # Attempt 4 after ~30 min: it works.
        failing = False
        await step_to_next_attempt(owner_connection, clock, dispatcher, endpoint["id"])
        rows = await deliveries(owner_connection, endpoint["id"])
        assert [(row["status"], row["attempts"], row["response_status"]) for row in rows] == [("succeeded", 4, 200)] * 3
    finally:
        await receiver.stop()

    events = await owner_connection.fetch(
        "SELECT id FROM events WHERE org_id = $1 AND type = 'check_in.created'", uuid.UUID(tenant.org_id)
    )
    assert {str(e["id"]) for e in events} == set(receiver.ids())  # every event, none lost
    assert len(events) == len(sent) == 3
    by_id: dict[str, list[int]] = {}
    for request in receiver.received:
        by_id.setdefault(request.webhook_id, []).append(int(request.headers["webhook-timestamp"]))
    for stamps in by_id.values():  # the 500 attempt, then the successful one ~30 min later
        assert len(stamps) == 2
        assert within_jitter(timedelta(seconds=stamps[1] - stamps[0]), 1800)


async def test_an_exhausted_schedule_fails_the_delivery_after_eight_attempts_over_about_a_day(
    tenant: Tenant, clock: FixedClock, dispatcher: Dispatcher, owner_connection: asyncpg.Connection
) -> None:
    clock.set("2026-07-01T00:00:00+00:00")
    endpoint = await endpoint_at(tenant.client, f"http://127.0.0.1:{free_port()}/", event_types=["check_in.created"])
    await check_in(tenant.client, await key_result(tenant.client))
    await dispatcher.drain()
    started = clock.now
    while await step_to_next_attempt(owner_connection, clock, dispatcher, endpoint["id"]):
        pass
    [row] = await deliveries(owner_connection, endpoint["id"])
    assert (row["status"], row["attempts"], row["next_attempt_at"]) == ("failed", 8, None)
    # 5 s + 5 min + 30 min + 2 h + 5 h + 10 h + 10 h = 27 h 35 min 5 s, ±20 %.
    assert within_jitter(row["last_attempt_at"] - started, sum(CONFIG.schedule))
    endpoint_now = (await tenant.client.get(f"/api/v1/webhook-endpoints/{endpoint['id']}")).json()
    assert endpoint_now["enabled"] is True  # one day of failures: not yet disabled
    assert endpoint_now["failing_since"] == "2026-07-01T00:00:00Z"


@pytest.mark.parametrize(
    ("status", "retry_after", "expected"),
    [
        pytest.param(429, "600", timedelta(seconds=600), id="429-with-seconds-waits-that-long"),
        pytest.param(503, "http-date", timedelta(hours=2), id="503-with-an-http-date-waits-until-then"),
        pytest.param(500, "600", None, id="500-ignores-retry-after-and-follows-the-schedule"),
    ],
)
async def test_retry_after_is_honoured_on_429_and_503(
    tenant: Tenant,
    clock: FixedClock,
    dispatcher: Dispatcher,
    owner_connection: asyncpg.Connection,
    make_receiver: Any,
    status: int,
    retry_after: str,
    expected: timedelta | None,
) -> None:
    clock.set("2026-07-01T00:00:00+00:00")
    header = format_datetime(clock.now + timedelta(hours=2), usegmt=True) if retry_after == "http-date" else retry_after

    async def respond(_: Received) -> Reply:
        return Reply(status, b"slow down", {"retry-after": header})

    receiver = await make_receiver(respond)
    endpoint = await endpoint_at(tenant.client, receiver.url, event_types=["check_in.created"])
    await check_in(tenant.client, await key_result(tenant.client))
    await dispatcher.drain()
    [row] = await deliveries(owner_connection, endpoint["id"])
    delay = row["next_attempt_at"] - row["last_attempt_at"]
    if expected is None:
        assert within_jitter(delay, 5)
    else:
        assert delay == expected


async def test_410_gone_disables_the_endpoint_at_once_and_says_so(
    tenant: Tenant,
    clock: FixedClock,
    dispatcher: Dispatcher,
    owner_connection: asyncpg.Connection,
    make_receiver: Any,
) -> None:
    async def gone(_: Received) -> Reply:
        return Reply(410, b"this hook was removed")

    goner = await make_receiver(gone)
    watcher = await make_receiver()
    endpoint = await endpoint_at(tenant.client, goner.url, event_types=["check_in.created"])
    monitor = await endpoint_at(tenant.client, watcher.url, event_types=["endpoint.*"])
    kr = await key_result(tenant.client)
    await check_in(tenant.client, kr)
    await check_in(tenant.client, kr)
    await dispatcher.drain()

    assert len(goner.received) in (1, 2)  # both may be in flight together; nothing after the 410 is recorded
    state = (await tenant.client.get(f"/api/v1/webhook-endpoints/{endpoint['id']}")).json()
    assert state["enabled"] is False
    assert "410" in state["disabled_reason"]
    assert {row["status"] for row in await deliveries(owner_connection, endpoint["id"])} == {"paused"}
    disabled = (await tenant.client.get("/api/v1/events", params={"type": "endpoint.disabled"})).json()["items"]
    assert [(e["object_id"], e["actor"]) for e in disabled] == [(endpoint["id"], "system:webhooks")]
    # The monitor endpoint is told, by webhook.
    assert [verify(monitor["secret"], r, at=clock.now)["type"] for r in watcher.received] == ["endpoint.disabled"]
    assert verify(monitor["secret"], watcher.received[0], at=clock.now)["data"]["id"] == endpoint["id"]
    # A disabled endpoint gets nothing new.
    await check_in(tenant.client, kr)
    assert len(await deliveries(owner_connection, endpoint["id"])) == 2


async def test_five_days_of_failures_disable_the_endpoint_and_re_enabling_resumes(
    tenant: Tenant,
    clock: FixedClock,
    dispatcher: Dispatcher,
    owner_connection: asyncpg.Connection,
    make_receiver: Any,
) -> None:
    healthy = False

    async def respond(_: Received) -> Reply:
        return Reply(200) if healthy else Reply(502, b"bad gateway")

    receiver = await make_receiver(respond)
    start = datetime(2026, 7, 1, tzinfo=UTC)
    clock.now = start
    endpoint = await endpoint_at(tenant.client, receiver.url, event_types=["check_in.created"])
    kr = await key_result(tenant.client)
    for day in range(5):  # a check-in a day, every attempt failing
        clock.now = start + timedelta(days=day)
        await check_in(tenant.client, kr, value=day)
        await run_until(owner_connection, clock, dispatcher, endpoint["id"], clock.now + timedelta(hours=23))
    state = (await tenant.client.get(f"/api/v1/webhook-endpoints/{endpoint['id']}")).json()
    assert state["enabled"] is True and state["failing_since"] == "2026-07-01T00:00:00Z"  # for 4 days 23 hours

    clock.now = start + timedelta(days=5)
    await check_in(tenant.client, kr, value=5)
    await run_until(owner_connection, clock, dispatcher, endpoint["id"], start + timedelta(days=6))
    state = (await tenant.client.get(f"/api/v1/webhook-endpoints/{endpoint['id']}")).json()
    assert state["enabled"] is False
    assert state["disabled_reason"].startswith("every attempt failed for 5.0 days")
    assert state["disabled_at"] == "2026-07-06T00:00:00Z"
    events = (await tenant.client.get("/api/v1/events", params={"type": "endpoint.disabled"})).json()["items"]
    assert len(events) == 1 and events[0]["after"]["enabled"] is False
    rows = await deliveries(owner_connection, endpoint["id"])
    assert {row["status"] for row in rows} == {"paused", "failed"}  # the oldest ran out of attempts
    paused = sum(row["status"] == "paused" for row in rows)
    received_before = len(receiver.received)

    # Fixed, re-enabled: the held-back deliveries go out; the ones that gave up are recovered on request.
    healthy = True
    clock.now = start + timedelta(days=7)
    enabled = await tenant.client.patch(f"/api/v1/webhook-endpoints/{endpoint['id']}", json={"enabled": True})
    assert enabled.status_code == 200 and enabled.json()["failing_since"] is None
    assert await dispatcher.drain() == paused
    recovered = await tenant.client.post(
        f"/api/v1/webhook-endpoints/{endpoint['id']}/recover", json={"since": start.isoformat()}
    )
    assert recovered.status_code == 202
    assert recovered.json()["redelivered"] == 6 - paused
    await dispatcher.drain()
    rows = await deliveries(owner_connection, endpoint["id"])
    assert [row["status"] for row in rows] == ["succeeded"] * 6
    ok_ids = {r.webhook_id for r in receiver.received[received_before:]}
    assert ok_ids == {str(row["event_id"]) for row in rows}


async def test_ping_is_delivered_at_once_with_the_result_in_the_response(
    tenant: Tenant, receiver: LocalReceiver, owner_connection: asyncpg.Connection
) -> None:
    endpoint = await endpoint_at(tenant.client, receiver.url, event_types=["check_in.created"])
    response = await tenant.client.post(f"/api/v1/webhook-endpoints/{endpoint['id']}/ping")
    assert response.status_code == 200
    result = response.json()
    assert (result["status"], result["attempts"], result["response_status"], result["response_excerpt"]) == (
        "succeeded",
        1,
        200,
        "ok",
    )
    assert result["event_type"] == "webhook.ping" and result["latency_ms"] >= 0
    [request] = receiver.received
    body = verify(endpoint["secret"], request)
    assert body["type"] == "webhook.ping" and body["data"]["endpoint_id"] == endpoint["id"]
    assert body["id"] == result["event_id"]
    log = (await tenant.client.get(f"/api/v1/webhook-endpoints/{endpoint['id']}/deliveries")).json()["items"]
    assert [d["id"] for d in log] == [result["id"]]


async def test_a_failed_ping_reports_the_failure_and_is_not_retried(
    tenant: Tenant, owner_connection: asyncpg.Connection
) -> None:
    endpoint = await endpoint_at(tenant.client, f"http://127.0.0.1:{free_port()}/", event_types=["check_in.created"])
    result = (await tenant.client.post(f"/api/v1/webhook-endpoints/{endpoint['id']}/ping")).json()
    assert result["status"] == "failed" and result["response_status"] is None
    assert "ConnectError" in result["error"]
    assert result["next_attempt_at"] is None
    [row] = await deliveries(owner_connection, endpoint["id"])
    assert (row["status"], row["lease_token"]) == ("failed", None)


async def test_redelivery_sends_the_same_event_again(
    tenant: Tenant, receiver: LocalReceiver, clock: FixedClock, dispatcher: Dispatcher
) -> None:
    endpoint = await endpoint_at(tenant.client, receiver.url, event_types=["check_in.created"])
    await check_in(tenant.client, await key_result(tenant.client))
    await dispatcher.drain()
    [delivery] = (await tenant.client.get(f"/api/v1/webhook-endpoints/{endpoint['id']}/deliveries")).json()["items"]
    assert delivery["status"] == "succeeded"

    clock.now += timedelta(hours=3)
    again = await tenant.client.post(f"/api/v1/deliveries/{delivery['id']}/redeliver")
    assert again.status_code == 202
    assert (again.json()["status"], again.json()["attempts"]) == ("pending", 0)
    assert await dispatcher.drain() == 1
    assert receiver.ids() == [delivery["event_id"]] * 2  # same webhook-id: the consumer de-duplicates
    read = await tenant.client.get(f"/api/v1/deliveries/{delivery['id']}")
    assert (read.json()["status"], read.json()["attempts"]) == ("succeeded", 1)
    assert read.headers["etag"] == f'"{read.json()["version"]}"' and read.json()["version"] > delivery["version"]

    disabled = await tenant.client.patch(f"/api/v1/webhook-endpoints/{endpoint['id']}", json={"enabled": False})
    assert disabled.status_code == 200
    refused = await tenant.client.post(f"/api/v1/deliveries/{delivery['id']}/redeliver")
    assert refused.status_code == 409


async def test_without_notifications_polling_still_delivers(
    app: FastAPI, tenant: Tenant, receiver: LocalReceiver
) -> None:
    await endpoint_at(tenant.client, receiver.url, event_types=["check_in.created"])
    kr = await key_result(tenant.client)
    sender = WebhookSender(LOCAL)
    polling = Dispatcher(app.state.session_factory, sender, replace(CONFIG, poll_seconds=0.3))  # no LISTEN
    stop = asyncio.Event()
    running = asyncio.create_task(polling.run(stop))
    try:
        await asyncio.sleep(0.1)  # asleep before the event is written
        await check_in(tenant.client, kr)
        await receiver.wait_for(lambda got: len(got) == 1, within=3)
    finally:
        stop.set()
        await running
        await sender.aclose()
    assert polling.sent == 1


async def test_serve_runs_the_dispatcher_in_process(database_url: str, receiver: LocalReceiver) -> None:
    settings = Settings(
        worker_in_process=True,
        webhook_allowed_hosts=["127.0.0.1"],
        webhook_allow_http=True,
        recompute_interval_seconds=3600,
    )
    served = create_app(database_url, settings)
    async with served.router.lifespan_context(served), make_client(served) as client:
        await sign_up(client, "Served", "Sam")
        endpoint = await endpoint_at(client, receiver.url, event_types=["check_in.created"])
        await check_in(client, await key_result(client))
        await receiver.wait_for(lambda got: len(got) == 1, within=5)
    assert verify(endpoint["secret"], receiver.received[0])["type"] == "check_in.created"
