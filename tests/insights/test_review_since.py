"""The review agenda's `since` (issue 15, point 11): an ISO date-time with an offset, or a date alone — 00:00 of
that day in the organisation's time zone. Numbers and date-times without an offset stay refused."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from tests.insights.helpers import real_time
from tests.support import FixedClock, SignUp, create


async def _agenda(client: httpx.AsyncClient, team: dict[str, Any], since: str) -> dict[str, Any]:
    response = await client.get(f"/api/v1/teams/{team['id']}/review", params={"since": since})
    assert response.status_code == 200, response.text
    agenda: dict[str, Any] = response.json()
    return agenda


async def test_a_date_alone_is_the_start_of_that_day_in_the_organisations_time_zone(
    signup: SignUp, clock: FixedClock
) -> None:
    real_time(clock)
    tenant = await signup()
    client = tenant.client
    team = await create(client, "/api/v1/teams", {"name": "Growth"})
    clock.set("2026-05-01T00:30:00+02:00")  # half past midnight in Berlin, still 30 April in UTC
    launch = await create(client, "/api/v1/initiatives", {"title": "Launch", "team_id": team["id"]})
    clock.set("2026-05-01T09:00:00+02:00")

    berlin = await _agenda(client, team, "2026-05-01")  # the organisation's zone: Europe/Berlin
    assert berlin["since_from"] == "query"
    assert berlin["since"] == "2026-04-30T22:00:00Z"
    assert [i["id"] for i in berlin["new_unaligned_initiatives"]] == [launch["id"]]

    etag = (await client.get("/api/v1/organisation")).headers["ETag"]
    moved = await client.patch(
        "/api/v1/organisation", json={"settings": {"time_zone": "UTC"}}, headers={"If-Match": etag}
    )
    assert moved.status_code == 200, moved.text
    utc = await _agenda(client, team, "2026-05-01")
    assert utc["since"] == "2026-05-01T00:00:00Z"
    assert utc["new_unaligned_initiatives"] == []  # created 22:30 UTC on 30 April: before that day began

    # A date-time with its offset is that moment, whatever the organisation's zone.
    assert (await _agenda(client, team, "2026-05-01T00:00:00+02:00"))["since"] == "2026-04-30T22:00:00Z"


@pytest.mark.parametrize("since", ["2026-05-01T09:00:00", "2026-02-30", "20260501", "2026-5-1", "0.5", "1e9"])
async def test_since_without_an_offset_or_not_a_calendar_day_is_refused(signup: SignUp, since: str) -> None:
    tenant = await signup()
    team = await create(tenant.client, "/api/v1/teams", {"name": "Growth"})
    response = await tenant.client.get(f"/api/v1/teams/{team['id']}/review", params={"since": since})
    assert response.status_code == 422, response.text
    (error,) = response.json()["errors"]
    assert error["loc"] == ["query", "since"]
