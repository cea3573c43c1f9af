"""Stored roll-ups equal a full recomputation by scoring.py, whatever happened below them.

Random alignment graphs (every mode), then random sequences of check-ins, key-result edits and archives,
link changes, mode changes, archived objectives and threshold changes — one at a time and concurrently. After
every step each objective's stored roll-up, and what the API reads, are compared with a recomputation written
here from the API's own key results and links with `scoring` alone (not the service's roll-up code), to 1e-12.
"""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest
from tests.support import FixedClock, Tenant, create, okr_setup

from sightline import scoring
from sightline.scoring import Status, Thresholds

MODES = ("key_results", "children", "both")


@dataclass(frozen=True)
class Numbers:
    progress: float | None
    expected: float | None
    score: float | None
    status: Status
    weight: float = 1.0


def _mean(parts: list[tuple[float, float]]) -> float | None:
    return scoring.objective_progress(parts=parts)


def _roll(parts: list[Numbers], thresholds: Thresholds) -> Numbers:
    known = [p for p in parts if p.progress is not None]
    progress = _mean([(p.progress or 0.0, p.weight) for p in known]) if known else None
    expected = _mean([(p.expected or 0.0, p.weight) for p in known]) if known else None
    score = _mean([(p.score or 0.0, p.weight) for p in known]) if known else None
    status = scoring.objective_status(
        progress=progress, expected_progress=expected, statuses=[p.status for p in parts], thresholds=thresholds
    )
    return Numbers(progress, expected, score, status)


def recompute(
    objectives: dict[str, dict[str, Any]], links: list[dict[str, Any]], thresholds: Thresholds
) -> dict[str, Numbers]:
    """Every objective's roll-up from its live key results and its non-archived children, children first."""
    below: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for link in links:
        below[link["parent_node_id"]].append(link)
    done: dict[str, Numbers] = {}

    def visit(node: str) -> Numbers:
        if node in done:
            return done[node]
        objective = objectives[node]
        own = _roll(
            [
                Numbers(kr["progress"], kr["expected_progress"], kr["score"], Status(kr["status"]), kr["weight"])
                for kr in objective["key_results"]
            ],
            thresholds,
        )
        children = [
            Numbers(child.progress, child.expected, child.score, child.status, link["weight"])
            for link in below[node]
            if objectives[link["child_objective_id"]]["state"] != "archived"
            for child in [visit(link["child_objective_id"])]
        ]
        rolled = _roll(children, thresholds)
        mode = objective["progress_from"]
        if mode == "both":
            present = [r for r in (own, rolled) if r.progress is not None]
            rolled = _roll(present or [Numbers(None, None, None, Status.no_data)], thresholds)
        done[node] = own if mode == "key_results" else rolled
        return done[node]

    for node in objectives:
        visit(node)
    return done


def _close(a: float | None, b: float | None) -> bool:
    return (a is None and b is None) or (a is not None and b is not None and abs(a - b) <= 1e-12)


class World:
    """One organisation's random OKR graph, driven through the API."""

    def __init__(self, tenant: Tenant, rng: random.Random) -> None:
        self.tenant, self.rng = tenant, rng
        self.objectives: list[str] = []
        self.key_results: list[str] = []
        self.links: list[str] = []
        self.thresholds = Thresholds()

    async def build(self, size: int) -> None:
        okr = await okr_setup(self.tenant.client)
        self.cycle = okr.cycle
        self.objectives.append(okr.objective["id"])
        for i in range(size - 1):
            body = {"cycle_id": self.cycle["id"], "title": f"O{i}", "level": "company", "progress_from": self._mode()}
            self.objectives.append((await create(self.tenant.client, "/api/v1/objectives", body))["id"])
        for objective in self.objectives:
            for _ in range(self.rng.randint(0, 3)):
                await self.new_key_result(objective)
        for _ in range(size * 2):
            await self.link()

    def _mode(self) -> str:
        return self.rng.choice(MODES)

    async def new_key_result(self, objective: str) -> None:
        direction = self.rng.choice(["increase", "decrease"])
        start, target = (0, self.rng.randint(10, 200)) if direction == "increase" else (100, self.rng.randint(0, 90))
        body = {
            "objective_id": objective,
            "title": "KR",
            "direction": direction,
            "start_value": start,
            "target_value": target,
            "weight": self.rng.choice([0.5, 1, 2, 3.25]),
        }
        self.key_results.append((await create(self.tenant.client, "/api/v1/key-results", body))["id"])

    async def link(self) -> None:
        child, parent = self.rng.sample(self.objectives, 2)
        body = {"child_objective_id": child, "parent_objective_id": parent, "weight": self.rng.choice([0.5, 1, 2])}
        response = await self.tenant.client.post("/api/v1/alignments", json=body)
        assert response.status_code in (201, 409, 422), response.text  # loops and duplicates are refused
        if response.status_code == 201:
            self.links.append(response.json()["id"])

    async def step(self) -> None:
        """One random change through the API."""
        action = self.rng.choices(
            ["check_in", "edit_kr", "archive_kr", "new_kr", "link", "unlink", "mode", "archive", "thresholds"],
            weights=[10, 3, 1, 2, 3, 2, 2, 1, 1],
        )[0]
        client = self.tenant.client
        if action == "check_in" and self.key_results:
            body = {"key_result_id": self.rng.choice(self.key_results), "value": self.rng.randint(-20, 220)}
            response = await client.post("/api/v1/check-ins", json=body)
            assert response.status_code in (201, 409, 422), response.text  # archived key results refuse
        elif action in ("edit_kr", "archive_kr") and self.key_results:
            await self._change_key_result(action, self.rng.choice(self.key_results))
        elif action == "new_kr":
            await self.new_key_result(self.rng.choice(self.objectives))
        elif action == "link":
            await self.link()
        elif action == "unlink" and self.links:
            link = self.links.pop(self.rng.randrange(len(self.links)))
            assert (await client.delete(f"/api/v1/alignments/{link}")).status_code in (204, 404)
        elif action in ("mode", "archive"):
            await self._change_objective(action, self.rng.choice(self.objectives[1:]))
        elif action == "thresholds":
            await self._change_thresholds()

    async def _change_key_result(self, action: str, kr_id: str) -> None:
        client = self.tenant.client
        current = await client.get(f"/api/v1/key-results/{kr_id}")
        headers = {"If-Match": current.headers["etag"]}
        if action == "archive_kr":
            response = await client.delete(f"/api/v1/key-results/{kr_id}", headers=headers)
        else:
            response = await client.patch(
                f"/api/v1/key-results/{kr_id}", json={"weight": self.rng.choice([0.25, 1, 4])}, headers=headers
            )
        assert response.status_code in (200, 204, 409, 412), response.text  # 412: a concurrent step won

    async def _change_objective(self, action: str, objective_id: str) -> None:
        client = self.tenant.client
        current = await client.get(f"/api/v1/objectives/{objective_id}")
        headers = {"If-Match": current.headers["etag"]}
        if action == "archive":
            response = await client.delete(f"/api/v1/objectives/{objective_id}", headers=headers)
        else:
            response = await client.patch(
                f"/api/v1/objectives/{objective_id}", json={"progress_from": self._mode()}, headers=headers
            )
        assert response.status_code in (200, 204, 409, 412), response.text

    async def _change_thresholds(self) -> None:
        on_track = self.rng.choice([0.05, 0.1, 0.2])
        at_risk = on_track + self.rng.choice([0.05, 0.15, 0.3])
        current = await self.tenant.client.get("/api/v1/organisation")
        response = await self.tenant.client.patch(
            "/api/v1/organisation",
            json={"settings": {"on_track_gap": on_track, "at_risk_gap": at_risk}},
            headers={"If-Match": current.headers["etag"]},
        )
        assert response.status_code in (200, 412), response.text
        if response.status_code == 200:
            self.thresholds = Thresholds(on_track_gap=on_track, at_risk_gap=at_risk)

    async def check(self, owner_connection: asyncpg.Connection) -> None:
        """Reads and stored rows equal the recomputation, for every objective (archived ones included)."""
        client = self.tenant.client
        objectives = {}
        for objective_id in self.objectives:
            response = await client.get(f"/api/v1/objectives/{objective_id}")
            assert response.status_code == 200
            objectives[objective_id] = response.json()
        links = (await client.get("/api/v1/alignments", params={"limit": 200})).json()["items"]
        expected = recompute(objectives, links, self.thresholds)
        stored = {
            str(row["id"]): row
            for row in await owner_connection.fetch(
                "SELECT id, rollup_progress, rollup_expected_progress, rollup_score, rollup_status, rollup_at "
                "FROM objectives WHERE org_id = $1",
                self.tenant.org_id,
            )
        }
        listed = (await client.get("/api/v1/objectives", params={"cycle_id": self.cycle["id"], "limit": 200})).json()
        seen = {o["id"]: o for o in listed["items"]}
        for objective_id, want in expected.items():
            read, row = objectives[objective_id], stored[objective_id]
            for got in (read, seen.get(objective_id, read)):
                assert _close(got["progress"], want.progress), (objective_id, got, want)
                assert _close(got["expected_progress"], want.expected), (objective_id, got, want)
                assert _close(got["score"], want.score), (objective_id, got, want)
                assert got["status"] == want.status.value, (objective_id, got, want)
            await self._check_line_of_sight(objective_id, expected)
            assert _close(row["rollup_progress"], want.progress), (objective_id, dict(row), want)
            assert _close(row["rollup_expected_progress"], want.expected)
            assert _close(row["rollup_score"], want.score)
            assert row["rollup_status"] == want.status.value

    async def _check_line_of_sight(self, objective_id: str, expected: dict[str, Numbers]) -> None:
        """Every node a line of sight shows (the objective, each hop's ends) carries the recomputed numbers."""
        sight = (await self.tenant.client.get(f"/api/v1/objectives/{objective_id}/line-of-sight")).json()
        hops = [hop for path in sight["paths"] for hop in path["hops"]]
        for shown in [sight["objective"], *(hop["child"] for hop in hops), *(hop["parent"] for hop in hops)]:
            want = expected[shown["id"]]
            assert _close(shown["progress"], want.progress), (objective_id, shown, want)
            assert _close(shown["expected_progress"], want.expected), (objective_id, shown, want)
            assert _close(shown["score"], want.score), (objective_id, shown, want)
            assert shown["status"] == want.status.value, (objective_id, shown, want)


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_stored_rollups_equal_a_full_recomputation(
    tenant: Tenant, clock: FixedClock, owner_connection: asyncpg.Connection, seed: int
) -> None:
    clock.set("2026-05-20T09:00:00+00:00")
    world = World(tenant, random.Random(seed))
    await world.build(size=9)
    await world.check(owner_connection)
    for _ in range(25):  # one change at a time
        await world.step()
        await world.check(owner_connection)
    for _ in range(4):  # many at once: concurrent transactions on shared ancestors
        await asyncio.gather(*(world.step() for _ in range(8)))
        await world.check(owner_connection)


async def test_a_status_change_anywhere_below_writes_one_event_on_the_company_objective(
    tenant: Tenant, clock: FixedClock
) -> None:
    clock.set("2026-07-02T09:00:00+00:00")  # half-way through 2026: expected progress is 0.5
    okr = await okr_setup(tenant.client)
    top = okr.objective
    team = await create(
        tenant.client,
        "/api/v1/objectives",
        {"cycle_id": okr.cycle["id"], "title": "Team", "level": "company", "progress_from": "key_results"},
    )
    await tenant.client.patch(
        f"/api/v1/objectives/{top['id']}",
        json={"progress_from": "children"},
        headers={"If-Match": (await tenant.client.get(f"/api/v1/objectives/{top['id']}")).headers["etag"]},
    )
    link = {"child_objective_id": team["id"], "parent_objective_id": top["id"]}
    assert (await tenant.client.post("/api/v1/alignments", json=link)).status_code == 201
    kr = await create(
        tenant.client, "/api/v1/key-results", {"objective_id": team["id"], "title": "Leads", "target_value": 100}
    )
    await create(tenant.client, "/api/v1/check-ins", {"key_result_id": kr["id"], "value": 50})
    await create(tenant.client, "/api/v1/check-ins", {"key_result_id": kr["id"], "value": 10})
    events = (
        await tenant.client.get("/api/v1/events", params={"type": "objective.status_changed", "object_id": top["id"]})
    ).json()["items"]
    assert [(e["before"]["status"], e["after"]["status"]) for e in events] == [
        ("no_data", "on_track"),
        ("on_track", "off_track"),
    ]
    assert events[-1]["after"]["progress"] == pytest.approx(0.1, abs=1e-12)
    assert (await tenant.client.get(f"/api/v1/objectives/{top['id']}")).json()["status"] == "off_track"
