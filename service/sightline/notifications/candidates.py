"""Who an event may notify, and of what: the candidates before preferences and membership are applied."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from sightline.db.arrays import in_uuids
from sightline.identity.models import User
from sightline.notifications.kinds import Kind
from sightline.okrs.models import CheckIn, KeyResult, Objective

COMMENT_TYPES = frozenset({"comment.created", "comment.updated"})
HANDLED = COMMENT_TYPES | {"key_result.status_changed", "objective.status_changed"}
_MENTION = re.compile(r"@\[([^\]\n]*)\]\(user:[0-9a-fA-F-]{36}\)")


@dataclass(frozen=True)
class Candidate:
    org_id: UUID
    user_id: UUID
    kind: Kind
    object_type: str
    object_id: UUID
    title: str
    summary: str
    path: str
    event_id: UUID
    actor: str
    created_at: datetime
    id: UUID = field(default_factory=uuid4)
    details: tuple[str, ...] = ()  # lines the email lists under the summary (not kept in the inbox)

    def row(self) -> dict[str, Any]:
        return {
            "org_id": self.org_id,
            "id": self.id,
            "user_id": self.user_id,
            "kind": self.kind,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "title": self.title[:300],
            "summary": self.summary[:600],
            "path": self.path[:300],
            "event_id": self.event_id,
            "actor": self.actor,
            "created_at": self.created_at,
        }


@dataclass(frozen=True)
class Target:
    title: str
    owner_id: UUID
    path: str


def _uuid(value: Any) -> UUID | None:
    try:
        return UUID(str(value))
    except ValueError:
        return None


def _words(status: Any) -> str:
    return str(status).replace("_", " ")


def excerpt(body: str, limit: int = 200) -> str:
    plain = " ".join(_MENTION.sub(r"@\1", body).split())
    return plain if len(plain) <= limit else plain[: limit - 1] + "…"


async def candidates(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> list[Candidate]:
    found: list[Candidate] = []
    comments = [row for row in rows if row["type"] in COMMENT_TYPES and row["after"]]
    if comments:
        found += await _comment_candidates(session, comments)
    found += await _objective_status(session, [r for r in rows if r["type"] == "objective.status_changed"])
    for row in rows:
        if row["type"] == "key_result.status_changed" and row["after"]:
            found += _key_result_status(row)
    return found


def _base(row: dict[str, Any]) -> dict[str, Any]:
    return {"org_id": row["org_id"], "event_id": row["id"], "actor": row["actor"], "created_at": row["occurred_at"]}


def _key_result_status(row: dict[str, Any]) -> list[Candidate]:
    after = row["after"]
    owner, kr_id = _uuid(after.get("owner_id")), _uuid(after.get("id"))
    if owner is None or kr_id is None or row["actor"] == f"user:{owner}":
        return []
    title = str(after.get("title") or "A key result")
    before = (row["before"] or {}).get("status")
    return [
        Candidate(
            user_id=owner,
            kind="key_result_status",
            object_type="key_result",
            object_id=kr_id,
            title=title,
            summary=f"Your key result “{title}” is now {_words(after.get('status'))} (was {_words(before)})",
            path=f"/objectives/{after.get('objective_id')}",
            **_base(row),
        )
    ]


async def _objective_status(session: AsyncSession, rows: list[dict[str, Any]]) -> list[Candidate]:
    if not rows:
        return []
    keys = [(row["org_id"], row["object_id"]) for row in rows]
    statement = select(col(Objective.org_id), col(Objective.id), col(Objective.owner_id)).where(
        tuple_(col(Objective.org_id), col(Objective.id)).in_(keys)
    )
    owners = {(r.org_id, r.id): r.owner_id for r in await session.execute(statement)}
    found = []
    for row in rows:
        owner = owners.get((row["org_id"], row["object_id"]))
        if owner is None or row["actor"] == f"user:{owner}":
            continue
        after, before = row["after"] or {}, row["before"] or {}
        title = str(after.get("title") or "An objective")
        summary = f"Your objective “{title}” is now {_words(after.get('status'))} (was {_words(before.get('status'))})"
        found.append(
            Candidate(
                user_id=owner,
                kind="objective_status",
                object_type="objective",
                object_id=row["object_id"],
                title=title,
                summary=summary,
                path=f"/objectives/{row['object_id']}",
                **_base(row),
            )
        )
    return found


async def _targets(
    session: AsyncSession, org_id: UUID, wanted: set[tuple[str, UUID]]
) -> dict[tuple[str, UUID], Target]:
    """Title, owner and web path of each commented thing (a check-in's are its key result's)."""
    found: dict[tuple[str, UUID], Target] = {}
    by_type = {kind: [i for t, i in wanted if t == kind] for kind in ("objective", "key_result", "check_in")}
    if by_type["objective"]:
        statement: Any = select(col(Objective.id), col(Objective.title), col(Objective.owner_id)).where(
            col(Objective.org_id) == org_id, in_uuids(col(Objective.id), by_type["objective"])
        )
        for r in await session.execute(statement):
            found[("objective", r.id)] = Target(r.title, r.owner_id, f"/objectives/{r.id}")
    kr = (col(KeyResult.title), col(KeyResult.owner_id), col(KeyResult.objective_id))
    if by_type["key_result"]:
        statement = select(col(KeyResult.id), *kr).where(
            col(KeyResult.org_id) == org_id, in_uuids(col(KeyResult.id), by_type["key_result"])
        )
        for r in await session.execute(statement):
            found[("key_result", r.id)] = Target(r.title, r.owner_id, f"/objectives/{r.objective_id}")
    if by_type["check_in"]:
        statement = (
            select(col(CheckIn.id), *kr)
            .join(
                KeyResult,
                (col(KeyResult.org_id) == col(CheckIn.org_id)) & (col(KeyResult.id) == col(CheckIn.key_result_id)),
            )
            .where(col(CheckIn.org_id) == org_id, in_uuids(col(CheckIn.id), by_type["check_in"]))
        )
        for r in await session.execute(statement):
            found[("check_in", r.id)] = Target(f"Check-in on {r.title}", r.owner_id, f"/objectives/{r.objective_id}")
    return found


def _mentioned(payload: dict[str, Any] | None) -> list[UUID]:
    ids = (_uuid(m.get("user_id")) for m in (payload or {}).get("mentions") or [])
    return [i for i in ids if i is not None]


async def _comment_candidates(session: AsyncSession, rows: list[dict[str, Any]]) -> list[Candidate]:
    found: list[Candidate] = []
    for org_id in {row["org_id"] for row in rows}:
        mine = [row for row in rows if row["org_id"] == org_id]
        wanted = {(r["after"]["target_type"], UUID(r["after"]["target_id"])) for r in mine}
        authors = {UUID(r["after"]["author_id"]) for r in mine}
        targets = await _targets(session, org_id, wanted)
        names_query = select(col(User.id), col(User.name)).where(
            col(User.org_id) == org_id, in_uuids(col(User.id), authors)
        )
        names = {r.id: r.name for r in await session.execute(names_query)}
        for row in mine:
            found += _for_comment(row, targets, names)
    return found


def _for_comment(
    row: dict[str, Any], targets: dict[tuple[str, UUID], Target], names: dict[UUID, str]
) -> list[Candidate]:
    after = row["after"]
    author = UUID(after["author_id"])
    target = targets.get((after["target_type"], UUID(after["target_id"])))
    if target is None:
        return []
    already = set(_mentioned(row["before"])) if row["type"] == "comment.updated" else set()
    mentioned = [m for m in _mentioned(after) if m != author and m not in already]
    who, text = names.get(author, "Someone"), excerpt(str(after.get("body") or ""))
    common: dict[str, Any] = {
        "object_type": "comment",
        "object_id": UUID(after["id"]),
        "title": target.title,
        "path": target.path,
    }
    found = [
        Candidate(user_id=m, kind="mentioned", summary=f"{who} mentioned you: {text}", **common, **_base(row))
        for m in mentioned
    ]
    owner = target.owner_id
    if row["type"] == "comment.created" and owner != author and owner not in mentioned:
        summary = f"{who} commented on “{target.title}”: {text}"
        found.append(Candidate(user_id=owner, kind="comment_on_owned", summary=summary, **common, **_base(row)))
    return found
