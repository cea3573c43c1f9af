"""The daily digest: one email a day, at the person's morning, with their notifications of the kinds they set to
`daily_digest` that no digest has carried yet (then `digested_at` is set on them).

At or after 08:00 in the organisation's time zone, once per member per local day (notification_schedule): a
second pass, or a second worker, sends nothing twice, and the email's outbox row gives it its stable
Message-ID. Notifications older than a week are left out (a member who turns a kind to `daily_digest` does not
get a month of them at once). An email lists at most 50; the rest are marked digested with them.
"""

from __future__ import annotations

import html
from collections import defaultdict
from datetime import date, datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from sightline.config import Settings, session_settings
from sightline.db.arrays import in_uuids
from sightline.db.tenancy import try_org_lock
from sightline.identity.service import get_org, org_settings
from sightline.mail import outbox
from sightline.notifications import schedule, tokens
from sightline.notifications.emails import PREFERENCES_PATH, UNSUBSCRIBE_PATH, Email
from sightline.notifications.kinds import DESCRIPTIONS, Kind
from sightline.notifications.models import Notification

LOOK_BACK = timedelta(days=7)
MAX_LISTED = 50
_CHOSEN = text("""
    SELECT p.user_id, p.kind, u.email FROM notification_preferences p
    JOIN users u ON u.org_id = p.org_id AND u.id = p.user_id
    WHERE p.org_id = :org AND p.channel = 'daily_digest' AND u.deactivated_at IS NULL
""")


def _render(settings: Settings, org_id: UUID, user_id: UUID, items: list[Notification]) -> Email:
    base = settings.link_base_url()
    kinds: list[Kind] = sorted({n.kind for n in items})  # type: ignore[misc]
    links = {k: f"{base}{UNSUBSCRIBE_PATH}?token={tokens.sign(settings, org_id, user_id, k)}" for k in kinds}
    listed = items[:MAX_LISTED]
    more = f"\n…and {len(items) - len(listed)} more in the app.\n" if len(items) > len(listed) else ""
    text_body = "Your notifications since the last digest:\n\n"
    text_body += "".join(f"- {n.summary}\n  {base}{n.path}\n" for n in listed) + more
    text_body += "\nStop emailing these in the digest:\n"
    text_body += "".join(f"- {DESCRIPTIONS[k]}: {links[k]}\n" for k in kinds)
    text_body += f"All your notification preferences: {base}{PREFERENCES_PATH}\n"
    rows = "".join(
        f'<li><a href="{html.escape(base + n.path, quote=True)}">{html.escape(n.summary)}</a></li>\n' for n in listed
    )
    html_body = (
        '<!doctype html>\n<html><body style="font-family: sans-serif; line-height: 1.5">\n'
        f"<p>Your notifications since the last digest:</p>\n<ul>\n{rows}</ul>\n{html.escape(more)}<hr>\n"
        f'<p style="color: #555; font-size: 0.9em"><a href="{html.escape(base + PREFERENCES_PATH, quote=True)}">'
        "Notification preferences</a></p>\n</body></html>\n"
    )
    headers: dict[str, str] = {}
    if len(kinds) == 1:  # one-click unsubscribe names one kind: offered when the digest holds one kind only
        headers = {"List-Unsubscribe": f"<{links[kinds[0]]}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    count = len(items)
    subject = f"Your Sightline digest: {count} notification{'s' if count != 1 else ''}"
    return Email(subject=subject, text=text_body, html=html_body, headers=headers)


async def _due_people(session: AsyncSession, org_id: UUID, today: date) -> tuple[dict[UUID, set[str]], dict[UUID, str]]:
    kinds: dict[UUID, set[str]] = defaultdict(set)
    emails: dict[UUID, str] = {}
    for row in await session.execute(_CHOSEN, {"org": org_id}):
        kinds[row.user_id].add(row.kind)
        emails[row.user_id] = row.email
    served = await schedule.done(session, org_id=org_id, job="daily_digest", subjects=list(kinds))
    due = {user: chosen for user, chosen in kinds.items() if (served.get(user) or date.min) < today}
    return due, emails


async def send_digests(session: AsyncSession, *, org_id: UUID, now: datetime) -> int:
    """Today's digests of this organisation, once its morning has come; returns how many emails were queued."""
    if not await try_org_lock(session, "daily_digest", org_id):
        return 0
    zone = ZoneInfo(org_settings(await get_org(session, org_id=org_id)).time_zone)
    today = now.astimezone(zone).date()
    if now < schedule.morning_of(today, zone):
        return 0
    due, emails = await _due_people(session, org_id, today)
    if not due:
        return 0
    statement = (
        select(Notification)
        .where(
            col(Notification.org_id) == org_id,
            in_uuids(col(Notification.user_id), list(due)),
            col(Notification.digested_at).is_(None),
            col(Notification.created_at) > now - LOOK_BACK,
            col(Notification.created_at) <= now,
        )
        .order_by(col(Notification.created_at), col(Notification.seq))
    )
    mine: dict[UUID, list[Notification]] = defaultdict(list)
    for n in (await session.execute(statement)).scalars():
        if n.kind in due[n.user_id]:
            mine[n.user_id].append(n)
    settings = session_settings(session.info)
    for user_id, items in mine.items():
        email = _render(settings, org_id, user_id, items)
        await outbox.enqueue(
            session,
            org_id=org_id,
            kind="notification.daily_digest",
            to=emails[user_id],
            subject=email.subject,
            body=email.text,
            html=email.html,
            headers=email.headers,
            now=now,
        )
    digested = [n.id for items in mine.values() for n in items]  # one statement for every digest sent
    if digested:
        await session.execute(
            update(Notification)
            .where(col(Notification.org_id) == org_id, in_uuids(col(Notification.id), digested))
            .values(digested_at=now)
        )
    await schedule.record(session, org_id=org_id, job="daily_digest", periods=dict.fromkeys(due, today), now=now)
    return len(mine)
