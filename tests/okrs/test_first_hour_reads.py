"""The web app's first hour (issue 14, points 1 and 5), through the real API: a quarter's reads include the
objectives of the year that contains it, marked `inherited`; the cycle the app opens on is the person's last
choice (remembered per person on the server) else the one where their work is; GET /me/key-results lists every
key result the person owns in the active cycles, due ones first.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from tests.insights.helpers import check_in_at, cycle, key_result, objective, real_time
from tests.support import FixedClock, SignUp, create


async def _year_and_quarters(tenant: Any) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    year = await cycle(tenant, "FY2026", "2026-01-01", "2026-12-31")
    q1 = await cycle(tenant, "Q1 2026", "2026-01-01", "2026-03-31")
    q3 = await cycle(tenant, "Q3 2026", "2026-07-01", "2026-09-30")
    return year, q1, q3


async def test_a_quarter_shows_its_years_objectives_marked_inherited(
    app: FastAPI, signup: SignUp, clock: FixedClock
) -> None:
    real_time(clock)
    tenant = await signup()
    year, q1, q3 = await _year_and_quarters(tenant)
    annual = await objective(tenant, year["id"], "Grow the company")
    await key_result(tenant, annual, title="Revenue", target_value=100)
    quarterly = await objective(tenant, q3["id"], "Launch in Spain")
    other_quarter = await objective(tenant, q1["id"], "Hire a team")

    plain = (await tenant.client.get(f"/api/v1/cycles/{q3['id']}/scoreboard")).json()
    assert [o["id"] for t in plain["teams"] for o in t["objectives"]] == [quarterly["id"]]

    board = await tenant.client.get(f"/api/v1/cycles/{q3['id']}/scoreboard", params={"include_enclosing": True})
    assert board.status_code == 200, board.text
    rows = {o["id"]: o for t in board.json()["teams"] for o in t["objectives"]}
    assert set(rows) == {annual["id"], quarterly["id"]}  # not Q1's objective: Q1 does not contain Q3
    assert other_quarter["id"] not in rows
    assert rows[annual["id"]]["inherited"] is True and rows[annual["id"]]["cycle_id"] == year["id"]
    assert rows[quarterly["id"]]["inherited"] is False and rows[quarterly["id"]]["cycle_id"] == q3["id"]
    assert board.json()["totals"]["objectives"]["no_data"] + board.json()["totals"]["objectives"]["on_track"] >= 1
    assert sum(board.json()["totals"]["objectives"].values()) == 2

    # The year asked for itself includes no quarter (a quarter does not contain the year).
    year_board = await tenant.client.get(f"/api/v1/cycles/{year['id']}/scoreboard", params={"include_enclosing": True})
    year_rows = [o for t in year_board.json()["teams"] for o in t["objectives"]]
    assert [o["id"] for o in year_rows] == [annual["id"]] and year_rows[0]["inherited"] is False

    # The alignment map marks the year's objectives too.
    graph = (await tenant.client.get(f"/api/v1/cycles/{q3['id']}/alignment-map")).json()
    marks = {o["id"]: o["inherited"] for o in graph["objectives"]}
    assert marks[annual["id"]] is True and marks[quarterly["id"]] is False


async def test_the_app_opens_where_the_persons_work_is_and_remembers_the_choice(
    app: FastAPI, signup: SignUp, clock: FixedClock
) -> None:
    real_time(clock)
    tenant = await signup()
    member, member_id = await tenant.member_client(app, "member")
    clock.set("2026-08-10T10:00:00+02:00")
    year, q1, q3 = await _year_and_quarters(tenant)
    other = await cycle(tenant, "Partners push", "2026-08-01", "2026-11-30")
    partners = await create(tenant.client, "/api/v1/teams", {"name": "Partners", "member_ids": [member_id]})
    await objective(tenant, other["id"], "Partner deals", level="team", team_id=partners["id"], owner_id=member_id)

    # Nobody chose yet: the owner has no work anywhere, so the shortest current active cycle (Q3); the member's
    # team works in "Partners push", which overlaps Q3 without containing it.
    owner_choice = (await tenant.client.get("/api/v1/me/cycle")).json()
    assert owner_choice == {"cycle_id": None, "suggested_cycle_id": q3["id"]}
    assert (await member.get("/api/v1/me/cycle")).json()["suggested_cycle_id"] == other["id"]

    # The choice is per person and kept on the server.
    saved = await member.put("/api/v1/me/cycle", json={"cycle_id": q1["id"]})
    assert saved.status_code == 200, saved.text
    assert (await member.get("/api/v1/me/cycle")).json()["cycle_id"] == q1["id"]
    assert (await tenant.client.get("/api/v1/me/cycle")).json()["cycle_id"] is None
    again = await member.put("/api/v1/me/cycle", json={"cycle_id": year["id"]})
    assert again.json()["cycle_id"] == year["id"]

    # Bad input is a problem, never a 500.
    unknown = await member.put("/api/v1/me/cycle", json={"cycle_id": "00000000-0000-0000-0000-000000000000"})
    assert unknown.status_code == 404
    wrong = await member.put("/api/v1/me/cycle", json={"cycle_id": "q3", "extra": 1})
    assert wrong.status_code == 422 and wrong.headers["content-type"] == "application/problem+json"
    assert {tuple(e["loc"]) for e in wrong.json()["errors"]} >= {("body", "cycle_id")}


async def test_my_key_results_cover_every_active_cycle_due_first(
    app: FastAPI, signup: SignUp, clock: FixedClock
) -> None:
    real_time(clock)
    tenant = await signup()
    member, member_id = await tenant.member_client(app, "member")
    clock.set("2026-07-02T10:00:00+02:00")
    year, _q1, q3 = await _year_and_quarters(tenant)
    annual = await objective(tenant, year["id"], "Grow the company")
    quarterly = await objective(tenant, q3["id"], "Launch in Spain")
    planning = await cycle(tenant, "Next year", "2027-01-01", "2027-12-31", state="planning")
    later = await objective(tenant, planning["id"], "Later")
    fresh = await key_result(tenant, annual, title="Fresh", target_value=10, owner_id=member_id)
    weekly_old = await key_result(tenant, quarterly, title="Weekly, old", target_value=10, owner_id=member_id)
    never = await key_result(tenant, annual, title="Never checked in", target_value=10, owner_id=member_id)
    await key_result(tenant, annual, title="Someone else's", target_value=10)
    await key_result(tenant, later, title="Planning cycle", target_value=10, owner_id=member_id)

    await check_in_at(tenant, clock, "2026-07-03T10:00:00+02:00", weekly_old, 2, confidence=6)
    await check_in_at(tenant, clock, "2026-07-14T10:00:00+02:00", fresh, 3, confidence=7)
    clock.set("2026-07-15T10:00:00+02:00")

    answer = await member.get("/api/v1/me/key-results")
    assert answer.status_code == 200, answer.text
    items = answer.json()["items"]
    assert [i["key_result"]["title"] for i in items] == ["Never checked in", "Weekly, old", "Fresh"]
    assert [i["due"] for i in items] == [True, True, False]
    assert items[0]["due_since"] is None
    assert items[1]["due_since"].startswith("2026-07-10T08:00:00")
    assert {i["cycle_name"] for i in items} == {"FY2026", "Q3 2026"}
    assert items[1]["objective_title"] == "Launch in Spain"
    assert never["id"] == items[0]["key_result"]["id"]

    # "No change": the same value with a new confidence clears the due mark.
    done = await member.post(
        "/api/v1/check-ins:batch",
        json={
            "items": [
                {"key_result_id": i["key_result"]["id"], "value": i["key_result"]["current_value"], "confidence": 5}
                for i in items
                if i["due"]
            ]
        },
    )
    assert done.status_code == 201, done.text
    after = (await member.get("/api/v1/me/key-results")).json()["items"]
    assert [i["due"] for i in after] == [False, False, False]
    owners = (await tenant.client.get("/api/v1/me/key-results")).json()["items"]
    assert [i["key_result"]["title"] for i in owners] == ["Someone else's"]


async def test_the_fiscal_year_start_is_an_organisation_setting(signup: SignUp) -> None:
    tenant = await signup()
    before = (await tenant.client.get("/api/v1/organisation")).json()
    assert before["settings"]["fiscal_year_start_month"] == 1
    etag = (await tenant.client.get("/api/v1/organisation")).headers.get("etag", "*")
    changed = await tenant.client.patch(
        "/api/v1/organisation", json={"settings": {"fiscal_year_start_month": 4}}, headers={"If-Match": etag}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["settings"]["fiscal_year_start_month"] == 4
    etag = changed.headers.get("etag", "*")
    wrong = await tenant.client.patch(
        "/api/v1/organisation", json={"settings": {"fiscal_year_start_month": 13}}, headers={"If-Match": etag}
    )
    assert wrong.status_code == 422
    assert [e["loc"] for e in wrong.json()["errors"]] == [["body", "settings", "fiscal_year_start_month"]]
