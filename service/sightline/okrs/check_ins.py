"""Check-ins: append-only values with confidence; corrections and backdating; the reads.

The rules shared with batches (locking, what may be checked in, the derived fields) are in
`check_in_rules.py`; batches in `check_in_batch.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import and_, exists, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import col

from sightline.auth import Principal
from sightline.db.keyset import PageParams, page_of, paginate
from sightline.db.rows import fetch_rows
from sightline.errors import Conflict, Invalid, NotFound
from sightline.events import service as events
from sightline.okrs import drains
from sightline.okrs.check_in_rules import (
    BACKDATED_AFTER,
    CURRENT_FIELDS,
    Target,
    is_newest,
    locked_target,
    reported_moment,
    set_current,
    store_current,
    value_problem,
    writable,
)
from sightline.okrs.models import CheckIn, KeyResult
from sightline.okrs.schemas import CheckInCreate, CheckInPublic


def check_in_public(check_in: CheckIn, corrected_by: UUID | None = None) -> CheckInPublic:
    return CheckInPublic(
        id=check_in.id,
        key_result_id=check_in.key_result_id,
        value=check_in.value,
        confidence=check_in.confidence,
        note=check_in.note,
        author_id=check_in.author_id,
        actor=check_in.actor,
        source=check_in.source,
        checked_in_at=check_in.checked_in_at,
        created_at=check_in.created_at,
        backdated=check_in.backdated,
        corrects=check_in.corrects,
        reason=check_in.reason,
        corrected_by=corrected_by,
    )


async def _current_after(session: AsyncSession, kr: KeyResult, check_in: CheckInPublic) -> CheckIn | CheckInPublic:
    """The key result's current check-in once `check_in` (not written yet) joins the history: the latest by
    reported time that no correction replaced; on a tie the newest recorded, which `check_in` is."""
    before = await _current_check_in(session, kr, replaced=check_in.corrects)
    if before is None or check_in.checked_in_at >= before.checked_in_at:
        return check_in
    return before


async def _current_check_in(session: AsyncSession, kr: KeyResult, *, replaced: UUID | None) -> CheckIn | None:
    """The latest check-in by reported time (then recording time) that no correction replaced (nor `replaced`,
    which the check-in being written corrects)."""
    correction = aliased(CheckIn)
    statement = (
        select(CheckIn)
        .where(
            col(CheckIn.org_id) == kr.org_id,
            col(CheckIn.key_result_id) == kr.id,
            ~exists().where(col(correction.org_id) == col(CheckIn.org_id), col(correction.corrects) == col(CheckIn.id)),
        )
        .order_by(col(CheckIn.checked_in_at).desc(), col(CheckIn.seq).desc())
        .limit(1)
    )
    if replaced is not None:
        statement = statement.where(col(CheckIn.id) != replaced)
    return (await session.execute(statement)).scalar_one_or_none()


# The check-in, its key result's derived fields (`check_in_rules.CURRENT_FIELDS`) and the roll-up mark of its
# objective: ONE statement on the driver (built once; the ORM's statement objects cost more in Python than the
# database spends on the three rows). Nothing is read back: the id is made here, the derived fields are the ones
# in memory. The objective and its ancestors are refreshed right after the commit (okrs/drains.py: no hot row in
# this transaction).
_WRITE = f"""
    WITH written AS (
        INSERT INTO check_ins (org_id, id, key_result_id, value, confidence, note, author_id, actor, source,
                               checked_in_at, created_at, backdated, corrects, reason)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
    ), marked AS (
        INSERT INTO rollup_pending (org_id, objective_id, actor, created_at) VALUES ($1, $15, $8, $11)
    )
    UPDATE key_results SET {", ".join(f"{name} = ${16 + i}" for i, name in enumerate(CURRENT_FIELDS))}
    WHERE org_id = $1 AND id = $3
"""


async def _write(session: AsyncSession, c: CheckInPublic, target: Target) -> None:
    kr = target.key_result
    stored = store_current(kr)
    await fetch_rows(
        session,
        _WRITE,
        *(kr.org_id, c.id, c.key_result_id, c.value, c.confidence, c.note, c.author_id, c.actor, c.source),
        *(c.checked_in_at, c.created_at, c.backdated, c.corrects, c.reason, kr.objective_id),
        *(stored[name] for name in CURRENT_FIELDS),
    )
    drains.settle_after_commit(session, org_id=kr.org_id, now=c.created_at)


async def create_check_in(
    session: AsyncSession,
    *,
    principal: Principal,
    body: CheckInCreate,
    now: datetime,
) -> CheckInPublic:
    org_id = principal.org_id
    target = await locked_target(session, org_id, body.key_result_id)
    if target is None:
        raise NotFound("key result")
    if reason := writable(target):
        raise Conflict(reason)
    if problem := value_problem(target, body.value):
        raise Invalid("body.value", problem)
    corrected, moment = await _corrected_and_moment(session, target, body, now)
    check_in = _new_check_in(target, body, principal=principal, moment=moment, corrected=corrected, now=now)
    newest = corrected is None and is_newest(target.key_result, moment)
    current = check_in if newest else await _current_after(session, target.key_result, check_in)
    status_events = set_current(target, current, principal=principal, now=now)
    await _write(session, check_in, target)
    await events.emit(
        session,
        events.NewEvent(
            org_id=org_id,
            type="check_in.created",
            actor=principal.actor,
            object_type="check_in",
            object_id=check_in.id,
            occurred_at=now,
            after=check_in,
        ),
        *status_events,
    )
    return check_in


def _new_check_in(
    target: Target,
    body: CheckInCreate,
    *,
    principal: Principal,
    moment: datetime,
    corrected: CheckIn | None,
    now: datetime,
) -> CheckInPublic:
    """The new check-in as it is answered (and written by `_write`): a model built once; the ORM's `CheckIn`
    cost about 100 µs to build and is never added to the session."""
    return CheckInPublic(
        id=uuid4(),
        key_result_id=target.key_result.id,
        value=body.value,
        confidence=body.confidence,
        note=body.note,
        author_id=principal.user_id if principal.api_key_id is None else None,
        actor=principal.actor,
        source=body.source or ("api" if principal.api_key_id else "manual"),
        checked_in_at=moment,
        created_at=now,
        backdated=corrected is None and now - moment > BACKDATED_AFTER,
        corrects=body.corrects,
        reason=body.reason,
    )


async def _corrected_and_moment(
    session: AsyncSession, target: Target, body: CheckInCreate, now: datetime
) -> tuple[CheckIn | None, datetime]:
    """The check-in this one corrects (if any), and the time it reports: a correction takes the corrected one's."""
    if body.corrects is not None:
        corrected = await _corrected(session, target.key_result.org_id, body)
        return corrected, corrected.checked_in_at
    if body.reason is not None:
        raise Invalid("body.reason", "only a correction (with `corrects`) takes a reason")
    moment, problem = reported_moment(target, body.checked_in_at, now)
    if problem or moment is None:
        raise Invalid("body.checked_in_at", problem or "invalid")
    return None, moment


async def _corrected(session: AsyncSession, org_id: UUID, body: CheckInCreate) -> CheckIn:
    if body.reason is None:
        raise Invalid("body.reason", "a correction needs a reason")
    if body.checked_in_at is not None:
        raise Invalid("body.checked_in_at", "a correction takes the time of the check-in it corrects")
    # One statement: the check-in corrected and whichever check-in already corrected it.
    found = (await session.execute(_with_corrections(org_id).where(col(CheckIn.id) == body.corrects))).first()
    if found is None or found[0].key_result_id != body.key_result_id:
        raise Invalid("body.corrects", "not a check-in of this key result")
    original: CheckIn = found[0]
    already: UUID | None = found[1]
    if already is not None:
        raise Conflict(f"check-in {original.id} was already corrected by {already}; correct that one instead")
    return original


def _with_corrections(org_id: UUID) -> Any:
    correction = aliased(CheckIn)
    return (
        select(CheckIn, col(correction.id))
        .outerjoin(
            correction, and_(col(correction.org_id) == col(CheckIn.org_id), col(correction.corrects) == col(CheckIn.id))
        )
        .where(col(CheckIn.org_id) == org_id)
    )


async def history(
    session: AsyncSession,
    *,
    org_id: UUID,
    key_result_id: UUID,
    params: PageParams,
) -> tuple[list[CheckInPublic], str | None]:
    """A key result's check-ins in reported-time order, corrections and corrected ones marked."""
    exists_kr = (
        await session.execute(
            select(col(KeyResult.id)).where(col(KeyResult.org_id) == org_id, col(KeyResult.id) == key_result_id)
        )
    ).first()
    if exists_kr is None:
        raise NotFound("key result")
    statement = _with_corrections(org_id).where(col(CheckIn.key_result_id) == key_result_id)
    rows = list((await session.execute(paginate(statement, CheckIn.checked_in_at, CheckIn.seq, params=params))).all())
    page, cursor = page_of(rows, params, lambda row: (row[0].checked_in_at, row[0].seq))
    return [check_in_public(c, corrected_by) for c, corrected_by in page], cursor


async def get_check_in(session: AsyncSession, *, org_id: UUID, check_in_id: UUID) -> CheckInPublic:
    row = (await session.execute(_with_corrections(org_id).where(col(CheckIn.id) == check_in_id))).first()
    if row is None:
        raise NotFound("check-in")
    return check_in_public(row[0], row[1])


async def list_check_ins(
    session: AsyncSession,
    *,
    org_id: UUID,
    params: PageParams,
    key_result_ids: Sequence[UUID] | None,
) -> tuple[list[CheckInPublic], str | None]:
    statement = _with_corrections(org_id)
    if key_result_ids:
        statement = statement.where(col(CheckIn.key_result_id).in_(list(key_result_ids)))
    rows = list((await session.execute(paginate(statement, CheckIn.created_at, CheckIn.seq, params=params))).all())
    page, cursor = page_of(rows, params, lambda row: (row[0].created_at, row[0].seq))
    return [check_in_public(c, corrected_by) for c, corrected_by in page], cursor
