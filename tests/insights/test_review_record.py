"""Issue 14 point 6: a review the team actually runs — no done key results on the agenda, per-item notes and
decisions recorded with the review, the recorded review readable on its own (the app's share link) and exported
as Markdown."""

from __future__ import annotations

from typing import Any

from tests.insights.helpers import check_in_at, cycle, key_result, objective, real_time
from tests.support import FixedClock, SignUp, Tenant, create


async def _agenda_team(signup: SignUp, clock: FixedClock) -> dict[str, Any]:
    real_time(clock)
    tenant = await signup()
    team = await create(tenant.client, "/api/v1/teams", {"name": "Growth Marketing"})
    clock.set("2026-01-02T09:00:00+01:00")
    fy = await cycle(tenant, "FY2026", "2026-01-01", "2026-12-31")
    goal = await objective(tenant, fy["id"], "Win the mid-market", level="team", team_id=team["id"])
    behind = await key_result(tenant, goal, title="Pipeline *qualified*", target_value=100, cadence="weekly")
    reached = await key_result(tenant, goal, title="Reached, less sure", target_value=100, cadence="weekly")
    # Before the window: both checked in with confidence 8.
    await check_in_at(tenant, clock, "2026-05-20T10:00:00+02:00", behind, 20, confidence=8)
    await check_in_at(tenant, clock, "2026-05-20T10:05:00+02:00", reached, 60, confidence=8)
    # In the window: both lose confidence; one reaches its target.
    await check_in_at(tenant, clock, "2026-05-29T10:00:00+02:00", behind, 25, confidence=4)
    await check_in_at(tenant, clock, "2026-05-29T10:05:00+02:00", reached, 100, confidence=5)
    clock.set("2026-06-01T12:00:00+02:00")
    return {"tenant": tenant, "team": team, "goal": goal, "behind": behind, "reached": reached}


async def test_done_key_results_are_not_on_the_agenda_even_with_a_confidence_drop(
    signup: SignUp, clock: FixedClock
) -> None:
    setup = await _agenda_team(signup, clock)
    agenda = (await setup["tenant"].client.get(f"/api/v1/teams/{setup['team']['id']}/review")).json()
    assert agenda["key_results_reviewed"] == 2
    assert [(i["title"], i["confidence_drop"]) for i in agenda["items"]] == [("Pipeline *qualified*", 4)]


async def test_items_are_recorded_with_notes_and_decisions_shared_and_exported(
    signup: SignUp, clock: FixedClock
) -> None:
    setup = await _agenda_team(signup, clock)
    tenant: Tenant = setup["tenant"]
    team, behind, reached = setup["team"], setup["behind"], setup["reached"]
    owner = (await tenant.client.get(f"/api/v1/members/{tenant.owner_id}")).json()["name"]
    recorded = await tenant.client.post(
        f"/api/v1/teams/{team['id']}/reviews",
        json={
            "notes": "Short meeting.\n# not a heading",
            "decisions": ["Meet again Friday"],
            "items": [
                {
                    "key_result_id": behind["id"],
                    "note": "Two deals slipped to July",
                    "decisions": ["Add a webinar", " "],
                },
                {"key_result_id": reached["id"]},
            ],
        },
    )
    assert recorded.status_code == 201, recorded.text
    review = recorded.json()
    assert review["team_name"] == "Growth Marketing"
    assert [
        (i["title"], i["objective_title"], i["owner_name"], i["status"], i["progress"], i["latest_confidence"],
         i["note"], i["decisions"])
        for i in review["items"]
    ] == [
        ("Pipeline *qualified*", "Win the mid-market", owner, "at_risk", 0.25, 4, "Two deals slipped to July",
         ["Add a webinar"]),
        ("Reached, less sure", "Win the mid-market", owner, "done", 1.0, 5, "", []),
    ]  # fmt: skip
    # The share link's read: the same record, on its own URL; and in the team's list.
    one = await tenant.client.get(f"/api/v1/reviews/{review['id']}")
    assert one.status_code == 200 and one.json() == review
    listed = (await tenant.client.get(f"/api/v1/teams/{team['id']}/reviews")).json()["items"]
    assert listed == [review]
    # The record keeps the key result as it stood: a later rename does not rewrite the minutes.
    renamed = await tenant.client.patch(
        f"/api/v1/key-results/{behind['id']}", json={"title": "Renamed"}, headers={"If-Match": '"2"'}
    )
    assert renamed.status_code in (200, 412), renamed.text
    assert (await tenant.client.get(f"/api/v1/reviews/{review['id']}")).json()["items"][0]["title"] == (
        "Pipeline *qualified*"
    )

    exported = await tenant.client.get(f"/api/v1/reviews/{review['id']}/markdown")
    assert exported.status_code == 200
    assert exported.headers["content-type"] == "text/markdown; charset=utf-8"
    assert exported.headers["content-disposition"] == 'attachment; filename="review-growth-marketing-2026-06-01.md"'
    assert exported.text == (
        "# Review of Growth Marketing, 1 June 2026, 12:00\n"
        "\n"
        "Held 1 June 2026, 12:00 (Europe/Berlin), covering what changed since 25 May 2026, 12:00. "
        f"Recorded by {review['actor']}.\n"
        "\n"
        "## Notes\n"
        "\n"
        "Short meeting.\n"
        "\\# not a heading\n"
        "\n"
        "## Decisions\n"
        "\n"
        "- Meet again Friday\n"
        "\n"
        "## Key results discussed\n"
        "\n"
        "### 1. Pipeline \\*qualified\\*\n"
        "\n"
        f"Objective: Win the mid-market · owner {owner} · At risk · 25 % · confidence 4/10\n"
        "\n"
        "Two deals slipped to July\n"
        "\n"
        "Decisions:\n"
        "\n"
        "- Add a webinar\n"
        "\n"
        "### 2. Reached, less sure\n"
        "\n"
        f"Objective: Win the mid-market · owner {owner} · Done · 100 % · confidence 5/10\n"
    )


async def test_item_problems_and_other_organisations(signup: SignUp, clock: FixedClock) -> None:
    setup = await _agenda_team(signup, clock)
    tenant: Tenant = setup["tenant"]
    url = f"/api/v1/teams/{setup['team']['id']}/reviews"
    behind = setup["behind"]["id"]
    twice = await tenant.client.post(url, json={"items": [{"key_result_id": behind}, {"key_result_id": behind}]})
    assert twice.status_code == 422
    assert twice.headers["content-type"] == "application/problem+json"
    assert [e["loc"] for e in twice.json()["errors"]] == [["body", "items", 1, "key_result_id"]]
    unknown = "00000000-0000-4000-8000-000000000000"
    missing = await tenant.client.post(url, json={"items": [{"key_result_id": behind}, {"key_result_id": unknown}]})
    assert missing.status_code == 422
    assert [e["loc"] for e in missing.json()["errors"]] == [["body", "items", 1, "key_result_id"]]
    bad = await tenant.client.post(url, json={"items": [{"key_result_id": behind, "decisions": [""]}]})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["loc"][:4] == ["body", "items", 0, "decisions"]
    review = (await tenant.client.post(url, json={"items": [{"key_result_id": behind, "note": "ok"}]})).json()
    real_time(clock)  # sign the other organisation in at the real time (sessions expire by the database's clock)
    other = await signup()
    assert (await other.client.get(f"/api/v1/reviews/{review['id']}")).status_code == 404
    assert (await other.client.get(f"/api/v1/reviews/{review['id']}/markdown")).status_code == 404
    theirs = await other.client.post(
        f"/api/v1/teams/{(await create(other.client, '/api/v1/teams', {'name': 'T'}))['id']}/reviews",
        json={"items": [{"key_result_id": behind}]},
    )
    assert theirs.status_code == 422  # another organisation's key result is not one of theirs
