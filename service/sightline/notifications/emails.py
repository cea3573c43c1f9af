"""A notification as email: plain text and HTML from small templates, a link to the thing, and one-click
unsubscribe from its kind (RFC 8058)."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime
from string import Template
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from sightline.config import Settings
from sightline.mail import outbox
from sightline.notifications import tokens
from sightline.notifications.kinds import DESCRIPTIONS, Kind

UNSUBSCRIBE_PATH = "/api/v1/notifications/unsubscribe"
PREFERENCES_PATH = "/settings/notifications"

_TEXT = Template("""$summary
$details
$title
$link

You get this email because of your preference for: $description.
Stop these emails: $unsubscribe
All your notification preferences: $preferences
""")

_HTML = Template("""<!doctype html>
<html><body style="font-family: sans-serif; line-height: 1.5">
<p>$summary</p>
$details<p><a href="$link">$title</a></p>
<hr>
<p style="color: #555; font-size: 0.9em">You get this email because of your preference for: $description.
<a href="$preferences">Notification preferences</a></p>
</body></html>
""")


@dataclass(frozen=True)
class Email:
    subject: str
    text: str
    html: str
    headers: dict[str, str]


def render(
    settings: Settings,
    *,
    org_id: UUID,
    user_id: UUID,
    kind: Kind,
    title: str,
    summary: str,
    path: str,
    details: tuple[str, ...] = (),
) -> Email:
    """The email of one notification; `details` are lines listed under the summary (a weekly summary's items)."""
    base = settings.link_base_url()
    token = tokens.sign(settings, org_id, user_id, kind)
    unsubscribe = f"{base}{UNSUBSCRIBE_PATH}?token={token}"
    values = {
        "summary": summary,
        "title": title,
        "link": f"{base}{path}",
        "description": DESCRIPTIONS[kind],
        "unsubscribe": unsubscribe,
        "preferences": f"{base}{PREFERENCES_PATH}",
    }
    escaped = {key: html.escape(value, quote=True) for key, value in values.items()}
    listed = "".join(f"<li>{html.escape(line, quote=True)}</li>\n" for line in details)
    return Email(
        subject=_one_line(f"{summary}"[:200]),
        text=_TEXT.substitute(values, details="".join(f"\n- {line}" for line in details) + "\n" if details else ""),
        html=_HTML.substitute(escaped, details=f"<ul>\n{listed}</ul>\n" if details else ""),
        headers={"List-Unsubscribe": f"<{unsubscribe}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
    )


def _one_line(text: str) -> str:
    return " ".join(text.split()) or "Sightline notification"


async def queue(
    session: AsyncSession,
    settings: Settings,
    *,
    org_id: UUID,
    user_id: UUID,
    to: str,
    kind: Kind,
    title: str,
    summary: str,
    path: str,
    now: datetime,
    details: tuple[str, ...] = (),
) -> None:
    email = render(
        settings, org_id=org_id, user_id=user_id, kind=kind, title=title, summary=summary, path=path, details=details
    )
    await outbox.enqueue(
        session,
        org_id=org_id,
        kind=f"notification.{kind}",
        to=to,
        subject=email.subject,
        body=email.text,
        html=email.html,
        headers=email.headers,
        now=now,
    )
