"""A recorded team review as a Markdown document: to paste into a wiki, a chat or the minutes of the meeting.

Times are in the organisation's time zone; every title and note is written on its own so no text a member typed
can turn into a heading or a link of the document's structure (line starts that Markdown reads as syntax are
escaped, and a title stays on one line).
"""

from __future__ import annotations

import re
from datetime import datetime
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from sightline.identity.service import get_org, org_settings
from sightline.insights.review_records import get_review
from sightline.insights.schemas import TeamReviewPublic

STATUS_LABEL = {
    "done": "Done",
    "on_track": "On track",
    "at_risk": "At risk",
    "off_track": "Off track",
    "no_data": "No data",
}
_LINE_START = re.compile(r"^(\s*)([#>*+\-=|]|\d+[.)])", re.MULTILINE)


def _inline(text: str) -> str:
    """One line, with Markdown's inline markers escaped."""
    single = " ".join(text.split())
    return re.sub(r"([\\`*_\[\]<>|])", r"\\\1", single)


def _block(text: str) -> str:
    """A note: its lines kept, each line start Markdown would read as syntax escaped."""
    escaped = re.sub(r"([\\`*_\[\]<>|])", r"\\\1", text.strip())
    return _LINE_START.sub(lambda m: f"{m.group(1)}\\{m.group(2)}", escaped)


def _when(moment: datetime, zone: str) -> str:
    return moment.astimezone(ZoneInfo(zone)).strftime("%-d %B %Y, %H:%M")


def review_markdown(review: TeamReviewPublic, *, time_zone: str) -> str:
    lines = [
        f"# Review of {_inline(review.team_name)}, {_when(review.held_at, time_zone)}",
        "",
        f"Held {_when(review.held_at, time_zone)} ({time_zone}), covering what changed since "
        f"{_when(review.since, time_zone)}. Recorded by {_inline(review.actor)}.",
    ]
    if review.notes.strip():
        lines += ["", "## Notes", "", _block(review.notes)]
    if review.decisions:
        lines += ["", "## Decisions", ""] + [f"- {_inline(decision)}" for decision in review.decisions]
    lines += ["", "## Key results discussed", ""]
    if not review.items:
        lines.append("None recorded.")
    for number, item in enumerate(review.items, start=1):
        confidence = (
            "no confidence given" if item.latest_confidence is None else f"confidence {item.latest_confidence}/10"
        )
        lines += [
            f"### {number}. {_inline(item.title)}",
            "",
            f"Objective: {_inline(item.objective_title)} · owner {_inline(item.owner_name)} · "
            f"{STATUS_LABEL[item.status]} · {round(item.progress * 100)} % · {confidence}",
        ]
        if item.note:
            lines += ["", _block(item.note)]
        if item.decisions:
            lines += ["", "Decisions:", ""] + [f"- {_inline(decision)}" for decision in item.decisions]
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


async def document(session: AsyncSession, *, org_id: UUID, review_id: UUID) -> tuple[str, str]:
    """The review's Markdown and a file name for it (the day it was held, in the organisation's zone)."""
    review = await get_review(session, org_id=org_id, review_id=review_id)
    zone = org_settings(await get_org(session, org_id=org_id)).time_zone
    slug = re.sub(r"[^a-z0-9]+", "-", review.team_name.lower()).strip("-") or "team"
    day = review.held_at.astimezone(ZoneInfo(zone)).date().isoformat()
    return review_markdown(review, time_zone=zone), f"review-{slug}-{day}.md"
