"""Issue 14 point 7: an initiative's budget pacing (expected spend for the elapsed share of its dates) and the key
results it moves by name, with their objectives, in the list and on the initiative."""

from __future__ import annotations

from tests.initiatives.helpers import initiative, key_results, read, spend
from tests.support import FixedClock, Tenant


def _pace(body: dict[str, object]) -> tuple[object, ...]:
    return (body["pacing_day"], body["elapsed_share"], body["expected_spend"], body["spend_vs_expected"])


async def test_budget_pacing_for_the_elapsed_share_of_the_dates(tenant: Tenant, clock: FixedClock) -> None:
    # 23:30 UTC is already the next day in the organisation's zone (Europe/Berlin): the 11th of 30 days.
    clock.set("2026-04-10T23:30:00+00:00")
    campaign = await initiative(
        tenant.client, title="April", planned_budget="3000.00", start_date="2026-04-01", end_date="2026-04-30"
    )
    assert _pace(campaign) == ("2026-04-11", "0.3667", "1100.00", "-1100.00")
    await spend(tenant.client, campaign["id"], "1200.00", spent_on="2026-04-10")
    assert _pace(await read(tenant.client, campaign["id"])) == ("2026-04-11", "0.3667", "1100.00", "100.00")
    at = {
        day: _pace(await read(tenant.client, campaign["id"], as_of=day))
        for day in ("2026-03-31", "2026-04-01", "2026-04-10", "2026-04-30", "2026-06-01")
    }
    assert at == {
        "2026-03-31": ("2026-03-31", "0.0000", "0.00", "0.00"),
        "2026-04-01": ("2026-04-01", "0.0333", "100.00", "-100.00"),
        "2026-04-10": ("2026-04-10", "0.3333", "1000.00", "200.00"),
        "2026-04-30": ("2026-04-30", "1.0000", "3000.00", "-1800.00"),
        "2026-06-01": ("2026-06-01", "1.0000", "3000.00", "-1800.00"),
    }
    short = await initiative(
        tenant.client, title="Three days", planned_budget="1000.00", start_date="2026-04-10", end_date="2026-04-12"
    )
    assert _pace(await read(tenant.client, short["id"], as_of="2026-04-10"))[1:3] == ("0.3333", "333.33")
    assert _pace(await read(tenant.client, short["id"], as_of="2026-04-11"))[1:3] == ("0.6667", "666.67")
    undated = await initiative(tenant.client, title="Open-ended", planned_budget="1000.00", start_date="2026-04-01")
    assert _pace(undated) == ("2026-04-11", None, None, None)
    listed = {i["title"]: i for i in (await tenant.client.get("/api/v1/initiatives")).json()["items"]}
    assert {title: _pace(body) for title, body in listed.items()} == {
        "April": ("2026-04-11", "0.3667", "1100.00", "100.00"),
        "Three days": ("2026-04-11", "0.6667", "666.67", "-666.67"),
        "Open-ended": ("2026-04-11", None, None, None),
    }


async def test_key_results_are_named_with_their_objective(tenant: Tenant, clock: FixedClock) -> None:
    clock.set("2026-04-10T12:00:00+02:00")
    _, krs = await key_results(tenant.client, 2)
    objective = (await tenant.client.get(f"/api/v1/objectives/{krs[0]['objective_id']}")).json()
    campaign = await initiative(
        tenant.client, key_results=[{"key_result_id": krs[1]["id"], "share": "0.75"}, {"key_result_id": krs[0]["id"]}]
    )
    expected = sorted(
        [
            (krs[1]["id"], krs[1]["title"], objective["id"], objective["title"], "750.00"),
            (krs[0]["id"], krs[0]["title"], objective["id"], objective["title"], "250.00"),
        ]
    )

    def named(body: dict[str, object]) -> list[tuple[object, ...]]:
        return sorted(
            (k["key_result_id"], k["key_result_title"], k["objective_id"], k["objective_title"], k["allocated_budget"])
            for k in body["key_results"]  # type: ignore[attr-defined]
        )

    assert named(campaign) == expected
    assert named(await read(tenant.client, campaign["id"])) == expected
    listed = (await tenant.client.get("/api/v1/initiatives")).json()["items"]
    assert named(listed[0]) == expected
    renamed = await tenant.client.patch(
        f"/api/v1/key-results/{krs[0]['id']}",
        json={"title": "Qualified leads"},
        headers={"If-Match": f'"{krs[0]["version"]}"'},
    )
    assert renamed.status_code == 200, renamed.text
    assert "Qualified leads" in {row[1] for row in named(await read(tenant.client, campaign["id"]))}
