"""Batch check-ins: all or nothing, every bad item named, written with plain rows and one UPDATE."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncSession

from sightline.auth import Principal
from sightline.errors import FieldError, Invalid
from sightline.events import service as events
from sightline.okrs import drains
from sightline.okrs.check_in_rules import (
    BACKDATED_AFTER,
    BY_IDS,
    BY_IDS_OR_KEYS,
    Target,
    is_newest,
    locked_targets,
    reported_moment,
    set_current,
    value_problem,
    writable,
)
from sightline.okrs.models import CheckIn, KeyResult
from sightline.okrs.schemas import CheckInBatch, CheckInBatchItem, CheckInPublic


async def create_batch(
    session: AsyncSession,
    *,
    principal: Principal,
    body: CheckInBatch,
    now: datetime,
) -> list[CheckInPublic]:
    """All-or-nothing: every item is checked first, on its own; any bad one fails the batch.

    The one 422 names every bad item by its index (`["body", "items", <index>, <field>]`): items whose own
    fields are malformed (set aside by the schema) and items that break a rule (unknown key result, closed
    cycle, a time outside the cycle, a value no milestone takes), however many there are and however mixed.
    """
    org_id = principal.org_id
    indexed = body.indexed_items()
    targets = await _batch_targets(session, org_id, [item for _, item in indexed])
    planned = _plan(body, indexed, targets, now)
    rows = _rows(principal, body, [item for _, item in indexed], planned, now)
    await session.execute(insert(CheckIn.__table__), rows)  # type: ignore[attr-defined]
    new_events, changed = _set_newest(targets, [item for _, item in indexed], planned, principal, now)
    await _write_current(session, org_id, changed, now)
    publics = [CheckInPublic(**{k: v for k, v in row.items() if k != "org_id"}) for row in rows]
    await events.emit(
        session,
        *(
            events.NewEvent(
                org_id=org_id,
                type="check_in.created",
                actor=principal.actor,
                object_type="check_in",
                object_id=p.id,
                occurred_at=now,
                after=p,
            )
            for p in publics
        ),
        *new_events,
    )
    objective_ids = {t.key_result.objective_id for t in targets}
    await drains.later(session, org_id=org_id, objective_ids=objective_ids, now=now, actor=principal.actor)
    return publics


async def _batch_targets(session: AsyncSession, org_id: UUID, items: list[CheckInBatchItem]) -> list[Target]:
    """The key results the items name (by id or external key), locked for writing."""
    ids = {item.key_result_id for item in items if item.key_result_id}
    keys = {item.external_key for item in items if item.external_key}
    if not keys:
        return await locked_targets(session, org_id, BY_IDS, list(ids)) if ids else []
    return await locked_targets(session, org_id, BY_IDS_OR_KEYS, list(ids), list(keys))


def _plan(
    body: CheckInBatch, indexed: list[tuple[int, CheckInBatchItem]], targets: list[Target], now: datetime
) -> list[tuple[Target, datetime]]:
    """Each item's key result and reported time; a 422 naming every bad item if any is."""
    errors: list[FieldError] = list(body.malformed)
    by_id = {t.key_result.id: t for t in targets}
    by_key = {t.key_result.external_key: t for t in targets if t.key_result.external_key}
    planned: list[tuple[Target, datetime]] = []
    for index, item in indexed:
        where = ("body", "items", index)
        if (item.key_result_id is None) == (item.external_key is None):
            errors.append(FieldError((*where, "key_result_id"), "give exactly one of key_result_id and external_key"))
            continue
        target = by_id.get(item.key_result_id) if item.key_result_id else by_key.get(item.external_key or "")
        field = "key_result_id" if item.key_result_id else "external_key"
        if target is None:
            errors.append(FieldError((*where, field), "no such key result"))
            continue
        if reason := writable(target):
            errors.append(FieldError((*where, field), reason))
            continue
        item_errors = []
        if problem := value_problem(target, item.value):
            item_errors.append(FieldError((*where, "value"), problem))
        moment, problem = reported_moment(target, item.checked_in_at, now)
        if problem or moment is None:
            item_errors.append(FieldError((*where, "checked_in_at"), problem or "invalid"))
        if item_errors or moment is None:
            errors += item_errors
            continue
        planned.append((target, moment))
    if errors:
        errors.sort(key=lambda error: int(error.loc[2]))  # stable: each item's errors in the order found
        bad = len({error.loc[2] for error in errors})
        raise Invalid(errors=errors, detail=f"{bad} of {body.count} items are invalid; nothing was written")
    return planned


def _rows(
    principal: Principal,
    body: CheckInBatch,
    items: list[CheckInBatchItem],
    planned: list[tuple[Target, datetime]],
    now: datetime,
) -> list[dict[str, Any]]:
    """The check-ins as plain rows for one Core INSERT.

    A thousand CheckIn/Event models cost ~0.1 ms each to build, and the ORM flush would send one UPDATE per
    key result.
    """
    source = body.source or ("api" if principal.api_key_id else "import")
    author_id = principal.user_id if principal.api_key_id is None else None
    return [
        {
            "org_id": principal.org_id,
            "id": uuid4(),
            "key_result_id": target.key_result.id,
            "value": item.value,
            "confidence": item.confidence,
            "note": item.note,
            "author_id": author_id,
            "actor": principal.actor,
            "source": source,
            "checked_in_at": moment,
            "created_at": now,
            "backdated": now - moment > BACKDATED_AFTER,
            "corrects": None,
            "reason": None,
        }
        for item, (target, moment) in zip(items, planned, strict=True)
    ]


def _set_newest(
    targets: list[Target],
    items: list[CheckInBatchItem],
    planned: list[tuple[Target, datetime]],
    principal: Principal,
    now: datetime,
) -> tuple[list[events.NewEvent], list[KeyResult]]:
    """Each key result's newest value set (in memory); the status-change events and the key results changed."""
    newest: dict[UUID, BatchCheckIn] = {}
    # Later items win ties, like later check-ins do.
    for item, (target, moment) in zip(items, planned, strict=True):
        best = newest.get(target.key_result.id)
        if best is None or moment >= best.checked_in_at:
            newest[target.key_result.id] = BatchCheckIn(item.value, item.confidence, moment)
    by_id = {t.key_result.id: t for t in targets}
    new_events: list[events.NewEvent] = []
    changed: list[KeyResult] = []
    for kr_id, check_in in newest.items():
        target = by_id[kr_id]
        if not is_newest(target.key_result, check_in.checked_in_at):
            continue  # only older values arrived: the current value stands
        new_events += set_current(target, check_in, principal=principal, now=now)
        changed.append(target.key_result)
    return new_events, changed


@dataclass(frozen=True)
class BatchCheckIn:
    value: float
    confidence: int | None
    checked_in_at: datetime


_WRITE_CURRENT = text("""
    UPDATE key_results k
    SET current_value = u.current_value, latest_confidence = u.latest_confidence,
        last_check_in_at = u.last_check_in_at, progress = u.progress, score = u.score, status = u.status,
        updated_at = :now
    FROM unnest(CAST(:ids AS uuid[]), CAST(:current_value AS float8[]), CAST(:latest_confidence AS int[]),
                CAST(:last_check_in_at AS timestamptz[]), CAST(:progress AS float8[]), CAST(:score AS float8[]),
                CAST(:status AS text[]))
         AS u(id, current_value, latest_confidence, last_check_in_at, progress, score, status)
    WHERE k.org_id = :org AND k.id = u.id
""")


async def _write_current(session: AsyncSession, org_id: UUID, key_results: list[KeyResult], now: datetime) -> None:
    """One UPDATE for the derived fields of many key results (already locked and set in memory)."""
    if not key_results:
        return
    await session.execute(
        _WRITE_CURRENT,
        {
            "org": org_id,
            "now": now,
            "ids": [kr.id for kr in key_results],
            "current_value": [kr.current_value for kr in key_results],
            "latest_confidence": [kr.latest_confidence for kr in key_results],
            "last_check_in_at": [kr.last_check_in_at for kr in key_results],
            "progress": [kr.progress for kr in key_results],
            "score": [kr.score for kr in key_results],
            "status": [str(kr.status) for kr in key_results],
        },
    )
