"""Key-result links of an initiative: validation (duplicates, shares ≤ 1, same organisation) and writing."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import UUID

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from sightline.errors import FieldError, Invalid, NotFound
from sightline.initiatives.models import InitiativeKeyResult
from sightline.initiatives.schemas import KeyResultLink
from sightline.okrs.models import KeyResult


async def checked_links(session: AsyncSession, org_id: UUID, links: list[KeyResultLink]) -> list[KeyResultLink]:
    """Refuse duplicates and shares over 1 (422), and key results not in this organisation (404)."""
    errors: list[FieldError] = []
    seen: set[UUID] = set()
    for index, link in enumerate(links):
        if link.key_result_id in seen:
            errors.append(FieldError(("body", "key_results", index, "key_result_id"), "listed twice"))
        seen.add(link.key_result_id)
    total = sum((link.share for link in links if link.share is not None), Decimal(0))
    if total > 1:
        errors.append(
            FieldError(("body", "key_results"), f"the shares of one initiative may not exceed 1 in total (got {total})")
        )
    if errors:
        raise Invalid(errors=errors)
    if seen:
        found = set(
            (
                await session.execute(
                    select(col(KeyResult.id)).where(col(KeyResult.org_id) == org_id, col(KeyResult.id).in_(seen))
                )
            ).scalars()
        )
        if seen - found:
            raise NotFound("key result")
    return links


async def write_links(
    session: AsyncSession,
    org_id: UUID,
    initiative_id: UUID,
    links: list[KeyResultLink],
    now: datetime,
    *,
    replace: bool,
) -> None:
    if replace:
        await session.execute(
            delete(InitiativeKeyResult).where(
                col(InitiativeKeyResult.org_id) == org_id, col(InitiativeKeyResult.initiative_id) == initiative_id
            )
        )
    if links:
        await session.execute(
            insert(InitiativeKeyResult),
            [
                {
                    "org_id": org_id,
                    "initiative_id": initiative_id,
                    "key_result_id": link.key_result_id,
                    "share": link.share,
                    "created_at": now,
                }
                for link in links
            ],
        )
