"""Email notices of changes to a person's own sign-in: password changed or reset, second factor turned on,
replaced or off, new recovery codes (ASVS 2.2.3, 2.5.5).

Registered on `events.service.emitted`, so every way such a change is made (the person, an admin, a reset link,
the operator's command line) sends one, in the transaction of the change: it is sent if and only if the change
commits. A notice is not a notification: no preference turns it off, since its point is to reach a person whose
account someone else changed. It names what changed and when, never a password, code or link that could act.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from sightline.config import Settings, session_settings
from sightline.events import service as events
from sightline.identity.service import get_org
from sightline.mail import outbox

MAIL_KIND = "security_notice"
# Event type -> what the person is told happened.
NOTICES = {
    "member.password_changed": "your password was changed",
    "member.password_reset": "your password was reset",
    "mfa.enrolled": "two-step sign-in was turned on",
    "mfa.replaced": "your authenticator app for two-step sign-in was replaced",
    "mfa.removed": "two-step sign-in was turned off",
    "mfa.recovery_codes_renewed": "new recovery codes were made (the earlier ones no longer work)",
}


async def notify(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    orgs: dict[Any, str] = {}  # one read of the organisation's name, however many notices
    for row in rows:
        if row["type"] not in NOTICES or not row["after"]:
            continue
        member, what = row["after"], NOTICES[row["type"]]
        if row["org_id"] not in orgs:
            orgs[row["org_id"]] = (await get_org(session, org_id=row["org_id"])).name
        await outbox.enqueue(
            session,
            org_id=row["org_id"],
            kind=MAIL_KIND,
            to=member["email"],
            subject=f"Sightline: {what}",
            body=_body(member["name"], orgs[row["org_id"]], what, row["occurred_at"], session_settings(session.info)),
            now=row["occurred_at"],
        )


def _body(name: str, org_name: str, what: str, at: datetime, settings: Settings) -> str:
    return (
        f"Hello {name},\n\nfor your Sightline account in {org_name!r}, {what} on {at:%Y-%m-%d at %H:%M} UTC.\n\n"
        "If that was you, there is nothing to do. If it was not, choose a new password now at "
        f"{settings.link_base_url()}/forgot-password and tell an administrator of your organisation.\n"
    )


def register() -> None:
    """Idempotent: the API's routes and the operator's command line call it."""
    if notify not in events.emitted:
        events.emitted.append(notify)
