"""Lock strengths of the most referenced rows: key results and members are locked FOR NO KEY UPDATE (neither is
ever deleted or given a new id), so rows that only reference them (a comment on a key result, an objective a member
owns) are written while a check-in or a member's change holds them, and writers of the row itself still queue."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
from fastapi import FastAPI
from tests.insights.helpers import cycle, key_result, objective
from tests.support import FixedClock, Tenant, waiting_for_locks

from sightline.auth import Principal
from sightline.db.tenancy import set_tenant
from sightline.identity.members import update_member
from sightline.identity.schemas import MemberUpdate
from sightline.okrs.check_in_rules import locked_target


async def test_a_check_ins_lock_lets_a_comment_on_its_key_result_through_and_holds_the_next_check_in(
    app: FastAPI, tenant: Tenant, clock: FixedClock, owner_connection: asyncpg.Connection
) -> None:
    """A comment's foreign key shares the key result a check-in holds: with FOR UPDATE it waited for the whole
    check-in (and could deadlock with it); a second check-in on the same key result still waits its turn."""
    clock.set("2026-04-01T09:00:00+02:00")
    q2 = await cycle(tenant, "Q2", "2026-04-01", "2026-06-30")
    kr = await key_result(tenant, await objective(tenant, q2["id"], "Grow"), title="Signups", target_value=100)
    async with app.state.session_factory() as session, session.begin():
        await set_tenant(session, uuid.UUID(tenant.org_id))
        assert await locked_target(session, uuid.UUID(tenant.org_id), uuid.UUID(kr["id"])) is not None
        comment = await asyncio.wait_for(
            tenant.client.post(
                "/api/v1/comments", json={"target_type": "key_result", "target_id": kr["id"], "body": "On it"}
            ),
            timeout=10,
        )
        assert comment.status_code == 201, comment.text
        second = asyncio.create_task(
            tenant.client.post("/api/v1/check-ins", json={"key_result_id": kr["id"], "value": 30})
        )
        # The check-in's lock (check_in_rules._LOCKED).
        await waiting_for_locks(owner_connection, like="%SELECT k.org_id, k.id, k.objective_id%FROM key_results k%")
        assert not second.done()
    answer = await asyncio.wait_for(second, timeout=10)
    assert answer.status_code == 201, answer.text
    assert (await tenant.client.get(f"/api/v1/key-results/{kr['id']}")).json()["current_value"] == 30


async def test_a_members_change_lets_an_objective_they_own_through(
    app: FastAPI, tenant: Tenant, clock: FixedClock
) -> None:
    """An objective's owner is a foreign key to the member: with FOR UPDATE, creating it waited until the member's
    change committed (as did their sign-ins, notifications and comments)."""
    clock.set("2026-04-01T09:00:00+02:00")
    q2 = await cycle(tenant, "Q2", "2026-04-01", "2026-06-30")
    org_id, owner_id = uuid.UUID(tenant.org_id), uuid.UUID(tenant.owner_id)
    owner = Principal(
        org_id=org_id, scopes=frozenset({"read", "write", "admin", "owner"}), user_id=owner_id, role="owner"
    )
    async with app.state.session_factory() as session, session.begin():
        await set_tenant(session, org_id)
        await update_member(
            session, principal=owner, member_id=owner_id, body=MemberUpdate(name="Olivia"), if_match=None, now=clock.now
        )
        created = await asyncio.wait_for(objective(tenant, q2["id"], "Grow", owner_id=tenant.owner_id), timeout=10)
        assert created["owner_id"] == tenant.owner_id
    member = await tenant.client.get(f"/api/v1/members/{tenant.owner_id}")
    assert member.json()["name"] == "Olivia"
