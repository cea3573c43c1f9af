"""Scope the current transaction to one organisation; row-level security reads this setting."""

from __future__ import annotations

from typing import TypeVar
from uuid import UUID

from sqlalchemy import Select, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from sightline.errors import NotFound


async def set_tenant(session: AsyncSession, org_id: UUID) -> None:
    # is_local=true: the setting ends with the transaction, so a pooled connection never keeps it.
    await session.execute(text("SELECT set_config('app.org_id', :org, true)"), {"org": str(org_id)})


M = TypeVar("M")


def scoped(model: type[M], org_id: UUID) -> Select[M]:
    """The one starting point of every tenant read: rows of `model` in the caller's organisation.

    Row-level security enforces the same underneath; the explicit filter keeps plans index-friendly.
    """
    return select(model).where(model.org_id == org_id)  # type: ignore[attr-defined]


async def one_of_org(
    session: AsyncSession,
    model: type[M],
    org_id: UUID,
    row_id: UUID | None = None,
    *,
    what: str,
    lock: bool = False,
    key_share: bool = False,
) -> M:
    """The row of `model` with this id in the organisation, or 404 naming `what`. Without `row_id`: the
    organisation's one row (its settings, its single sign-on). `lock`: FOR UPDATE, or FOR NO KEY UPDATE with
    `key_share` (rows that others only reference by foreign key meanwhile need not wait)."""
    statement = scoped(model, org_id)
    if row_id is not None:
        statement = statement.where(model.id == row_id)  # type: ignore[attr-defined]
    if lock:
        statement = statement.with_for_update(key_share=key_share)
    row = (await session.execute(statement)).scalar_one_or_none()
    if row is None:
        raise NotFound(what)
    return row


async def wait_org_lock(session: AsyncSession, purpose: str, org_id: UUID) -> None:
    """The lock of `try_org_lock`, waited for: work that must happen now (a rule changed) after a scheduled
    pass already on the organisation."""
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": f"{purpose}:{org_id}"})


async def try_org_lock(session: AsyncSession, purpose: str, org_id: UUID) -> bool:
    """A transaction-scoped advisory lock on (purpose, organisation): False when another process holds it, so
    scheduled jobs on several replicas never work on the same organisation at once."""
    statement = text("SELECT pg_try_advisory_xact_lock(hashtext(:k))")
    return bool((await session.execute(statement, {"k": f"{purpose}:{org_id}"})).scalar())
