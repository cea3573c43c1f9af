"""Setup for insights tests: key results and check-in histories at controlled times, and a large cycle."""

from __future__ import annotations

import csv
import io
import uuid
import zipfile
from datetime import UTC, date, datetime
from typing import Any

import asyncpg
from tests.support import FixedClock, Tenant, create


def csv_tables(archive: bytes) -> dict[str, list[dict[str, str]]]:
    """The CSV zip of a cycle export: rows by table name."""
    with zipfile.ZipFile(io.BytesIO(archive)) as zipped:
        return {
            name.removesuffix(".csv"): list(csv.DictReader(io.StringIO(zipped.read(name).decode())))
            for name in zipped.namelist()
        }


def to_csv(rows: list[dict[str, str]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def real_time(clock: FixedClock) -> None:
    """Sessions expire by the database's clock: sign people in at the real time, then pin the clock."""
    clock.now = datetime.now(UTC)


async def key_result(tenant: Tenant, objective: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return await create(tenant.client, "/api/v1/key-results", {"objective_id": objective["id"], **fields})


async def check_in_at(
    tenant: Tenant, clock: FixedClock, when: str, kr: dict[str, Any], value: float, **fields: Any
) -> dict[str, Any]:
    """Check in as if at `when`: the clock moves there and the check-in reports that moment (not backdated)."""
    clock.set(when)
    return await create(tenant.client, "/api/v1/check-ins", {"key_result_id": kr["id"], "value": value, **fields})


async def cycle(tenant: Tenant, name: str, start: str, end: str, state: str = "active") -> dict[str, Any]:
    return await create(
        tenant.client, "/api/v1/cycles", {"name": name, "start_date": start, "end_date": end, "state": state}
    )


async def objective(
    tenant: Tenant, cycle_id: str, title: str, *, level: str = "company", **fields: Any
) -> dict[str, Any]:
    return await create(
        tenant.client, "/api/v1/objectives", {"cycle_id": cycle_id, "title": title, "level": level, **fields}
    )


async def bulk_cycle(
    connection: asyncpg.Connection,
    *,
    org_id: str,
    owner_id: str,
    objectives: int,
    key_results_per_objective: int,
    teams: int = 10,
    check_ins_per_key_result: int = 1,
    aligned: bool = False,
) -> str:
    """A big active cycle written straight into the database (as the superuser), for statement counts.

    Key results vary in status, cadence and kind, and every tenth one has a milestone plan, so every
    branch of the aggregation runs.
    """
    org, owner = uuid.UUID(org_id), uuid.UUID(owner_id)
    cycle_id = uuid.uuid4()
    now = datetime(2026, 7, 1, tzinfo=UTC)
    await connection.execute(
        "INSERT INTO cycles (org_id, id, name, start_date, end_date, state) VALUES ($1, $2, $3, $4, $5, 'active')",
        org,
        cycle_id,
        f"Big-{cycle_id.hex[:6]}",
        date(2026, 1, 1),
        date(2026, 12, 31),
    )
    team_ids = [uuid.uuid4() for _ in range(teams)]
    await connection.executemany(
        "INSERT INTO teams (org_id, id, name) VALUES ($1, $2, $3)",
        [(org, t, f"Team {i:02d}") for i, t in enumerate(team_ids)],
    )
    objective_rows, kr_rows, check_in_rows, link_rows = [], [], [], []
    objective_ids: list[uuid.UUID] = []
    statuses = ["on_track", "at_risk", "off_track", "done", "no_data"]
    cadences = ["weekly", "biweekly", "monthly", "quarterly"]
    for i in range(objectives):
        objective_id = uuid.uuid4()
        objective_ids.append(objective_id)
        team = team_ids[i % teams] if i % 7 else None
        if aligned and i:  # a tree three wide: most objectives count their own key results and children
            parent = objective_ids[(i - 1) // 3]
            link_rows.append((org, uuid.uuid4(), objective_id, parent, parent, "cascade", 0.5 + (i % 5) / 10, "bench"))
        objective_rows.append(
            (
                org,
                objective_id,
                cycle_id,
                f"Objective {i}",
                "company" if team is None else "team",
                team,
                owner,
                "aspirational" if i % 3 == 0 else "committed",
                "both" if aligned and i % 4 else "key_results",
            )
        )
        for j in range(key_results_per_objective):
            kr_id = uuid.uuid4()
            n = i * key_results_per_objective + j
            plan = '[{"date": "2026-06-30", "value": 40}]' if n % 10 == 0 else "[]"
            kr_rows.append(
                (
                    org,
                    kr_id,
                    objective_id,
                    f"KR {i}.{j}",
                    owner,
                    "milestone" if n % 17 == 0 else "number",
                    "increase",
                    0.0,
                    100.0,
                    float(n % 120),
                    (n % 120) / 100,
                    min(1.0, (n % 120) / 100),
                    statuses[n % 5],
                    n % 11 if n % 5 else None,
                    now if n % 5 else None,
                    cadences[n % 4],
                    plan,
                    120.0 if n % 2 else None,
                )
            )
            for k in range(check_ins_per_key_result if n % 5 else 0):
                check_in_rows.append((org, uuid.uuid4(), kr_id, float(n % 120), n % 11, now, f"user:{owner}", str(k)))
    await connection.executemany(
        "INSERT INTO objectives (org_id, id, cycle_id, title, level, team_id, owner_id, kind, progress_from)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        objective_rows,
    )
    await connection.executemany(
        "INSERT INTO alignments (org_id, id, child_objective_id, parent_objective_id, parent_node_id, kind,"
        " weight, actor) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        link_rows,
    )
    await connection.executemany(
        "INSERT INTO key_results (org_id, id, objective_id, title, owner_id, metric, direction, start_value,"
        " target_value, current_value, progress, score, status, latest_confidence, last_check_in_at, cadence,"
        " milestone_plan, previous_value)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17::jsonb, $18)",
        kr_rows,
    )
    await connection.executemany(
        "INSERT INTO check_ins (org_id, id, key_result_id, value, confidence, checked_in_at, actor, note)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8::text)",
        check_in_rows,
    )
    return str(cycle_id)
