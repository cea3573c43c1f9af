"""Stored objective roll-ups: computed by `scoring.py`'s rules (through `derive.rollup` and `Subgraph`) when something
below an objective changes, and read as they are.

A write that changes what an objective rolls up from (a key result created, edited or archived, a link made or
removed, an objective's mode or state, a cycle's dates, the organisation's thresholds) calls `refresh` with the
objectives it touched, last in its transaction. A check-in marks its objective instead (okrs/drains.py), and a
drain right after its commit refreshes the chains of every check-in committed so far at once. `refresh` recomputes
them and every ancestor bottom-up from their own key results and their other children's stored roll-ups, then swaps
the new values in where nobody changed them since they were read (the chain locked, then written; else it computes
again under those locks), and writes `objective.status_changed` for each status that moved.
docs/decisions/api-stored-rollups.md has the why.

The time-dependent parts (expected progress, and the status that follows from it) are as of `rollup_at`. A read
uses them while they are younger than the scheduled pass's interval (the pass refreshes them, as it does key-result
statuses); an older or missing roll-up is computed at read time instead (and not stored by a read).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import TextClause, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from sightline.db.tenancy import wait_org_lock
from sightline.events import service as events
from sightline.observability import skip_row
from sightline.okrs.cycles import calendar_changed
from sightline.okrs.derive import Rollup
from sightline.okrs.models import Objective
from sightline.okrs.schemas import ObjectiveRollupPublic
from sightline.okrs.subgraph import (
    NO_DATA,
    ROLLUP_COLUMNS,
    Subgraph,
    is_fresh,
    load_calendars_and_key_results,
    load_subgraph,
    stored,
)

# Links change under the organisation's alignment lock (alignment/links.py holds it exclusively). A refresh
# holds it shared, taken before the climb's snapshot: the climb then sees every link committed before it, and
# a link made meanwhile waits for the refresh (whose own change the link's refresh then reads).
SHARE_LINKS = "SELECT pg_advisory_xact_lock_shared(hashtext(:k))"
# The touched objectives and every ancestor (ancestors that roll up only their own key results too: a change of
# their mode must meet a refresh below them on their row), and the links below the chain with what the roll-up
# reads of each child. Each in two forms (docs/decisions/api-probing-statements.md): for a few objectives (a drain
# of a few check-ins), one index probe per node and per row read, a subquery kept apart (OFFSET 0) with the node
# as its parameter; for many (a batch, a calendar change), PostgreSQL's own joins, which hash every link and
# objective of the organisation once. In one large organisation PostgreSQL chose the hashing for a few objectives
# too (1.3 ms of a drain's 5), and the probing costs ten times the hashing for 300; they cross near 100.
PROBE_AT_MOST = 64
_CLIMB = """
    WITH RECURSIVE up(node) AS (
        SELECT o.id FROM objectives o WHERE o.org_id = :org AND o.id = ANY(CAST(:ids AS uuid[]))
        UNION
        SELECT a.parent_node_id FROM up {step}
    )
    SELECT o.* FROM {chain}
    ORDER BY o.id
"""
CLIMB = _CLIMB.format(
    step="JOIN alignments a ON a.org_id = :org AND a.child_objective_id = up.node",
    chain="objectives o WHERE o.org_id = :org AND o.id IN (SELECT node FROM up)",
)
CLIMB_FEW = _CLIMB.format(
    step="""CROSS JOIN LATERAL (
            SELECT a.parent_node_id FROM alignments a
            WHERE a.org_id = :org AND a.child_objective_id = up.node OFFSET 0
        ) a""",
    chain="up CROSS JOIN LATERAL (SELECT * FROM objectives o WHERE o.org_id = :org AND o.id = up.node OFFSET 0) o",
)
# The chain locked in id order (NO KEY UPDATE: new key results may still reference them): the joins' form whatever
# the number (a lock taken through a subquery kept apart would follow the probes' order, not the ids').
LOCK_UP = CLIMB + " FOR NO KEY UPDATE OF o"
_CHILD = """SELECT a.parent_node_id, a.child_objective_id, a.weight,
               c.id, c.cycle_id, c.state, c.progress_from, c.rollup_progress, c.rollup_expected_progress,
               c.rollup_score, c.rollup_status, c.rollup_at
        FROM alignments a JOIN objectives c ON c.org_id = a.org_id AND c.id = a.child_objective_id"""
CHILDREN = f"{_CHILD} WHERE a.org_id = :org AND a.parent_node_id = ANY(CAST(:ids AS uuid[]))"
CHILDREN_FEW = f"""
    SELECT x.* FROM unnest(CAST(:ids AS uuid[])) AS p(id) CROSS JOIN LATERAL (
        {_CHILD} WHERE a.org_id = :org AND a.parent_node_id = p.id OFFSET 0
    ) x
"""


_CLIMBS = (text(CLIMB_FEW), text(CLIMB))  # built once: a drain sends them
_CHILDRENS = (text(CHILDREN_FEW), text(CHILDREN))


def climb_statement(ids: Sequence[UUID]) -> TextClause:
    """The climb from `ids` in the form for their number."""
    return _CLIMBS[len(ids) > PROBE_AT_MOST]


def children_statement(ids: Sequence[UUID]) -> TextClause:
    """The links below `ids` in the form for their number."""
    return _CHILDRENS[len(ids) > PROBE_AT_MOST]


_SET = """rollup_progress = v.progress, rollup_expected_progress = v.expected_progress, rollup_score = v.score,
        rollup_status = v.status, rollup_at = CAST(:at AS timestamptz), rollup_version = o.rollup_version + 1"""
_VALUES = """SELECT * FROM unnest(CAST(:ids AS uuid[]), CAST(:progress AS float8[]),
        CAST(:expected_progress AS float8[]), CAST(:score AS float8[]), CAST(:status AS text[]))
        AS v(id, progress, expected_progress, score, status)"""
# Compare-and-swap in two statements: lock every row of the chain in id order and read it as it now stands, then
# write the chain if every row is still at the roll-up version the computation read; if another refresh wrote one
# meanwhile, the caller computes again from the locked rows first. Done in one statement (the lock as a CTE of the
# UPDATE), two swaps on one chain deadlocked now and then on PostgreSQL's tuple locks (two to four times in a dozen
# runs of the property test; none in 24 with two statements), and one more round trip per refresh is cheap beside
# a deadlock's second of waiting.
LOCK_CHAIN = """
    SELECT o.* FROM objectives o
    WHERE o.org_id = :org AND o.id = ANY(CAST(:chain AS uuid[]))
    ORDER BY o.id
    FOR NO KEY UPDATE OF o
"""
# Rows locked by the caller (LOCK_CHAIN or LOCK_ORG), written; each write bumps the roll-up version.
STORE = f"UPDATE objectives o SET {_SET} FROM ({_VALUES}) v WHERE o.org_id = :org AND o.id = v.id"
STATUS_CHANGED = "objective.status_changed"
Computed = tuple[list[Any], dict[UUID, Rollup]]  # the rows that could be rolled up, and every roll-up


async def lock(session: AsyncSession, *, org_id: UUID, objective_ids: Sequence[UUID]) -> list[Any]:
    """Lock the objectives and all their ancestors, in id order: a writer that changes an objective itself
    takes this first, so it locks in the same order as every swap below it (no deadlock between them)."""
    await session.execute(text(SHARE_LINKS), {"k": f"alignment:{org_id}"})
    ids = list(objective_ids)
    return list((await session.execute(text(LOCK_UP), {"org": org_id, "ids": ids})).all())


async def refresh(
    session: AsyncSession, *, org_id: UUID, objective_ids: Iterable[UUID], now: datetime, actor: str
) -> None:
    """Recompute and store the roll-ups of `objective_ids` and of every ancestor.

    Optimistic: read the chain and what it rolls up from without locks, compute, then lock the chain and write
    it when every row is still at the version read (the hot rows are held from that lock, the last work before
    the events, to the commit). When a concurrent refresh wrote one of the rows meanwhile, every row of the chain
    is held already: the chain is computed again from the locked rows and fresh reads below them, and stored."""
    ids = sorted(set(objective_ids))
    if not ids:
        return
    await session.flush()  # the caller's pending changes are what the roll-up reads
    await session.execute(text(SHARE_LINKS), {"k": f"alignment:{org_id}"})
    chain = list((await session.execute(climb_statement(ids), {"org": org_id, "ids": ids})).all())
    readable, rolled = await _compute(session, org_id, chain, now)
    locked = list((await session.execute(text(LOCK_CHAIN), {"org": org_id, "chain": [r.id for r in chain]})).all())
    before = {row.id: row for row in locked}  # each row as it stands under the lock: its event's `before`
    if any(r.id not in before or before[r.id].rollup_version != r.rollup_version for r in readable):
        # Another refresh wrote a row after this one read it: compute again from the locked rows.
        readable, rolled = await _compute(session, org_id, locked, now)
    await _write(session, org_id, readable, rolled, now)
    await _after_write(session, org_id, [before[r.id] for r in readable], rolled, now, actor)


# The marks of check-ins whose chains are still to refresh (okrs/drains.py writes and drains them).
TAKE_ALL = "DELETE FROM rollup_pending WHERE org_id = :org"
DRAIN_LOCK = "rollups"  # one drain per organisation at a time, across processes


async def _compute(session: AsyncSession, org_id: UUID, chain: list[Any], now: datetime) -> Computed:
    """The chain's roll-ups, bottom-up, from its own key results and the other children's stored roll-ups; the
    rows that could be rolled up (one the rules cannot read keeps its stored roll-up, logged)."""
    rolling = [o.id for o in chain if o.progress_from != "key_results"]
    links = (
        list((await session.execute(children_statement(rolling), {"org": org_id, "ids": rolling})).all())
        if rolling
        else []
    )
    mine = {o.id for o in chain}
    frontier = {link.id: link for link in links if link.id not in mine}
    # A child outside the chain counts with its stored roll-up, unless that is too old for `now`.
    stale = [c for c in frontier.values() if not is_fresh(c.rollup_at, now)]
    known = {c.id: stored(c) for c in frontier.values() if is_fresh(c.rollup_at, now)}
    if stale:
        below = await load_subgraph(session, org_id=org_id, roots=stale)
        below.tolerant = True
        known |= below.rollups(now)
    calendars, key_results = await load_calendars_and_key_results(
        session, org_id=org_id, objectives=chain, key_result_columns=ROLLUP_COLUMNS
    )
    graph = Subgraph(
        objectives={o.id: o for o in (*frontier.values(), *chain)},
        key_results=key_results,
        links=links,
        calendars=calendars,
        thresholds=next(iter(calendars.values())).thresholds,
        known={child: known.get(child, NO_DATA) for child in frontier},
        use_stored=False,  # the chain is being recomputed
        tolerant=True,
    )
    return _readable(org_id, graph, chain, now)


def _readable(
    org_id: UUID, graph: Subgraph, rows: Sequence[Any], now: datetime
) -> tuple[list[Any], dict[UUID, Rollup]]:
    rolled = graph.rollups(now)
    for objective_id, error in graph.unreadable.items():
        skip_row("rollups", org_id=org_id, error=error, objective_id=objective_id)
    return [o for o in rows if o.id not in graph.unreadable], rolled


async def _write(
    session: AsyncSession, org_id: UUID, rows: Sequence[Any], rolled: dict[UUID, Rollup], now: datetime
) -> None:
    """Write the rows' new roll-ups in one statement (the caller holds their locks)."""
    if not rows:
        return
    values = [rolled[o.id] for o in rows]
    params = {
        "org": org_id,
        "at": now,
        "ids": [o.id for o in rows],
        "progress": [r.progress for r in values],
        "expected_progress": [r.expected_progress for r in values],
        "score": [r.score for r in values],
        "status": [r.status.value for r in values],
    }
    await session.execute(text(STORE), params)


async def _after_write(
    session: AsyncSession, org_id: UUID, before: Sequence[Any], rolled: dict[UUID, Rollup], now: datetime, actor: str
) -> None:
    """Keep the caller's loaded models in step with what was written, and report each status that moved."""
    changed: list[events.NewEvent] = []
    for objective in before:
        new = rolled[objective.id]
        model = session.identity_map.get((Objective, (org_id, objective.id), None))  # type: ignore[arg-type]
        if model is not None:  # a model the caller holds shows what was stored (not flushed again)
            for column, value in {**_columns(new), "at": now}.items():
                set_committed_value(model, "rollup_at" if column == "at" else f"rollup_{column}", value)
        if objective.rollup_at is not None and objective.rollup_status != new.status.value:
            changed.append(_status_changed(org_id, objective, stored(objective), new, now=now, actor=actor))
    await events.emit(session, *changed)


def _columns(rollup: Rollup) -> dict[str, Any]:
    return {
        "progress": rollup.progress,
        "expected_progress": rollup.expected_progress,
        "score": rollup.score,
        "status": rollup.status.value,
    }


def _status_changed(org_id: UUID, objective: Any, before: Rollup, after: Rollup, *, now: datetime, actor: str):  # type: ignore[no-untyped-def]
    def shape(rollup: Rollup) -> ObjectiveRollupPublic:
        return ObjectiveRollupPublic(
            id=objective.id,
            cycle_id=objective.cycle_id,
            title=objective.title,
            progress=rollup.progress,
            expected_progress=rollup.expected_progress,
            score=rollup.score,
            status=rollup.status,
        )

    return events.NewEvent(
        org_id=org_id,
        type=STATUS_CHANGED,
        actor=actor,
        object_type="objective",
        object_id=objective.id,
        occurred_at=now,
        before=shape(before),
        after=shape(after),
    )


# Every objective of the organisation's cycles in planning or active, locked in one order (a closed cycle's
# roll-ups are computed on read: nothing stores them after it closes).
LOCK_ORG = """
    SELECT o.* FROM objectives o
    JOIN cycles c ON c.org_id = o.org_id AND c.id = o.cycle_id
    WHERE o.org_id = :org AND c.state <> 'closed'
    ORDER BY o.id
    FOR NO KEY UPDATE OF o
"""


async def refresh_org(session: AsyncSession, *, org_id: UUID, now: datetime, actor: str) -> None:
    """Recompute every open cycle's objectives from their key results (the scheduled pass, a rule change):
    a fixed number of statements, whatever the size of the organisation."""
    await session.flush()
    await wait_org_lock(session, DRAIN_LOCK, org_id)  # before the rows, in the order a drain takes them
    # Every open objective is recomputed below: the marks committed so far are covered (read committed: their
    # check-ins are visible to the reads that follow).
    await session.execute(text(TAKE_ALL), {"org": org_id})
    await session.execute(text(SHARE_LINKS), {"k": f"alignment:{org_id}"})
    locked = list((await session.execute(text(LOCK_ORG), {"org": org_id})).all())
    if locked:
        graph = await load_subgraph(
            session, org_id=org_id, roots=locked, key_result_columns=ROLLUP_COLUMNS, use_stored=False
        )
        graph.tolerant = True
        readable, rolled = _readable(org_id, graph, locked, now)
        await _write(session, org_id, readable, rolled, now)
        await _after_write(session, org_id, readable, rolled, now, actor)


CYCLE_OBJECTIVES = "SELECT id FROM objectives WHERE org_id = :org AND cycle_id = :cycle"


async def after_calendar_change(session: AsyncSession, org_id: UUID, cycle_id: UUID, actor: str, now: datetime) -> None:
    ids = (await session.execute(text(CYCLE_OBJECTIVES), {"org": org_id, "cycle": cycle_id})).scalars()
    await refresh(session, org_id=org_id, objective_ids=list(ids), now=now, actor=actor)


calendar_changed.append(after_calendar_change)
