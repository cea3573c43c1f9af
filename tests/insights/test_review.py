"""A team's 15-minute review: what is on the agenda, in which order, since when; recording a review."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg
import pytest
from fastapi import FastAPI
from tests.insights.helpers import check_in_at, cycle, key_result, objective, real_time
from tests.support import FixedClock, SignUp, StatementCounter, Tenant, create

NOW = "2026-06-02T12:00:00+02:00"


def _at(iso: str) -> datetime:
    return datetime.fromisoformat(iso)


async def _team_with_history(signup: SignUp, clock: FixedClock) -> dict[str, Any]:
    real_time(clock)
    tenant = await signup()
    marketing = await create(tenant.client, "/api/v1/teams", {"name": "Marketing"})
    demand = await create(tenant.client, "/api/v1/teams", {"name": "Demand Gen", "parent_id": marketing["id"]})
    sales = await create(tenant.client, "/api/v1/teams", {"name": "Sales"})
    clock.set("2026-01-02T09:00:00+01:00")
    fy = await cycle(tenant, "FY2026", "2026-01-01", "2026-12-31")
    goal = await objective(tenant, fy["id"], "Demand", level="team", team_id=marketing["id"])
    child = await objective(tenant, fy["id"], "Pipeline", level="team", team_id=demand["id"])
    other = await objective(tenant, fy["id"], "Deals", level="team", team_id=sales["id"])
    krs = {
        "behind": await key_result(tenant, goal, title="Behind", target_value=100),
        "slipping": await key_result(tenant, goal, title="Slipping", target_value=100),
        "doubt": await key_result(tenant, goal, title="Doubt", target_value=100),
        "silent": await key_result(tenant, goal, title="Silent", target_value=100),
        "fine": await key_result(tenant, goal, title="Fine", target_value=100),
        "child": await key_result(tenant, child, title="Child behind", target_value=100),
        "other": await key_result(tenant, other, title="Other team behind", target_value=100),
    }
    await check_in_at(tenant, clock, "2026-04-01T10:00:00+02:00", krs["silent"], 30, confidence=7)
    await check_in_at(tenant, clock, "2026-05-25T10:00:00+02:00", krs["doubt"], 45, confidence=8)
    await check_in_at(tenant, clock, "2026-05-25T11:00:00+02:00", krs["fine"], 45, confidence=7)
    clock.set("2026-06-01T10:00:00+02:00")
    for name, value, confidence in [
        ("behind", 10, 5),  # expected 0.41: 31 points behind → off track
        ("slipping", 25, 6),  # 16 behind → at risk
        ("doubt", 45, 4),  # on track, but confidence fell from 8 to 4
        ("fine", 50, 7),
        ("child", 5, 5),
        ("other", 5, 5),
    ]:
        await create(
            tenant.client,
            "/api/v1/check-ins",
            {"key_result_id": krs[name]["id"], "value": value, "confidence": confidence},
        )
    clock.set(NOW)
    return {"tenant": tenant, "team": marketing, "krs": krs}


async def test_agenda_lists_the_worst_first_since_a_week_ago(signup: SignUp, clock: FixedClock) -> None:
    setup = await _team_with_history(signup, clock)
    tenant, krs = setup["tenant"], setup["krs"]
    response = await tenant.client.get(f"/api/v1/teams/{setup['team']['id']}/review")
    assert response.status_code == 200, response.text
    agenda = response.json()
    assert agenda["since_from"] == "default"
    assert _at(agenda["since"]) == _at("2026-05-26T12:00:00+02:00")
    assert agenda["key_results_reviewed"] == 5
    assert [(i["title"], i["reasons"]) for i in agenda["items"]] == [
        ("Behind", ["off_track"]),
        ("Slipping", ["at_risk"]),
        ("Silent", ["missing_check_in"]),  # weekly, last heard of on 1 April
        ("Doubt", ["confidence_drop"]),
    ]
    behind, slipping, silent, doubt = agenda["items"]
    assert behind["severity"] == pytest.approx(3 + behind["expected_progress"] - 0.10)
    assert slipping["severity"] == pytest.approx(2 + slipping["expected_progress"] - 0.25)
    assert silent["severity"] == 1.0
    assert (doubt["confidence_at_since"], doubt["latest_confidence"], doubt["confidence_drop"]) == (8, 4, 4)
    assert doubt["severity"] == pytest.approx(0.8)
    assert krs["fine"]["id"] not in {i["key_result_id"] for i in agenda["items"]}

    with_children = (
        await tenant.client.get(f"/api/v1/teams/{setup['team']['id']}/review", params={"include_sub_teams": "true"})
    ).json()
    assert [i["title"] for i in with_children["items"]][:2] == ["Child behind", "Behind"]
    assert "Other team behind" not in {i["title"] for i in with_children["items"]}

    # Asking from before the confidence of 8 was given: nothing to compare with, so no drop.
    early = (
        await tenant.client.get(
            f"/api/v1/teams/{setup['team']['id']}/review", params={"since": "2026-05-01T00:00:00+02:00"}
        )
    ).json()
    assert early["since_from"] == "query"
    assert "Doubt" not in {i["title"] for i in early["items"]}


async def test_agenda_lists_the_teams_new_unaligned_initiatives(signup: SignUp, clock: FixedClock) -> None:
    setup = await _team_with_history(signup, clock)
    tenant, team, krs = setup["tenant"], setup["team"], setup["krs"]
    teams = {t["name"]: t["id"] for t in (await tenant.client.get("/api/v1/teams")).json()["items"]}

    async def initiative(when: str, title: str, team_name: str, **fields: Any) -> dict[str, Any]:
        clock.set(when)
        body = {"title": title, "team_id": teams[team_name], "planned_budget": "900", **fields}
        return await create(tenant.client, "/api/v1/initiatives", body)

    await initiative("2026-05-20T09:00:00+02:00", "Before the window", "Marketing")
    podcast = await initiative("2026-05-30T09:00:00+02:00", "Podcast", "Marketing", kind="campaign")
    await initiative(
        "2026-05-30T10:00:00+02:00", "Webinar", "Marketing", key_results=[{"key_result_id": krs["behind"]["id"]}]
    )
    await initiative("2026-05-30T11:00:00+02:00", "Dropped idea", "Marketing", state="dropped")
    await initiative("2026-05-31T09:00:00+02:00", "Sales dinner", "Sales")
    ads = await initiative("2026-05-31T10:00:00+02:00", "Search ads", "Demand Gen")
    clock.set(NOW)

    url = f"/api/v1/teams/{team['id']}/review"
    agenda = (await tenant.client.get(url)).json()
    [new] = agenda["new_unaligned_initiatives"]
    assert (new["id"], new["title"], new["kind"], new["planned_budget"], new["actual_spend"]) == (
        podcast["id"],
        "Podcast",
        "campaign",
        "900.00",
        "0.00",
    )
    me = (await tenant.client.get(f"/api/v1/members/{tenant.owner_id}")).json()
    assert (new["owner_id"], new["owner_name"]) == (tenant.owner_id, me["name"])
    with_children = (await tenant.client.get(url, params={"include_sub_teams": "true"})).json()
    assert [i["id"] for i in with_children["new_unaligned_initiatives"]] == [podcast["id"], ads["id"]]
    # Once aligned, it leaves the agenda.
    await tenant.client.put(
        f"/api/v1/initiatives/{podcast['id']}/key-results",
        json={"key_results": [{"key_result_id": krs["fine"]["id"]}]},
        headers={"If-Match": f'"{podcast["version"]}"'},
    )
    assert (await tenant.client.get(url)).json()["new_unaligned_initiatives"] == []


async def test_recording_a_review_sets_the_next_since(
    signup: SignUp, clock: FixedClock, owner_connection: asyncpg.Connection
) -> None:
    setup = await _team_with_history(signup, clock)
    tenant, team = setup["tenant"], setup["team"]
    future = await tenant.client.post(
        f"/api/v1/teams/{team['id']}/reviews", json={"held_at": "2026-06-03T09:00:00+02:00"}
    )
    assert future.status_code == 422
    assert future.json()["errors"][0]["loc"] == ["body", "held_at"]
    recorded = await tenant.client.post(
        f"/api/v1/teams/{team['id']}/reviews",
        json={"notes": "Behind needs a new channel", "decisions": ["Shift budget to webinars", "Max owns Silent"]},
    )
    assert recorded.status_code == 201, recorded.text
    review = recorded.json()
    # The window it covered: a week, as no review came before.
    assert _at(review["since"]) == _at("2026-05-26T12:00:00+02:00")
    assert _at(review["held_at"]) == _at(NOW)
    assert review["decisions"] == ["Shift budget to webinars", "Max owns Silent"]
    events = await owner_connection.fetchval(
        "SELECT count(*) FROM events WHERE type = 'team_review.created' AND object_id = $1", uuid.UUID(review["id"])
    )
    assert events == 1

    clock.set("2026-06-09T12:00:00+02:00")
    agenda = (await tenant.client.get(f"/api/v1/teams/{team['id']}/review")).json()
    assert agenda["since_from"] == "previous_review"
    assert _at(agenda["since"]) == _at(NOW)
    assert agenda["previous_review"]["id"] == review["id"]
    # Doubt's 4 was given before the review: no new drop since then.
    assert "Doubt" not in {i["title"] for i in agenda["items"]}
    listed = (await tenant.client.get(f"/api/v1/teams/{team['id']}/reviews")).json()
    assert [r["id"] for r in listed["items"]] == [review["id"]]


async def test_agenda_statements_do_not_grow_with_the_team(app: FastAPI, tenant: Tenant, clock: FixedClock) -> None:
    counts = []
    for size in (2, 25):
        team = await create(tenant.client, "/api/v1/teams", {"name": f"Team {size}"})
        clock.set("2026-01-02T09:00:00+01:00")
        fy = await cycle(tenant, f"FY-{size}", "2026-01-01", "2026-12-31")
        goal = await objective(tenant, fy["id"], "Goal", level="team", team_id=team["id"])
        for n in range(size):
            kr = await key_result(tenant, goal, title=f"KR {n}", target_value=100)
            await check_in_at(tenant, clock, "2026-03-01T10:00:00+01:00", kr, n, confidence=n % 10)
        clock.set(NOW)
        with StatementCounter(app) as counter:
            agenda = await tenant.client.get(f"/api/v1/teams/{team['id']}/review")
        assert agenda.status_code == 200
        assert agenda.json()["key_results_reviewed"] == size
        counts.append(counter.count)
    assert counts[0] == counts[1]
