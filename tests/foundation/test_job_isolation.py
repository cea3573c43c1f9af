"""Scheduled jobs isolate organisations: one organisation's bad data is logged, counted and skipped, and every
other organisation is still served in the same pass (status recompute, check-in reminders, team digests).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families
from tests.support import FixedClock, SignUp, Tenant, create, okr_setup

from sightline.url_guard import UrlPolicy
from sightline.worker import digest_all, recompute_all, remind_all

# A Monday, after the digests' default slot (09:00), three months after the check-ins below.
LATER = datetime.fromisoformat("2026-10-05T10:00:00+02:00")
JOBS = ("recompute", "checkin_reminders", "team_digests")


@pytest.fixture(autouse=True)
async def _no_scheduled_leftovers(owner_connection: asyncpg.Connection) -> AsyncIterator[None]:
    """The jobs visit every organisation: no other test's digest or delivery may be sent by these passes."""

    async def settle() -> None:
        await owner_connection.execute("DELETE FROM team_digests")
        await owner_connection.execute(
            "UPDATE webhook_deliveries SET status = 'failed', next_attempt_at = NULL, lease_token = NULL "
            "WHERE status IN ('pending', 'paused')"
        )

    await settle()
    yield
    await settle()


@pytest.fixture
def local_endpoints(app: FastAPI) -> Iterator[None]:
    saved = app.state.webhook_policy
    app.state.webhook_policy = UrlPolicy.of(["127.0.0.1"], allow_http=True)
    yield
    app.state.webhook_policy = saved


@pytest.fixture
async def three(signup: SignUp) -> list[Tenant]:
    return [await signup(f"Org {n}") for n in range(3)]


async def metric(anon: httpx.AsyncClient, name: str, job: str) -> float:
    """The value of a job counter as GET /metrics shows it to the operator."""
    text = (await anon.get("/metrics")).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels.get("job") == job:
                return float(sample.value)
    return 0.0


async def counters(anon: httpx.AsyncClient) -> dict[str, tuple[float, float]]:
    return {
        job: (
            await metric(anon, "sightline_job_failures_total", job),
            await metric(anon, "sightline_job_skipped_rows_total", job),
        )
        for job in JOBS
    }


async def busy_organisation(tenant: Tenant) -> dict[str, Any]:
    """A team with a digest and a key result on pace today (1 July) that will have fallen behind by LATER
    (its status changes), with no check-in since (a reminder is due)."""
    team = await create(tenant.client, "/api/v1/teams", {"name": f"Team {uuid.uuid4().hex[:6]}"})
    okr = await okr_setup(tenant.client)
    objective = await create(
        tenant.client,
        "/api/v1/objectives",
        {"cycle_id": okr.cycle["id"], "title": "Team goal", "level": "team", "team_id": team["id"]},
    )
    kr = await create(
        tenant.client,
        "/api/v1/key-results",
        {"objective_id": objective["id"], "title": "Leads", "target_value": 365, "cadence": "weekly"},
    )
    await create(tenant.client, "/api/v1/check-ins", {"key_result_id": kr["id"], "value": 182, "confidence": 8})
    endpoint = await create(
        tenant.client, "/api/v1/webhook-endpoints", {"url": "http://127.0.0.1:9/hook", "event_types": ["cycle.closed"]}
    )
    await create(tenant.client, "/api/v1/team-digests", {"team_id": team["id"], "endpoint_id": endpoint["id"]})
    return {"cycle": okr.cycle, "kr": kr, "team": team}


async def served(tenant: Tenant, kr: dict[str, Any]) -> dict[str, int]:
    """What the scheduler did for this organisation, from its own audit log."""

    async def count(**params: str) -> int:
        items = (await tenant.client.get("/api/v1/events", params=params)).json()["items"]
        return sum(1 for event in items if event["actor"].startswith("system:"))

    return {
        "recompute": await count(object_id=kr["id"], type="key_result.status_changed"),
        "checkin_reminders": await count(object_id=kr["id"], type="key_result.checkin_overdue"),
        "team_digests": await count(type="team.digest"),
    }


@pytest.mark.usefixtures("local_endpoints")
async def test_an_organisation_whose_jobs_fail_does_not_stop_the_others(
    app: FastAPI,
    three: list[Tenant],
    anon: httpx.AsyncClient,
    clock: FixedClock,
    owner_connection: asyncpg.Connection,
) -> None:
    broken, *healthy = three
    setups = {tenant.org_id: await busy_organisation(tenant) for tenant in [broken, *healthy]}
    before = {tenant.org_id: await served(tenant, setups[tenant.org_id]["kr"]) for tenant in healthy}
    # A cycle stored ending in the year 10000 (PostgreSQL takes it, Python cannot read it): every job that
    # reads the broken organisation's cycles fails for it.
    cycle_id = uuid.UUID(setups[broken.org_id]["cycle"]["id"])
    await owner_connection.execute("UPDATE cycles SET end_date = '10000-01-01' WHERE id = $1", cycle_id)
    try:
        start = await counters(anon)
        factory = app.state.session_factory
        assert await recompute_all(factory, now=LATER) >= len(healthy)
        assert await remind_all(factory, now=LATER) >= len(healthy)
        assert await digest_all(factory, now=LATER) == len(healthy)
        end = await counters(anon)
    finally:
        await owner_connection.execute("UPDATE cycles SET end_date = '2026-12-31' WHERE id = $1", cycle_id)
    for tenant in healthy:
        done = await served(tenant, setups[tenant.org_id]["kr"])
        previous = before[tenant.org_id]
        assert {job: done[job] - previous[job] for job in JOBS} == dict.fromkeys(JOBS, 1), tenant.org_id
    # The broken organisation: its transaction rolled back, logged and counted for the two jobs that read
    # every cycle; the digest of its broken team skipped on its own (another team's would still go out).
    assert end["recompute"][0] == start["recompute"][0] + 1
    assert end["checkin_reminders"][0] == start["checkin_reminders"][0] + 1
    assert end["team_digests"] == (start["team_digests"][0], start["team_digests"][1] + 1)
    assert await served(broken, setups[broken.org_id]["kr"]) == dict.fromkeys(JOBS, 0)


async def test_a_row_a_job_cannot_read_is_skipped_and_the_rest_of_its_organisation_served(
    app: FastAPI, tenant: Tenant, anon: httpx.AsyncClient, clock: FixedClock, owner_connection: asyncpg.Connection
) -> None:
    okr = await okr_setup(tenant.client)
    krs = [
        await create(
            tenant.client,
            "/api/v1/key-results",
            {"objective_id": okr.objective["id"], "title": title, "target_value": 365, "cadence": "weekly"},
        )
        for title in ("Readable", "Unreadable")
    ]
    for kr in krs:
        await create(tenant.client, "/api/v1/check-ins", {"key_result_id": kr["id"], "value": 182})
    readable, unreadable = krs
    await owner_connection.execute(
        """UPDATE key_results SET milestone_plan = '[{"date": "someday", "value": 1}]' WHERE id = $1""",
        uuid.UUID(unreadable["id"]),
    )
    try:
        start = await counters(anon)
        await recompute_all(app.state.session_factory, now=LATER)
        await remind_all(app.state.session_factory, now=LATER)
        end = await counters(anon)
        # A check-in beside the unreadable row still lands: its objective keeps its stored roll-up, logged.
        check_in = {"key_result_id": readable["id"], "value": 200}
        assert (await tenant.client.post("/api/v1/check-ins", json=check_in)).status_code == 201
    finally:
        await owner_connection.execute(
            "UPDATE key_results SET milestone_plan = '[]' WHERE id = $1", uuid.UUID(unreadable["id"])
        )
    assert (await served(tenant, readable))["recompute"] == 1
    assert (await served(tenant, readable))["checkin_reminders"] == 1
    assert (await served(tenant, unreadable))["recompute"] == 0
    assert (await served(tenant, unreadable))["checkin_reminders"] == 0
    for job in ("recompute", "checkin_reminders"):
        assert end[job] == (start[job][0], start[job][1] + 1), job
