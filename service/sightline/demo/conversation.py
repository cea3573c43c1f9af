"""The demo's people talking about a goal where it lives: a few comments with @mentions in the days before today,
the notifications they cause, and the email those would send, kept in the delivery log (the demo has no SMTP
server: `GET /api/v1/mail/messages` shows what it would have sent)."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from sightline.auth import Principal
from sightline.comments import service as comments
from sightline.comments.schemas import CommentCreate
from sightline.db.tenancy import one_of_org
from sightline.demo.timeline import at
from sightline.mail import log as mail_log
from sightline.notifications import producer
from sightline.okrs.models import KeyResult

# (days before today, hour, author, target: "kr" or "objective", reply to the previous one, body with {mentions})
THREAD: tuple[tuple[int, int, str, str, bool, str], ...] = (
    (3, 10, "dana", "kr", False, "The webinar series lifted MQLs again. {marcus}, can we keep its budget next month?"),
    (2, 9, "marcus", "kr", True, "Yes, {dana}. {sofia}, can sales follow up on the extra leads within a day?"),
    (2, 14, "sofia", "kr", True, "We can, {dana}: Ben takes the webinar leads from Monday."),
    (1, 11, "olivia", "objective", False, "Strong quarter so far. {clara}, the share-of-voice story for the board?"),
)


def _mention(people: dict[str, Principal], names: dict[str, str], key: str) -> str:
    return f"@[{names[key]}](user:{people[key].user_id})"


async def talk(
    session: AsyncSession,
    *,
    org_id: UUID,
    people: dict[str, Principal],
    names: dict[str, str],
    key_result_id: UUID,
    today: datetime,
) -> None:
    """The thread of THREAD on the key result (and its objective), then its mail logged as the sender does."""
    producer.register()  # notifications are written with the comments' events, as in the app
    kr = await one_of_org(session, KeyResult, org_id, key_result_id, what="key result")
    mentions = {key: _mention(people, names, key) for key in names}
    parent: UUID | None = None
    last = today
    for days, hour, author, target, reply, text in THREAD:
        last = at(today.date() - timedelta(days=days), hour)
        target_type, target_id = ("key_result", kr.id) if target == "kr" else ("objective", kr.objective_id)
        body = CommentCreate(
            target_type=target_type,  # type: ignore[arg-type]
            target_id=target_id,
            body=text.format(**mentions),
            parent_id=parent if reply else None,
        )
        comment = await comments.create_comment(session, principal=people[author], body=body, now=last)
        parent = parent if reply else comment.id
    await mail_log.log_pending(session, org_id=org_id, now=last + timedelta(minutes=1))
