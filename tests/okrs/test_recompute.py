"""Status follows the calendar: the scheduled recompute changes status and emits events without check-ins."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from fastapi import FastAPI
from tests.support import FixedClock, Tenant, create, okr_setup, run_for_org

from sightline.okrs.recompute import recompute_org

BERLIN = ZoneInfo("Europe/Berlin")


async def recompute(app: FastAPI, tenant: Tenant, now: datetime) -> int:
    """The scheduled recompute (`worker.recompute_all` runs this for each organisation) of this test's organisation
    only: the database's other organisations are other tests'."""
    return await run_for_org(app, tenant.org_id, recompute_org, now)


async def test_status_moves_with_time_and_emits_status_changed(app: FastAPI, tenant: Tenant, clock: FixedClock) -> None:
    clock.set("2026-03-01T00:00:00+01:00")
    okr = await okr_setup(tenant.client)
    kr = await create(
        tenant.client,
        "/api/v1/key-results",
        {"objective_id": okr.objective["id"], "title": "Leads", "target_value": 36500, "cadence": "monthly"},
    )
    # 59 of 365 days: expected 5,900; at 5,900 the result is on track.
    await create(tenant.client, "/api/v1/check-ins", {"key_result_id": kr["id"], "value": 5900, "confidence": 7})
    assert (await tenant.client.get(f"/api/v1/key-results/{kr['id']}")).json()["status"] == "on_track"

    # Nobody checks in; by 1 May expected is 12,000 → gap 0.16 → at risk; by 1 July 18,100 → off track.
    assert await recompute(app, tenant, datetime(2026, 5, 1, tzinfo=BERLIN)) == 1
    assert (await tenant.client.get(f"/api/v1/key-results/{kr['id']}")).json()["status"] == "at_risk"
    await recompute(app, tenant, datetime(2026, 7, 1, tzinfo=BERLIN))
    assert (await tenant.client.get(f"/api/v1/key-results/{kr['id']}")).json()["status"] == "off_track"
    # A second pass at the same moment changes nothing and emits nothing.
    assert await recompute(app, tenant, datetime(2026, 7, 1, tzinfo=BERLIN)) == 0
    log = (
        await tenant.client.get("/api/v1/events", params={"object_id": kr["id"], "type": "key_result.status_changed"})
    ).json()["items"]
    assert [(e["before"]["status"], e["after"]["status"], e["actor"]) for e in log] == [
        ("no_data", "on_track", f"user:{tenant.owner_id}"),  # created two months in: no data before it
        ("on_track", "at_risk", "system:scheduler"),
        ("at_risk", "off_track", "system:scheduler"),
    ]


async def test_no_data_arrives_with_time(app: FastAPI, tenant: Tenant, clock: FixedClock) -> None:
    clock.set("2026-01-02T00:00:00+01:00")
    okr = await okr_setup(tenant.client)
    kr = await create(
        tenant.client,
        "/api/v1/key-results",
        {"objective_id": okr.objective["id"], "title": "Weekly", "target_value": 10, "cadence": "weekly"},
    )
    assert kr["status"] == "on_track"
    assert await recompute(app, tenant, datetime(2026, 1, 9, 1, tzinfo=BERLIN)) == 1
    assert (await tenant.client.get(f"/api/v1/key-results/{kr['id']}")).json()["status"] == "no_data"
