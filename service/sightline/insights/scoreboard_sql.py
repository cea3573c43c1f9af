"""The scoreboard's SQL: which objectives a board shows (its filter as a WHERE clause) and the aggregates it
reads per objective and for check-in compliance. insights/scoreboard.py runs them and builds the board."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from sightline.scoring import Status


@dataclass(frozen=True)
class ScoreboardFilter:
    team_id: UUID | None = None
    include_sub_teams: bool = False
    owner_id: UUID | None = None
    level: str | None = None
    kind: str | None = None
    include_enclosing: bool = False  # also the objectives of the cycles containing this one (its year)


@dataclass
class Scope:
    """The WHERE clause selecting the cycle's live objectives under the filter, and its parameters."""

    sql: str
    params: dict[str, Any] = field(default_factory=dict)


def objective_scope(*, org_id: UUID, cycle_id: UUID, flt: ScoreboardFilter, enclosing: Sequence[UUID] = ()) -> Scope:
    # Fixed fragments only; every value is a bound parameter.
    parts = ["o.org_id = :org", "o.cycle_id = :cycle", "o.state <> 'archived'"]
    params: dict[str, Any] = {"org": org_id, "cycle": cycle_id}
    if enclosing:
        parts[1] = "(o.cycle_id = :cycle OR o.cycle_id = ANY(CAST(:enclosing AS uuid[])))"
        params["enclosing"] = list(enclosing)
    if flt.team_id is not None:
        params["team"] = flt.team_id
        if flt.include_sub_teams:
            parts.append("""o.team_id IN (
                WITH RECURSIVE subtree(id) AS (
                    SELECT id FROM teams WHERE org_id = :org AND id = :team
                    UNION
                    SELECT t.id FROM teams t JOIN subtree s ON t.org_id = :org AND t.parent_id = s.id
                ) SELECT id FROM subtree)""")
        else:
            parts.append("o.team_id = :team")
    for column, value in (("owner_id", flt.owner_id), ("level", flt.level), ("kind", flt.kind)):
        if value is not None:
            parts.append(f"o.{column} = :{column}")
            params[column] = value
    return Scope(sql=" AND ".join(parts), params=params)


# A key result whose expected progress is the cycle's elapsed share: increase/decrease without a plan.
LINEAR = "(kr.metric <> 'milestone' AND kr.direction IN ('increase', 'decrease') AND kr.milestone_plan = '[]'::jsonb)"

OBJECTIVES = """
SELECT o.id, o.cycle_id, o.title, o.level, o.kind, o.state, o.progress_from, o.owner_id, u.name AS owner_name,
       o.team_id, o.created_at, o.rollup_progress, o.rollup_expected_progress, o.rollup_score, o.rollup_status,
       o.rollup_at,
       coalesce(k.key_result_count, 0) AS key_result_count,
       {status_counts},
       k.weight, k.weighted_progress, k.weighted_score, k.linear_weight, k.last_check_in_at, k.lowest_confidence,
       k.latest_confidence
FROM objectives o
JOIN users u ON u.org_id = o.org_id AND u.id = o.owner_id
-- The key results aggregated first, on their own narrow rows (sorting the joined wide rows cost more).
LEFT JOIN (
    SELECT kr.objective_id,
           count(*) AS key_result_count,
           {kr_status_counts},
           sum(kr.weight) AS weight,
           sum(kr.weight * greatest(0.0, least(1.0, kr.progress))) AS weighted_progress,
           sum(kr.weight * greatest(0.0, least(1.0, kr.score))) AS weighted_score,
           sum(CASE WHEN {linear} THEN kr.weight ELSE 0.0 END) AS linear_weight,
           max(kr.last_check_in_at) AS last_check_in_at,
           min(kr.latest_confidence) AS lowest_confidence,
           {latest_confidence} AS latest_confidence
    FROM key_results kr
    WHERE kr.org_id = :org AND kr.archived_at IS NULL
      AND kr.objective_id IN (SELECT o.id FROM objectives o WHERE {scope})
    GROUP BY kr.objective_id
) k ON k.objective_id = o.id
WHERE {scope}
ORDER BY o.created_at, o.title, o.id
"""

# The confidence of the latest check-in among an objective's key results (checked in at the same moment, the lower
# one speaks: decided by data, not ids), as one plain max, so the key results are aggregated by hashing: each key
# result's moment in microseconds since 1970 (none or earlier: 1970) times 16, plus 10 − its confidence (0–10, a
# constraint of key_results); the remainder gives the confidence back. An ordered `array_agg` sorted every
# objective's key results again: a fifth of the statement's time. Microseconds stay exact in a float8 until 2255.
LATEST_CONFIDENCE = """10 - mod(max(
               greatest(0, round(date_part('epoch', kr.last_check_in_at) * 1e6))::bigint * 16
               + (10 - kr.latest_confidence)) FILTER (WHERE kr.latest_confidence IS NOT NULL), 16)"""

# Compliance = not stale (scoring.is_stale): a check-in within the cadence period plus grace of the last
# one (or of the cycle start). The periods come from scoring.CADENCE_PERIOD as parameters.
COMPLIANCE = """
SELECT GROUPING(o.team_id, kr.owner_id) AS grouping, o.team_id, kr.owner_id,
       count(*) AS key_results,
       count(*) FILTER (WHERE coalesce(kr.last_check_in_at, :cycle_start) + CASE kr.cadence
            WHEN 'weekly' THEN CAST(:weekly AS interval) WHEN 'biweekly' THEN CAST(:biweekly AS interval)
            WHEN 'monthly' THEN CAST(:monthly AS interval) ELSE CAST(:quarterly AS interval) END >= :as_of)
           AS on_time
FROM key_results kr
JOIN objectives o ON o.org_id = kr.org_id AND o.id = kr.objective_id
WHERE {scope} AND kr.org_id = :org AND kr.archived_at IS NULL
GROUP BY GROUPING SETS ((o.team_id), (kr.owner_id), ())
"""
BY_TEAM, BY_PERSON, OVERALL = 1, 2, 3  # GROUPING() bit masks: the column NOT grouped is set


STATUSES = tuple(s.value for s in Status)


def status_counts_sql() -> str:
    return ",\n       ".join(f"coalesce(k.n_{s}, 0) AS n_{s}" for s in STATUSES)


def kr_status_counts_sql() -> str:
    return ",\n           ".join(f"count(*) FILTER (WHERE kr.status = '{s}') AS n_{s}" for s in STATUSES)
