"""The delivery log as admins read it: the organisation's messages, newest first.

Without SMTP settings a message is `logged` instead of sent, and an admin passes its link on by hand: only then
is its text shown (a sent or pending message's body stays out of the API: it may hold a single-use link meant
for its receiver alone). A failed attempt shows the class of its last error, never the server's text.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from sightline.db.keyset import PageParams, page_of, paginate
from sightline.db.tenancy import scoped
from sightline.mail.models import MailMessage

MailStatus = Literal["pending", "sent", "logged", "failed"]


class MailMessagePublic(BaseModel):
    id: UUID
    to: str = Field(description="The receiver's address")
    subject: str
    kind: str = Field(description="What it is for: email_verification, invitation, notification.mentioned, …")
    status: MailStatus = Field(
        description="pending (not delivered yet: due, or waiting for a retry), sent (accepted by the SMTP server), "
        "logged (no SMTP server configured: kept here instead), failed (every attempt failed)"
    )
    attempts: int = Field(description="Delivery attempts so far")
    created_at: datetime
    sent_at: datetime | None = Field(description="When it was sent or logged")
    error_class: str | None = Field(
        description="The kind of the last failed attempt's error (e.g. SMTPRecipientsRefused), if any"
    )
    body_text: str | None = Field(
        description="The plain-text body, for a logged message only (to pass its link on by hand)"
    )


class MailMessagePage(BaseModel):
    items: list[MailMessagePublic]
    next_cursor: str | None


def error_class(last_error: str | None) -> str | None:
    """`SMTPRecipientsRefused: {...}` → `SMTPRecipientsRefused` (the server's words stay in the server log)."""
    if not last_error:
        return None
    name = last_error.partition(":")[0].strip()
    return name[:100] if name.isidentifier() else "Error"


def public(message: MailMessage) -> MailMessagePublic:
    status: MailStatus = message.status  # type: ignore[assignment]
    return MailMessagePublic(
        id=message.id,
        to=message.to_address,
        subject=message.subject,
        kind=message.kind,
        status=status,
        attempts=message.attempts,
        created_at=message.created_at,
        sent_at=message.sent_at,
        error_class=error_class(message.last_error),
        body_text=message.body_text if message.status == "logged" else None,
    )


async def list_messages(
    session: AsyncSession, *, org_id: UUID, params: PageParams, status: MailStatus | None = None
) -> tuple[list[MailMessagePublic], str | None]:
    statement = scoped(MailMessage, org_id)
    if status is not None:
        statement = statement.where(col(MailMessage.status) == status)
    statement = paginate(statement, MailMessage.created_at, MailMessage.id, params=params, descending=True)
    rows = list((await session.execute(statement)).scalars())
    items, cursor = page_of(rows, params, lambda m: (m.created_at, m.id))
    return [public(m) for m in items], cursor


async def log_pending(session: AsyncSession, *, org_id: UUID, now: datetime) -> int:
    """What the sender does without an SMTP server, for one organisation's pending messages at once: they are
    `logged` (the demo, whose delivery log shows the mail it would have sent). Returns how many."""
    result = await session.execute(
        update(MailMessage)
        .where(col(MailMessage.org_id) == org_id, col(MailMessage.status) == "pending")
        .values(status="logged", attempts=MailMessage.attempts + 1, sent_at=now)  # type: ignore[operator]
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
