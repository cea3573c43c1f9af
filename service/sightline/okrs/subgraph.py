"""Load a part of the alignment graph (objectives aligned below objectives) in a fixed number of statements
and roll progress up through it: the full recomputation (the scheduled pass, a stale stored roll-up) and the
bottom-up refresh of okrs/rollups.py both go through `Subgraph`.

Progress of an objective in `children` mode is the link-weighted mean of its children's effective
progress (children linked to it directly or to one of its key results); `both` counts its own key
results and its children equally. One recursive query finds the subgraph, whatever its depth or width.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from operator import attrgetter
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from sightline import scoring
from sightline.db.rows import checked_columns, fetch_rows
from sightline.okrs.calendars import load_calendars
from sightline.okrs.derive import Calendar, Part, Rollup, combine, key_result_part, rollup
from sightline.okrs.models import KeyResult
from sightline.scoring import Status, Thresholds

# How long a stored roll-up's time-dependent parts may be shown (okrs/rollups.py keeps them): the scheduled
# pass's default interval (300 s, `SIGHTLINE_RECOMPUTE_INTERVAL_SECONDS`) and a minute for the pass to get round.
FRESH_SECONDS = 360.0


def is_fresh(rollup_at: datetime | None, now: datetime, window_seconds: float = FRESH_SECONDS) -> bool:
    """Whether a roll-up stored at `rollup_at` may be shown at `now` (never one from the future)."""
    return rollup_at is not None and rollup_at <= now < rollup_at + timedelta(seconds=window_seconds)


def stored(objective: Any) -> Rollup:
    """The roll-up kept on an objective row (model or Core row)."""
    return Rollup(
        progress=objective.rollup_progress,
        expected_progress=objective.rollup_expected_progress,
        score=objective.rollup_score,
        status=Status(objective.rollup_status),
    )


# Every link below the roots (`full`), or only as deep as roll-up needs: below objectives that take
# their progress from children. One statement either way.
LINKS_BELOW = """
    WITH RECURSIVE down(node) AS (
        SELECT o.id FROM objectives o
        WHERE o.org_id = $1 AND o.id = ANY($2::uuid[]) AND ($3 OR o.progress_from <> 'key_results')
        UNION
        SELECT a.child_objective_id FROM alignments a
        JOIN down ON a.org_id = $1 AND a.parent_node_id = down.node
        JOIN objectives c ON c.org_id = $1 AND c.id = a.child_objective_id
        WHERE $3 OR c.progress_from <> 'key_results'
    )
    SELECT a.* FROM alignments a JOIN down ON a.org_id = $1 AND a.parent_node_id = down.node
"""
# What the roll-up reads of a key result (key_result_part and derive.expected).
ROLLUP_COLUMNS = (
    "objective_id",
    "metric",
    "direction",
    "start_value",
    "target_value",
    "milestone_plan",
    "progress",
    "score",
    "status",
    "weight",
)
OBJECTIVES_BY_ID = "SELECT * FROM objectives WHERE org_id = $1 AND id = ANY($2::uuid[])"
# Unordered: each objective's few key results are put in order here (`by_objective_in_order`). Sorting thousands of
# wide rows made PostgreSQL hold the whole result until the sort was done, where unsorted rows stream to the driver
# while the scan goes on (the map's 5,000 key results: about 10 ms less per request, docs/benchmarks.md).
LIVE_KEY_RESULTS = """
    SELECT {columns} FROM key_results
    WHERE org_id = $1 AND objective_id = ANY($2::uuid[]) AND archived_at IS NULL
"""
_ORDER_COLUMNS = ("created_at", "id")
_IN_ORDER = attrgetter(*_ORDER_COLUMNS)  # the order key results are listed in everywhere
# Alignment rows (named tuples with the model's attribute names): links are read-only here.
LinkRow = Any


@dataclass
class Subgraph:
    """Objectives, their live key results and the links between them, with calendars for the clock."""

    objectives: dict[UUID, Any]  # Objective models or rows with the same attributes
    key_results: dict[UUID, list[Any]]  # KeyResult rows
    links: list[LinkRow]
    calendars: dict[UUID, Calendar]
    thresholds: Thresholds
    # Roll-ups known before computing (children outside the graph, e.g. their stored ones), then all of them.
    known: dict[UUID, Rollup] = field(default_factory=dict)
    # Take an objective's stored roll-up when it is fresh (every read); off for a full recomputation.
    use_stored: bool = True
    # A job's or a write's refresh: an objective whose rows the rules cannot read keeps its stored roll-up
    # (listed in `unreadable`) instead of failing everything else.
    tolerant: bool = False
    unreadable: dict[UUID, Exception] = field(default_factory=dict)
    _rolled: bool = False
    _elapsed: dict[UUID, float] = field(default_factory=dict)  # per cycle, at the `now` of `rollups`
    # Each objective's roll-up of its own key results when already known (the scoreboard aggregates them
    # in SQL); otherwise computed here from `key_results`.
    own: dict[UUID, Rollup] | None = None

    def children_of(self) -> dict[UUID, list[LinkRow]]:
        below: dict[UUID, list[LinkRow]] = defaultdict(list)
        for link in self.links:
            below[link.parent_node_id].append(link)
        return below

    def rollups(self, now: datetime) -> dict[UUID, Rollup]:
        """Effective roll-up of every objective, children before parents (iterative: no depth limit)."""
        done = self.known
        if self._rolled:
            return done
        self._rolled = True
        if self.use_stored:
            for node, objective in self.objectives.items():
                if node not in done and is_fresh(getattr(objective, "rollup_at", None), now):
                    done[node] = stored(objective)
        below = self.children_of()
        visiting: set[UUID] = set()  # the database refuses loops; this only keeps a bad row from hanging us
        for root in self.objectives:
            stack: list[tuple[UUID, bool]] = [(root, False)]
            while stack:
                node, expanded = stack.pop()
                if node in done or node not in self.objectives or (not expanded and node in visiting):
                    continue
                if not expanded:
                    visiting.add(node)
                    stack.append((node, True))
                    stack.extend(
                        (link.child_objective_id, False)
                        for link in below.get(node, ())
                        if link.child_objective_id not in done
                    )
                    continue
                try:
                    done[node] = self._rollup_of(node, below, now)
                except Exception as error:
                    if not self.tolerant:
                        raise
                    self.unreadable[node] = error
                    done[node] = stored(self.objectives[node])
        return done

    def _rollup_of(self, node: UUID, below: dict[UUID, list[LinkRow]], now: datetime) -> Rollup:
        objective = self.objectives[node]
        if self.own is not None:
            own = self.own.get(node, NO_DATA)
        else:
            calendar = self.calendars[objective.cycle_id]
            elapsed = self._elapsed.get(objective.cycle_id)
            if elapsed is None:
                elapsed = self._elapsed[objective.cycle_id] = scoring.elapsed_fraction(
                    cycle_start=calendar.start, cycle_end=calendar.end, now=now
                )
            own = rollup(
                [
                    key_result_part(kr, calendar=calendar, now=now, elapsed=elapsed)
                    for kr in self.key_results.get(node, ())
                ],
                self.thresholds,
            )
        if objective.progress_from == "key_results":
            return own
        child_parts = []
        for link in below.get(node, ()):
            child = self.objectives.get(link.child_objective_id)
            if child is None or child.state == "archived":
                continue
            r = self.known.get(child.id, NO_DATA)
            child_parts.append(Part(r.progress, r.expected_progress, r.score, r.status, link.weight))
        children = rollup(child_parts, self.thresholds)
        return children if objective.progress_from == "children" else combine(own, children, self.thresholds)


async def load_subgraph(
    session: AsyncSession,
    *,
    org_id: UUID,
    roots: Iterable[Any],
    full: bool = False,
    thresholds: Thresholds | None = None,
    key_result_columns: Sequence[str] | None = None,
    use_stored: bool = True,
) -> Subgraph:
    """The given objectives and what is aligned below them (all of it when `full`, else what roll-up
    needs): at most five statements for any graph, fewer when nothing rolls up from children.
    `key_result_columns`: load only these columns of the key results (roll-up needs ROLLUP_COLUMNS)."""
    objectives: dict[UUID, Any] = {o.id: o for o in roots}
    links: list[LinkRow] = []
    # Links, descendants and key results come back as plain rows (same attribute names as the models): on
    # big graphs building ORM objects costs more than the queries themselves.
    if full or any(o.progress_from != "key_results" for o in objectives.values()):
        links = await fetch_rows(session, LINKS_BELOW, org_id, list(objectives), full)
    missing = {link.child_objective_id for link in links} - set(objectives)
    if missing:
        for row in await fetch_rows(session, OBJECTIVES_BY_ID, org_id, list(missing)):
            objectives[row.id] = row
    calendars, key_results = await load_calendars_and_key_results(
        session, org_id=org_id, objectives=objectives.values(), key_result_columns=key_result_columns
    )
    if thresholds is None:
        thresholds = next(iter(calendars.values())).thresholds if calendars else Thresholds()
    return Subgraph(
        objectives=objectives,
        key_results=key_results,
        links=links,
        calendars=calendars,
        thresholds=thresholds,
        use_stored=use_stored,
    )


async def load_calendars_and_key_results(
    session: AsyncSession,
    *,
    org_id: UUID,
    objectives: Iterable[Any],
    key_result_columns: Sequence[str] | None = None,
) -> tuple[dict[UUID, Calendar], dict[UUID, list[Any]]]:
    """The calendars of the objectives' cycles and their live key results (two statements at most).
    `key_result_columns`: load only these columns of the key results (roll-up needs ROLLUP_COLUMNS)."""
    objectives = list(objectives)
    key_results: dict[UUID, list[Any]] = defaultdict(list)
    if objectives:
        # Only the columns a caller reads, when it says so (the map reads 14 of 30 for 5,000 key results).
        columns = "*"
        if key_result_columns is not None:  # and the columns their order is read from, once each
            wanted = [*key_result_columns, *(c for c in _ORDER_COLUMNS if c not in key_result_columns)]
            columns = ", ".join(checked_columns(KeyResult, wanted))
        sql = LIVE_KEY_RESULTS.format(columns=columns)
        key_results = by_objective_in_order(await fetch_rows(session, sql, org_id, list({o.id for o in objectives})))
    calendars = await load_calendars(session, org_id=org_id, cycle_ids={o.cycle_id for o in objectives})
    return calendars, key_results


def by_objective_in_order(key_results: Iterable[Any]) -> dict[UUID, list[Any]]:
    """Key-result rows in any order, grouped by objective, each objective's in creation order."""
    grouped: dict[UUID, list[Any]] = defaultdict(list)
    for kr in key_results:
        grouped[kr.objective_id].append(kr)
    for listed in grouped.values():
        if len(listed) > 1:
            listed.sort(key=_IN_ORDER)
    return grouped


NO_DATA = Rollup(progress=None, expected_progress=None, score=None, status=Status.no_data)
