"""Notifications on a schedule, moved through time with the jobs' own `now`: check-in due reminders (once per
period, at or after the owner's morning), the weekly team summary (once a week, to the team's people) and the
daily digest email (one a day, through a real SMTP server, then never again for the same notifications)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx
from fastapi import FastAPI

from sightline.notifications import checkin_due, daily
from sightline.worker import DAILY_DIGEST_ORGS, EVERY_ORG, org_ids, team_summaries_of_org
from tests.identity_mail.conftest import Inbox, deliver
from tests.support import FixedClock, Tenant, create, run_for_org

from .helpers import inbox_of, mention, prefer

BERLIN = ZoneInfo("Europe/Berlin")  # the organisation's default time zone


def at(iso: str) -> datetime:
    return datetime.fromisoformat(iso).replace(tzinfo=BERLIN)


# The scheduled jobs' work for the test's own organisation, as the scheduler runs it for each (worker.py's
# `*_all`): sweeping every organisation other tests left in the database cost a minute (the sweep itself, one
# failing organisation among others, is tests/foundation/test_job_isolation.py's).
async def check_in_due(app: FastAPI, tenant: Tenant, *, now: datetime) -> int:
    return await run_for_org(app, tenant.org_id, checkin_due.remind_due, now)


async def team_summaries(app: FastAPI, tenant: Tenant, *, now: datetime) -> int:
    return await run_for_org(app, tenant.org_id, team_summaries_of_org, now)


async def daily_digests(app: FastAPI, tenant: Tenant, *, now: datetime) -> int:
    return await run_for_org(app, tenant.org_id, daily.send_digests, now)


async def _key_result(client: httpx.AsyncClient, owner_id: str, *, team_id: str | None = None) -> dict[str, Any]:
    """A weekly key result owned by `owner_id`, in a cycle starting Monday 2026-03-02 (first due 2026-03-09)."""
    cycle = await create(
        client,
        "/api/v1/cycles",
        {
            "name": f"Spring {uuid.uuid4().hex[:6]}",
            "start_date": "2026-03-02",
            "end_date": "2026-06-30",
            "state": "active",
        },
    )
    objective = await create(
        client,
        "/api/v1/objectives",
        {"cycle_id": cycle["id"], "title": "Win spring", "level": "team" if team_id else "company", "team_id": team_id},
    )
    return await create(
        client,
        "/api/v1/key-results",
        {
            "objective_id": objective["id"],
            "title": "Signed deals",
            "target_value": 100,
            "owner_id": owner_id,
            "cadence": "weekly",
        },
    )


async def _kinds(client: httpx.AsyncClient, kind: str) -> list[dict[str, Any]]:
    return [n for n in (await inbox_of(client))["items"] if n["kind"] == kind]


async def test_check_in_due_fires_once_per_period_at_or_after_the_owners_morning(
    app: FastAPI, tenant: Tenant, real_now: FixedClock
) -> None:
    ann_client, ann = await tenant.member_client(app, "member")
    kr = await _key_result(tenant.client, ann)
    await check_in_due(app, tenant, now=at("2026-03-08T12:00"))  # the day before it is due
    await check_in_due(app, tenant, now=at("2026-03-09T07:59"))  # due today, before the morning
    assert await _kinds(ann_client, "check_in_due") == []
    await check_in_due(app, tenant, now=at("2026-03-09T08:00"))
    await check_in_due(app, tenant, now=at("2026-03-09T08:01"))  # a second pass
    await check_in_due(app, tenant, now=at("2026-03-12T10:00"))  # later in the same period
    [first] = await _kinds(ann_client, "check_in_due")
    assert first["object_type"] == "key_result" and first["object_id"] == kr["id"]
    assert first["path"] == f"/my-check-ins?key_result={kr['id']}" and first["title"] == "Signed deals"
    assert first["summary"] == "A check-in of “Signed deals” is due today" and first["actor"] == "system:reminders"
    await check_in_due(app, tenant, now=at("2026-03-16T07:30"))
    assert len(await _kinds(ann_client, "check_in_due")) == 1
    await check_in_due(app, tenant, now=at("2026-03-16T09:00"))  # still none: the next period, once
    await check_in_due(app, tenant, now=at("2026-03-16T09:00"))
    assert len(await _kinds(ann_client, "check_in_due")) == 2
    saved, real_now.now = real_now.now, at("2026-03-17T10:00")
    await create(ann_client, "/api/v1/check-ins", {"key_result_id": kr["id"], "value": 10})
    real_now.now = saved
    await check_in_due(app, tenant, now=at("2026-03-23T09:00"))  # a week after the 16th: but she checked in
    assert len(await _kinds(ann_client, "check_in_due")) == 2
    await check_in_due(app, tenant, now=at("2026-03-24T08:00"))  # a week after her check-in
    assert len(await _kinds(ann_client, "check_in_due")) == 3
    await check_in_due(app, tenant, now=at("2026-07-01T09:00"))  # the cycle has ended: nothing
    assert len(await _kinds(ann_client, "check_in_due")) == 3


async def test_check_in_due_honours_the_owners_preference_and_is_emailed_by_default(
    app: FastAPI, tenant: Tenant, real_now: FixedClock, owner_connection: asyncpg.Connection
) -> None:
    ann_client, ann = await tenant.member_client(app, "member")
    bob_client, bob = await tenant.member_client(app, "member")
    cleo_client, cleo = await tenant.member_client(app, "member")
    await prefer(bob_client, check_in_due="off")
    for owner in (ann, bob):
        await _key_result(tenant.client, owner)
    reached = await _key_result(tenant.client, cleo)
    saved, real_now.now = real_now.now, at("2026-03-02T12:00")
    await create(cleo_client, "/api/v1/check-ins", {"key_result_id": reached["id"], "value": 100})  # done
    real_now.now = saved
    await check_in_due(app, tenant, now=at("2026-03-09T08:00"))
    await check_in_due(app, tenant, now=at("2026-03-16T08:00"))
    assert len(await _kinds(ann_client, "check_in_due")) == 2 and await _kinds(bob_client, "check_in_due") == []
    assert await _kinds(cleo_client, "check_in_due") == []  # a key result that is done needs no check-in
    kinds = await owner_connection.fetch(
        "SELECT m.kind FROM mail_outbox m JOIN users u ON u.org_id = m.org_id AND u.email = m.to_address "
        "WHERE m.org_id = $1::uuid AND u.id = ANY($2::uuid[])",
        tenant.org_id,
        [ann, bob],
    )
    assert [row["kind"] for row in kinds] == ["notification.check_in_due"] * 2


async def test_the_weekly_team_summary_reaches_the_teams_people_once_a_week(
    app: FastAPI, tenant: Tenant, real_now: FixedClock, owner_connection: asyncpg.Connection
) -> None:
    ann_client, ann = await tenant.member_client(app, "member")
    outsider_client, _ = await tenant.member_client(app, "member")
    team = await create(
        tenant.client, "/api/v1/teams", {"name": "Growth", "lead_id": tenant.owner_id, "member_ids": [ann]}
    )
    await _key_result(tenant.client, ann, team_id=team["id"])
    await team_summaries(app, tenant, now=at("2026-03-09T07:00"))  # Monday, before the morning
    assert await _kinds(ann_client, "team_weekly_summary") == []
    await team_summaries(app, tenant, now=at("2026-03-09T08:00"))
    await team_summaries(app, tenant, now=at("2026-03-11T15:00"))  # the same week
    [summary] = await _kinds(ann_client, "team_weekly_summary")
    assert summary["object_type"] == "team" and summary["object_id"] == team["id"]
    assert summary["title"] == "Growth" and summary["path"] == f"/review?team={team['id']}"
    assert summary["summary"] == "Growth this week: 0 moved, 0 at risk, 1 due"  # the digest's own count
    assert len(await _kinds(tenant.client, "team_weekly_summary")) == 1  # the lead
    assert await _kinds(outsider_client, "team_weekly_summary") == []
    await team_summaries(app, tenant, now=at("2026-03-16T08:30"))  # the next week
    assert len(await _kinds(ann_client, "team_weekly_summary")) == 2
    ann_email = (await tenant.client.get(f"/api/v1/members/{ann}")).json()["email"]
    bodies = await owner_connection.fetch(
        "SELECT body_text, body_html FROM mail_outbox WHERE org_id = $1::uuid AND to_address = $2"
        " AND kind = 'notification.team_weekly_summary' ORDER BY created_at",
        tenant.org_id,
        ann_email,
    )
    assert len(bodies) == 2  # emailed by default, once a week
    assert "- Due: Signed deals (A member, by 2026-03-11)" in bodies[0]["body_text"]
    assert "<li>Due: Signed deals (A member, by 2026-03-11)</li>" in bodies[0]["body_html"]
    assert "- Due: Signed deals (A member, overdue since 2026-03-11)" in bodies[1]["body_text"]


async def test_the_daily_digest_emails_each_person_once_a_day_at_their_morning(
    app: FastAPI, tenant: Tenant, inbox: Inbox, real_now: FixedClock, owner_connection: asyncpg.Connection
) -> None:
    ann_client, ann = await tenant.member_client(app, "member")
    await prefer(ann_client, mentioned="daily_digest")
    ann_email = (await tenant.client.get(f"/api/v1/members/{ann}")).json()["email"]
    saved, real_now.now = real_now.now, at("2026-07-01T10:00")
    objective = await create(
        tenant.client,
        "/api/v1/objectives",
        {"cycle_id": (await _cycle(tenant.client))["id"], "title": "Win summer", "level": "company"},
    )
    for text in ("First", "Second"):
        body = f"{text} {mention('Ann', ann)}"
        await create(
            tenant.client, "/api/v1/comments", {"target_type": "objective", "target_id": objective["id"], "body": body}
        )
    real_now.now = saved
    await deliver(app, at("2026-07-01T10:01"))
    assert inbox.to(ann_email) == []  # a digest kind: no email now
    await daily_digests(app, tenant, now=at("2026-07-02T07:59"))
    await deliver(app, at("2026-07-02T07:59"))
    assert inbox.to(ann_email) == []
    await daily_digests(app, tenant, now=at("2026-07-02T08:00"))
    await daily_digests(app, tenant, now=at("2026-07-02T08:05"))  # a second pass
    await deliver(app, at("2026-07-02T08:06"))
    [digest] = inbox.to(ann_email)
    assert digest["Subject"] == "Your Sightline digest: 2 notifications" and digest["Message-ID"]
    assert digest.get_content_type() == "multipart/alternative"
    text = digest.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    html = digest.get_body(preferencelist=("html",)).get_content()  # type: ignore[union-attr]
    assert "Olive Owner mentioned you: First @Ann" in text and "Olive Owner mentioned you: Second @Ann" in text
    assert "mentioned you: First @Ann</a>" in html
    assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"  # one kind: one-click applies
    undigested = await owner_connection.fetchval(
        "SELECT count(*) FROM notifications WHERE org_id = $1::uuid AND user_id = $2::uuid AND digested_at IS NULL",
        tenant.org_id,
        ann,
    )
    assert undigested == 0
    await daily_digests(app, tenant, now=at("2026-07-03T08:00"))  # the next day, nothing new
    await deliver(app, at("2026-07-03T08:01"))
    assert len(inbox.to(ann_email)) == 1


async def _cycle(client: httpx.AsyncClient) -> dict[str, Any]:
    return await create(
        client,
        "/api/v1/cycles",
        {"name": "Summer", "start_date": "2026-07-01", "end_date": "2026-09-30", "state": "active"},
    )


async def test_two_workers_at_once_notify_once(app: FastAPI, tenant: Tenant, real_now: FixedClock) -> None:
    ann_client, ann = await tenant.member_client(app, "member")
    team = await create(tenant.client, "/api/v1/teams", {"name": "Brand", "member_ids": [ann]})
    await _key_result(tenant.client, ann, team_id=team["id"])
    when = at("2026-03-09T08:30")
    await asyncio.gather(*(check_in_due(app, tenant, now=when) for _ in range(2)))
    await asyncio.gather(*(team_summaries(app, tenant, now=when) for _ in range(2)))
    assert len(await _kinds(ann_client, "check_in_due")) == 1
    assert len(await _kinds(ann_client, "team_weekly_summary")) == 1


async def test_the_daily_digest_sweep_visits_only_organisations_where_someone_chose_it(
    app: FastAPI, tenant: Tenant
) -> None:
    """Migration 0081: the sweep skips organisations where nobody set a kind to the digest (it cost ~8 ms each)."""
    factory, org = app.state.session_factory, uuid.UUID(tenant.org_id)
    assert org in await org_ids(factory, EVERY_ORG)
    assert org not in await org_ids(factory, DAILY_DIGEST_ORGS)
    member_client, _ = await tenant.member_client(app, "member")
    await prefer(member_client, mentioned="daily_digest")
    assert org in await org_ids(factory, DAILY_DIGEST_ORGS)
    await prefer(member_client, mentioned="in_app")
    assert org not in await org_ids(factory, DAILY_DIGEST_ORGS)
