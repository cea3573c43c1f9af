"""One timestamp form: every date-time the API returns is UTC written with `Z`; days stay plain dates.

The organisation works in Europe/Berlin (the default), so a value computed in its zone (a cycle's end,
the middle of a cycle, the moment a cycle closed) would show +01:00/+02:00 if any response leaked it.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI
from tests.insights.helpers import check_in_at, cycle, key_result, objective
from tests.support import FixedClock, Tenant, create

# RFC 3339 date-time (any offset) and plain date: every string of these shapes is checked.
DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})?$")
UTC_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def date_times(value: Any, path: str = "$") -> list[tuple[str, str]]:
    """Every (path, string) in a JSON document that is a date-time."""
    found: list[tuple[str, str]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            found += date_times(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += date_times(item, f"{path}[{index}]")
    elif isinstance(value, str) and DATE_TIME.match(value):
        found.append((path, value))
    return found


async def test_every_timestamp_in_responses_is_utc_with_z(app: FastAPI, tenant: Tenant, clock: FixedClock) -> None:
    client = tenant.client
    clock.set("2026-04-01T08:00:00+02:00")
    team = await create(client, "/api/v1/teams", {"name": "Growth"})
    q2 = await cycle(tenant, "Q2", "2026-04-01", "2026-06-30")
    company = await objective(tenant, q2["id"], "Grow")
    team_objective = await objective(tenant, q2["id"], "Team", level="team", team_id=team["id"])
    kr = await key_result(
        tenant,
        team_objective,
        title="Signups",
        metric="number",
        direction="increase",
        start_value=0,
        target_value=100,
        cadence="weekly",
        milestone_plan=[{"date": "2026-05-15", "value": 50}],
    )
    await key_result(
        tenant,
        company,
        title="Leads",
        metric="number",
        direction="increase",
        start_value=0,
        target_value=10,
        cadence="weekly",
    )
    await check_in_at(tenant, clock, "2026-04-20T10:00:00+02:00", kr, 20, confidence=7)
    await check_in_at(tenant, clock, "2026-05-20T10:00:00+02:00", kr, 35, confidence=4)
    await create(
        client, "/api/v1/api-keys", {"name": "tool", "scopes": ["read"], "expires_at": "2027-01-01T00:00:00+01:00"}
    )
    await create(client, "/api/v1/webhook-endpoints", {"url": "https://hooks.example.test/in", "format": "slack"})
    clock.set("2026-05-25T12:00:00+02:00")

    reads = [
        "/api/v1/me",
        "/api/v1/me/sessions",
        "/api/v1/organisation",
        "/api/v1/members",
        "/api/v1/api-keys",
        "/api/v1/teams",
        "/api/v1/cycles",
        "/api/v1/objectives",
        "/api/v1/key-results",
        "/api/v1/check-ins",
        f"/api/v1/cycles/{q2['id']}/scoreboard",
        f"/api/v1/cycles/{q2['id']}/health",
        f"/api/v1/cycles/{q2['id']}/ambition",
        f"/api/v1/teams/{team['id']}/review",
        f"/api/v1/teams/{team['id']}/digest",
        "/api/v1/events",
        "/api/v1/webhook-endpoints",
        "/api/v1/initiatives",
    ]
    checked: list[tuple[str, str]] = []
    for path in reads:
        response = await client.get(path)
        assert response.status_code == 200, f"{path}: {response.text}"
        checked += [(f"{path} {where}", text) for where, text in date_times(response.json())]

    clock.set("2026-07-02T09:00:00+02:00")
    closed = await client.post(f"/api/v1/cycles/{q2['id']}/close")
    assert closed.status_code == 200, closed.text
    checked += [(f"close {where}", text) for where, text in date_times(closed.json())]
    for path in (f"/api/v1/cycles/{q2['id']}/retrospective", f"/api/v1/cycles/{q2['id']}/grades"):
        response = await client.get(path)
        assert response.status_code == 200, f"{path}: {response.text}"
        checked += [(f"{path} {where}", text) for where, text in date_times(response.json())]

    fields = {where.rsplit(".", 1)[-1] for where, _ in checked}
    # The fields the audit named are among those checked (so this test walks what broke).
    assert {
        "as_of",
        "mid_cycle_at",
        "closed_at",
        "created_at",
        "checked_in_at",
        "expires_at",
        "changed_at",
    } <= fields, fields
    offenders = [(where, text) for where, text in checked if not UTC_Z.match(text)]
    assert offenders == [], offenders


async def test_days_stay_plain_dates(tenant: Tenant) -> None:
    created = await cycle(tenant, "Q3", "2026-07-01", "2026-09-30")
    assert (created["start_date"], created["end_date"]) == ("2026-07-01", "2026-09-30")
    assert DATE.match(created["start_date"]) and UTC_Z.match(created["created_at"])
