"""Recovery codes of the second factor: ten single-use codes, shown once, stored as SHA-256 hashes.

A code is 80 random bits written as four groups of four characters; spaces, dashes and case do not matter
when it is typed. A new set replaces the old one (used or not). The second factor itself is
`sightline.identity.mfa`.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from datetime import datetime
from uuid import UUID

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from sightline.identity.models import RecoveryCode, User

RECOVERY_CODES = 10


def _code_hash(code: str) -> bytes:
    normalised = "".join(code.split()).replace("-", "").lower()
    return hashlib.sha256(normalised.encode()).digest()


def _new_code() -> str:
    raw = base64.b32encode(secrets.token_bytes(10)).decode().lower()  # 80 bits, 16 characters
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


async def new_recovery_codes(session: AsyncSession, *, user: User, now: datetime) -> list[str]:
    """A new set; the old ones (used or not) are gone."""
    await session.execute(
        delete(RecoveryCode).where(col(RecoveryCode.org_id) == user.org_id, col(RecoveryCode.user_id) == user.id)
    )
    codes = [_new_code() for _ in range(RECOVERY_CODES)]
    session.add_all(
        RecoveryCode(org_id=user.org_id, user_id=user.id, code_hash=_code_hash(code), created_at=now) for code in codes
    )
    await session.flush()
    return codes


async def use_recovery_code(session: AsyncSession, *, user: User, code: str, now: datetime) -> bool:
    used = await session.execute(
        update(RecoveryCode)
        .where(
            col(RecoveryCode.org_id) == user.org_id,
            col(RecoveryCode.user_id) == user.id,
            col(RecoveryCode.code_hash) == _code_hash(code),
            col(RecoveryCode.used_at).is_(None),
        )
        .values(used_at=now)
        .returning(col(RecoveryCode.code_hash))
    )
    return used.first() is not None


async def codes_left(session: AsyncSession, *, org_id: UUID, user_id: UUID) -> int:
    count = await session.execute(
        select(func.count())
        .select_from(RecoveryCode)
        .where(
            col(RecoveryCode.org_id) == org_id,
            col(RecoveryCode.user_id) == user_id,
            col(RecoveryCode.used_at).is_(None),
        )
    )
    return int(count.scalar_one())
