"""Chat-ready bodies: events rendered as short readable Slack or Teams messages with a link to the web app.

The dispatcher sends these instead of the Standard Webhooks JSON to endpoints whose `format` is `slack`
(an incoming-webhook `text`) or `teams` (an Adaptive Card, as Teams workflows accept); delivery, signing
and retries stay the same. Names the event does not carry (the team of a key result) come from one
bounded lookup per organisation and batch (`load_context`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from sightline.identity.schemas import OrganisationSettings

STATUS_WORDS = {
    "on_track": "on track",
    "at_risk": "at risk",
    "off_track": "off track",
    "done": "done",
    "no_data": "without data",
}
OPEN_LABEL = "Open in Sightline"


@dataclass(frozen=True)
class KeyResultNames:
    title: str
    objective_id: UUID
    team: str | None
    target_value: float
    unit: str


@dataclass
class ChatContext:
    """What messages name besides the event itself: key results and objectives with their teams."""

    organisation: str = ""
    time_zone: str = "UTC"  # the organisation's: messages show local dates, the API's timestamps are UTC
    key_results: dict[UUID, KeyResultNames] = field(default_factory=dict)
    objective_teams: dict[UUID, str | None] = field(default_factory=dict)


@dataclass(frozen=True)
class Message:
    headline: str
    lines: tuple[str, ...] = ()
    path: str = "/"  # in the web app


# Formatting ----------------------------------------------------------------------------------------
def number(value: Any) -> str:
    """9400.0 → "9,400"; 12.5 → "12.5"; 1234.567 → "1,234.57"."""
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
        return "?"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _of_target(current: Any, target: Any, unit: str) -> str:
    amount = f"{number(current)} / {number(target)}"
    return f"{amount} {unit}" if unit else amount


def _team_suffix(team: str | None, organisation: str) -> str:
    name = team or organisation
    return f" — {name}" if name else ""


def _uuid(value: Any) -> UUID | None:
    try:
        return UUID(str(value))
    except ValueError:
        return None


# Messages per event type ---------------------------------------------------------------------------
def message(event_type: str, data: Mapping[str, Any], context: ChatContext) -> Message:
    """The readable message of one event (every type has one; unknown ones get a generic line)."""
    family = event_type.split(".", 1)[0]
    if event_type == "team.digest":
        return _digest(data, ZoneInfo(context.time_zone))
    if family == "key_result":
        return _key_result(event_type, data, context)
    if event_type == "check_in.created":
        return _check_in(data, context)
    if family == "objective":
        objective_id = _uuid(data.get("id"))
        team = context.objective_teams.get(objective_id) if objective_id else None
        verb = event_type.split(".", 1)[1].replace("_", " ")
        title = data.get("title") or "An objective"
        return Message(
            f"Objective {verb}: {title}{_team_suffix(team, context.organisation)}",
            path=f"/objectives/{objective_id}" if objective_id else "/",
        )
    if family == "integration":
        return _integration(event_type, data, context)
    if family == "cycle":
        verb = event_type.split(".", 1)[1].replace("_", " ")
        return Message(f"Cycle {data.get('name', '')} {verb}", path="/scoreboard")
    if event_type == "webhook.ping":
        return Message(str(data.get("message") or "Ping from Sightline"))
    if event_type == "endpoint.disabled":
        return Message(f"Webhook endpoint {data.get('url', '')} was disabled: {data.get('disabled_reason', '')}")
    name = data.get("title") or data.get("name") or data.get("id") or ""
    return Message(f"{event_type.replace('_', ' ')}: {name}".rstrip(": "))


def _key_result(event_type: str, data: Mapping[str, Any], context: ChatContext) -> Message:
    kr_id = _uuid(data.get("id"))
    names = context.key_results.get(kr_id) if kr_id else None
    title = data.get("title") or (names.title if names else "A key result")
    objective_id = data.get("objective_id") or (names.objective_id if names else None)
    team = _team_suffix(names.team if names else None, context.organisation)
    path = f"/objectives/{objective_id}" if objective_id else "/"
    amount = _of_target(data.get("current_value"), data.get("target_value"), str(data.get("unit") or ""))
    confidence = data.get("latest_confidence")
    with_confidence = f", confidence {confidence}" if confidence is not None else ""
    if event_type == "key_result.status_changed":
        status = STATUS_WORDS.get(str(data.get("status")), str(data.get("status")))
        return Message(f"{title} is now {status}: {amount}{with_confidence}{team}", path=path)
    if event_type == "key_result.checkin_overdue":
        since = str(data.get("overdue_since") or "")[:10]
        return Message(f"Check-in overdue: {title} ({amount}), due since {since}{team}", path=path)
    verb = event_type.split(".", 1)[1].replace("_", " ")
    return Message(f"Key result {verb}: {title}{team}", path=path)


def _check_in(data: Mapping[str, Any], context: ChatContext) -> Message:
    kr_id = _uuid(data.get("key_result_id"))
    names = context.key_results.get(kr_id) if kr_id else None
    if names is None:
        return Message(f"New check-in: {number(data.get('value'))}")
    confidence = data.get("confidence")
    with_confidence = f", confidence {confidence}" if confidence is not None else ""
    source = data.get("source")
    via = f" (from {source})" if source not in (None, "manual") else ""
    verb = "Correction" if data.get("corrects") else "New check-in"
    return Message(
        f"{verb} on {names.title}: {_of_target(data.get('value'), names.target_value, names.unit)}"
        f"{with_confidence}{via}{_team_suffix(names.team, context.organisation)}",
        path=f"/objectives/{names.objective_id}",
    )


def _integration(event_type: str, data: Mapping[str, Any], context: ChatContext) -> Message:
    kr_id = _uuid(data.get("key_result_id"))
    names = context.key_results.get(kr_id) if kr_id else None
    about = f" for {names.title}" if names else ""
    path = f"/objectives/{names.objective_id}" if names else "/"
    name = data.get("name", "")
    if event_type == "integration.failing":
        return Message(f"Integration {name}{about} is failing: {data.get('last_error') or 'unknown error'}", path=path)
    if event_type == "integration.recovered":
        return Message(f"Integration {name}{about} works again", path=path)
    verb = event_type.split(".", 1)[1].replace("_", " ")
    return Message(f"Integration {verb}: {name}{about}", path=path)


def _local_date(value: Any, zone: ZoneInfo) -> str:
    """The day of an API timestamp (UTC, ISO 8601) in the organisation's zone."""
    try:
        return datetime.fromisoformat(str(value)).astimezone(zone).date().isoformat()
    except ValueError:
        return str(value or "")[:10]


def _digest(data: Mapping[str, Any], zone: ZoneInfo) -> Message:
    team = data.get("team_name", "")
    at_risk: Sequence[Mapping[str, Any]] = data.get("at_risk") or []
    changes: Sequence[Mapping[str, Any]] = data.get("status_changes") or []
    due: Sequence[Mapping[str, Any]] = data.get("due_check_ins") or []
    headline = (
        f"Weekly digest — {team}: {len(at_risk)} at risk or off track, {len(changes)} status changes, "
        f"{len(due)} check-ins due"
    )
    lines: list[str] = []
    for item in at_risk:
        status = STATUS_WORDS.get(str(item.get("status")), str(item.get("status")))
        confidence = item.get("latest_confidence")
        with_confidence = f", confidence {confidence}" if confidence is not None else ""
        lines.append(
            f"{item.get('title')} is {status}: "
            f"{_of_target(item.get('current_value'), item.get('target_value'), str(item.get('unit') or ''))}"
            f"{with_confidence}"
        )
    for change in changes:
        before = STATUS_WORDS.get(str(change.get("from_status")), str(change.get("from_status")))
        after = STATUS_WORDS.get(str(change.get("to_status")), str(change.get("to_status")))
        lines.append(f"{change.get('title')}: {before} → {after} ({_local_date(change.get('changed_at'), zone)})")
    for item in due:
        state = "overdue since" if item.get("overdue") else "due"
        owner = f" ({item.get('owner_name')})" if item.get("owner_name") else ""
        lines.append(f"Check-in {state} {_local_date(item.get('due_at'), zone)}: {item.get('title')}{owner}")
    return Message(headline, tuple(lines), path="/scoreboard")


# Bodies per format ---------------------------------------------------------------------------------
def _slack_escape(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_body(msg: Message, link: str) -> dict[str, Any]:
    lines = "".join(f"\n• {_slack_escape(line)}" for line in msg.lines)
    return {"text": f"{_slack_escape(msg.headline)}{lines}\n<{link}|{OPEN_LABEL}>", "unfurl_links": False}


# Adaptive Card text is Markdown (bold, italic, lists, links) and `{{DATE(…)}}` functions: a title such as
# "[Click](https://evil.example)" or "**urgent**" must arrive as the words typed, like in Slack.
_TEAMS_SPECIAL = re.compile(r"([\\`*_~\[\]()<>#|])")
_TEAMS_BULLET = re.compile(r"^(\s*)([-+])(?=\s)", re.MULTILINE)  # "- x" and "+ x" would be list items
_TEAMS_NUMBERED = re.compile(r"^(\s*\d+)\.(?=\s)", re.MULTILINE)  # "1. x" too


def _teams_escape(value: str) -> str:
    text = _TEAMS_SPECIAL.sub(r"\\\1", value)
    text = _TEAMS_NUMBERED.sub(r"\1\\.", _TEAMS_BULLET.sub(r"\1\\\2", text))
    return text.replace("{{", "{\u200b{").replace("}}", "}\u200b}")


def teams_body(msg: Message, link: str) -> dict[str, Any]:
    headline = _teams_escape(msg.headline)
    blocks: list[dict[str, Any]] = [{"type": "TextBlock", "text": headline, "wrap": True, "weight": "Bolder"}]
    blocks += [
        {"type": "TextBlock", "text": f"- {_teams_escape(line)}", "wrap": True, "spacing": "Small"}
        for line in msg.lines
    ]
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": blocks,
        "actions": [{"type": "Action.OpenUrl", "title": OPEN_LABEL, "url": link}],
    }
    return {
        "type": "message",
        "summary": msg.headline,
        "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "content": card}],
    }


def render(fmt: str, event_type: str, data: Mapping[str, Any], context: ChatContext, *, base_url: str) -> bytes:
    """The body sent to a `slack` or `teams` endpoint for one event."""
    msg = message(event_type, data, context)
    link = f"{base_url.rstrip('/')}{msg.path}"
    body = slack_body(msg, link) if fmt == "slack" else teams_body(msg, link)
    return orjson.dumps(body)


# Names for messages --------------------------------------------------------------------------------
_KEY_RESULTS = text("""
    SELECT kr.id, kr.title, kr.objective_id, kr.target_value, kr.unit, t.name AS team
    FROM key_results AS kr
    JOIN objectives AS o ON o.org_id = kr.org_id AND o.id = kr.objective_id
    LEFT JOIN teams AS t ON t.org_id = o.org_id AND t.id = o.team_id
    WHERE kr.org_id = :org AND kr.id = ANY (CAST(:ids AS uuid[]))
""")
_OBJECTIVES = text("""
    SELECT o.id, t.name AS team
    FROM objectives AS o LEFT JOIN teams AS t ON t.org_id = o.org_id AND t.id = o.team_id
    WHERE o.org_id = :org AND o.id = ANY (CAST(:ids AS uuid[]))
""")
_ORGANISATION = text("SELECT name, settings->>'time_zone' AS time_zone FROM orgs WHERE org_id = :org")


async def load_context(
    session: AsyncSession, *, org_id: UUID, events: Iterable[tuple[str, UUID, Mapping[str, Any] | None]]
) -> ChatContext:
    """Names for the messages of these (type, object id, data) events: at most three statements."""
    kr_ids: set[UUID] = set()
    objective_ids: set[UUID] = set()
    for event_type, object_id, data in events:
        family = event_type.split(".", 1)[0]
        if family == "key_result":
            kr_ids.add(object_id)
        elif family == "objective":
            objective_ids.add(object_id)
        elif data is not None and (kr_id := _uuid(data.get("key_result_id"))) is not None:
            kr_ids.add(kr_id)
    org = (await session.execute(_ORGANISATION, {"org": org_id})).one_or_none()
    context = ChatContext(
        organisation=org.name if org else "",
        time_zone=(org.time_zone if org else None) or OrganisationSettings().time_zone,
    )
    if kr_ids:
        for row in await session.execute(_KEY_RESULTS, {"org": org_id, "ids": list(kr_ids)}):
            context.key_results[row.id] = KeyResultNames(
                title=row.title,
                objective_id=row.objective_id,
                team=row.team,
                target_value=row.target_value,
                unit=row.unit,
            )
    if objective_ids:
        for row in await session.execute(_OBJECTIVES, {"org": org_id, "ids": list(objective_ids)}):
            context.objective_teams[row.id] = row.team
    return context
