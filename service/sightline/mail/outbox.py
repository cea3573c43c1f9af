"""Queue a message: a row in the caller's own transaction, so a message is sent if and only if the work that
asked for it commits (and an acknowledged request never loses its message)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from sightline.mail.models import MailMessage


async def enqueue(
    session: AsyncSession,
    *,
    org_id: UUID,
    kind: str,
    to: str,
    subject: str,
    body: str,
    now: datetime,
    html: str | None = None,
    headers: dict[str, str] | None = None,
) -> MailMessage:
    """A message to one address, due now (the sender job delivers it within its poll interval): plain text, and
    HTML too when given; `headers` are extra headers (List-Unsubscribe)."""
    message = MailMessage(
        org_id=org_id,
        kind=kind,
        to_address=to,
        subject=subject,
        body_text=body,
        body_html=html,
        headers=headers or {},
        next_attempt_at=now,
        created_at=now,
    )
    session.add(message)
    await session.flush()
    return message
