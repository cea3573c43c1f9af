"""Check-in reminders: `key_result.checkin_overdue` once per overdue period, delivered like any event."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from tests.support import FixedClock, Tenant, create, okr_setup
from tests.webhook_receiver import LocalReceiver
from tests.webhooks.support import endpoint_at, verify

from sightline import scoring
from sightline.db.tenancy import set_tenant
from sightline.okrs.reminders import CheckInOverdue, remind_org
from sightline.scoring import Cadence
from sightline.webhooks.dispatcher import Dispatcher

START = datetime(2026, 1, 1, tzinfo=UTC)


async def remind(app: FastAPI, tenant: Tenant, now: datetime) -> int:
    """One scheduler pass over this organisation (the worker runs it over all of them)."""
    org_id = uuid.UUID(tenant.org_id)
    async with app.state.session_factory() as session, session.begin():
        await set_tenant(session, org_id)
        return await remind_org(session, org_id=org_id, now=now)


@pytest.mark.parametrize(
    ("last_check_in", "cadence", "now", "periods"),
    [
        pytest.param(None, Cadence.weekly, START + timedelta(days=9), 0, id="weekly-within-grace-not-overdue"),
        pytest.param(None, Cadence.weekly, START + timedelta(days=9, seconds=1), 1, id="weekly-just-past-grace"),
        pytest.param(None, Cadence.weekly, START + timedelta(days=16), 1, id="weekly-still-first-period"),
        pytest.param(None, Cadence.weekly, START + timedelta(days=16, seconds=1), 2, id="weekly-second-period"),
        pytest.param(
            START + timedelta(days=20), Cadence.monthly, START + timedelta(days=52), 0, id="monthly-from-last-check-in"
        ),
        pytest.param(
            START + timedelta(days=20), Cadence.monthly, START + timedelta(days=113), 3, id="monthly-three-periods"
        ),
    ],
)
def test_overdue_periods_follow_the_stale_rule(
    last_check_in: datetime | None, cadence: Cadence, now: datetime, periods: int
) -> None:
    timing = {"last_check_in_at": last_check_in, "cycle_start": START, "cadence": cadence, "now": now}
    assert scoring.overdue_periods(**timing) == periods  # type: ignore[arg-type]
    assert scoring.is_stale(**timing) is (periods > 0)  # type: ignore[arg-type]


async def test_a_stale_key_result_raises_checkin_overdue_once_per_period(
    app: FastAPI, tenant: Tenant, clock: FixedClock, receiver: LocalReceiver, dispatcher: Dispatcher
) -> None:
    clock.set("2026-03-02T09:00:00+00:00")
    endpoint = await endpoint_at(tenant.client, receiver.url, event_types=["key_result.checkin_overdue"])
    okr = await okr_setup(tenant.client)
    kr = await create(
        tenant.client,
        "/api/v1/key-results",
        {"objective_id": okr.objective["id"], "title": "Weekly demos", "target_value": 50, "cadence": "weekly"},
    )
    await create(tenant.client, "/api/v1/check-ins", {"key_result_id": kr["id"], "value": 5})
    last = datetime(2026, 3, 2, 9, tzinfo=UTC)

    assert await remind(app, tenant, last + timedelta(days=9)) == 0  # 7 days + 2 of grace: not yet
    first = last + timedelta(days=9, hours=1)
    assert await remind(app, tenant, first) == 1
    assert await remind(app, tenant, first + timedelta(days=3)) == 0  # same period: once
    assert await remind(app, tenant, last + timedelta(days=16, hours=1)) == 1  # a week later: again

    clock.set("2026-03-20T09:00:00+00:00")
    await create(tenant.client, "/api/v1/check-ins", {"key_result_id": kr["id"], "value": 9})
    assert await remind(app, tenant, datetime(2026, 3, 28, tzinfo=UTC)) == 0  # checked in: on time again
    assert await remind(app, tenant, datetime(2026, 3, 29, 10, tzinfo=UTC)) == 1  # late again: a new reminder

    log = (
        await tenant.client.get("/api/v1/events", params={"type": "key_result.checkin_overdue", "object_id": kr["id"]})
    ).json()["items"]
    assert [(e["actor"], e["after"]["overdue_periods"], e["after"]["overdue_since"]) for e in log] == [
        ("system:scheduler", 1, "2026-03-11T09:00:00Z"),
        ("system:scheduler", 2, "2026-03-11T09:00:00Z"),
        ("system:scheduler", 1, "2026-03-29T09:00:00Z"),
    ]
    assert all(e["after"]["stale"] for e in log)

    clock.set("2026-03-29T10:00:00+00:00")
    assert await dispatcher.drain() == 3
    bodies = [verify(endpoint["secret"], r, at=clock.now) for r in receiver.received]
    assert [b["type"] for b in bodies] == ["key_result.checkin_overdue"] * 3
    first_body = next(b for b in bodies if b["id"] == log[0]["id"])  # sent concurrently: no order promised
    overdue = CheckInOverdue.model_validate(first_body["data"])
    assert (str(overdue.id), overdue.title, overdue.overdue_periods) == (kr["id"], "Weekly demos", 1)


async def test_archived_and_closed_key_results_get_no_reminders(
    app: FastAPI, tenant: Tenant, clock: FixedClock
) -> None:
    clock.set("2026-03-02T09:00:00+00:00")
    okr = await okr_setup(tenant.client)
    archived = await create(
        tenant.client,
        "/api/v1/key-results",
        {"objective_id": okr.objective["id"], "title": "Archived", "target_value": 5, "cadence": "weekly"},
    )
    response = await tenant.client.delete(f"/api/v1/key-results/{archived['id']}", headers={"If-Match": '"1"'})
    assert response.status_code == 204
    closed = await okr_setup(tenant.client)
    frozen = await create(
        tenant.client,
        "/api/v1/key-results",
        {"objective_id": closed.objective["id"], "title": "Frozen", "target_value": 5, "cadence": "weekly"},
    )
    assert (await tenant.client.post(f"/api/v1/cycles/{closed.cycle['id']}/close")).is_success
    assert await remind(app, tenant, datetime(2026, 6, 1, tzinfo=UTC)) == 0
    log = (await tenant.client.get("/api/v1/events", params={"type": "key_result.checkin_overdue"})).json()["items"]
    assert log == [] and frozen["id"] != archived["id"]
