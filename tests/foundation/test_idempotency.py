"""Idempotency-Key on POST: a retry replays the first response; misuse answers 422 or 409; keys are per org."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import orjson
import pytest
from tests.support import SignUp, Tenant, make_client, sign_up

from sightline.app import create_app
from sightline.config import get_settings
from sightline.http import idempotency
from sightline.http.deps import DbSession, Writer
from sightline.http.idempotency import HEADER, request_fingerprint
from sightline.http.routers import api_router

PATH = "/api/v1/teams"


def _body(name: str) -> bytes:
    return orjson.dumps({"name": name})


async def _post(tenant: Tenant, key: str | None, body: bytes) -> Any:
    headers = {"content-type": "application/json"} | ({HEADER: key} if key is not None else {})
    return await tenant.client.post(PATH, content=body, headers=headers)


async def _keys_named(owner_connection: asyncpg.Connection, tenant: Tenant, name: str) -> int:
    return int(
        await owner_connection.fetchval(
            "SELECT count(*) FROM teams WHERE org_id = $1 AND name = $2", uuid.UUID(tenant.org_id), name
        )
    )


async def _put_key_row(owner_connection: asyncpg.Connection, tenant: Tenant, key: str, body: bytes, state: str) -> None:
    await owner_connection.execute(
        "INSERT INTO idempotency_keys (org_id, key, request_hash, state, expires_at)"
        " VALUES ($1, $2, $3, $4, now() + interval '1 hour')",
        uuid.UUID(tenant.org_id),
        key,
        request_fingerprint("POST", PATH, "", body, f"user:{tenant.owner_id}"),
        state,
    )


async def test_same_key_and_body_replays_the_first_response(
    tenant: Tenant, owner_connection: asyncpg.Connection
) -> None:
    first = await _post(tenant, "create-crm-key", _body("CRM"))
    second = await _post(tenant, "create-crm-key", _body("CRM"))
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()  # same id, same representation
    assert second.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert second.headers["etag"] == first.headers["etag"]
    assert second.headers["content-type"] == first.headers["content-type"]
    assert await _keys_named(owner_connection, tenant, "CRM") == 1
    row = await owner_connection.fetchrow(
        "SELECT state, response_status FROM idempotency_keys WHERE org_id = $1 AND key = $2",
        uuid.UUID(tenant.org_id),
        "create-crm-key",
    )
    assert (row["state"], row["response_status"]) == ("done", 201)


async def test_same_key_with_another_body_is_refused(tenant: Tenant, owner_connection: asyncpg.Connection) -> None:
    assert (await _post(tenant, "k-1", _body("CRM"))).status_code == 201
    response = await _post(tenant, "k-1", _body("Other"))
    assert response.status_code == 422
    assert response.json()["type"] == "/problems/validation-error"
    assert response.json()["errors"][0]["loc"] == ["header", HEADER]
    assert await _keys_named(owner_connection, tenant, "CRM") == 1
    assert await _keys_named(owner_connection, tenant, "Other") == 0


async def test_a_failed_request_does_not_use_the_key_up(tenant: Tenant, owner_connection: asyncpg.Connection) -> None:
    invalid = orjson.dumps({"name": "CRM", "scopes": ["everything"]})
    assert (await _post(tenant, "k-retry", invalid)).status_code == 422
    assert (
        await owner_connection.fetchval(
            "SELECT count(*) FROM idempotency_keys WHERE org_id = $1", uuid.UUID(tenant.org_id)
        )
        == 0
    )
    response = await _post(tenant, "k-retry", _body("CRM"))
    assert response.status_code == 201
    assert "idempotent-replayed" not in response.headers
    assert await _keys_named(owner_connection, tenant, "CRM") == 1


async def test_a_duplicate_of_a_request_in_flight_gets_409(
    tenant: Tenant, owner_connection: asyncpg.Connection
) -> None:
    # Same body as the claim: the body is compared first, so only a true duplicate reaches the state.
    await _put_key_row(owner_connection, tenant, "k-busy", _body("CRM"), "in_flight")
    response = await _post(tenant, "k-busy", _body("CRM"))
    assert response.status_code == 409
    assert "still in progress" in response.json()["detail"]
    assert await _keys_named(owner_connection, tenant, "CRM") == 0


async def test_another_body_under_a_key_in_flight_is_422_not_409(
    tenant: Tenant, owner_connection: asyncpg.Connection
) -> None:
    await _put_key_row(owner_connection, tenant, "k-busy", _body("CRM"), "in_flight")
    assert (await _post(tenant, "k-busy", _body("Other"))).status_code == 422


# The sessions waiting on a lock held by this session (the request's claim behind the "first" transaction).
_BEHIND_THIS_TRANSACTION = "SELECT count(*) FROM pg_stat_activity WHERE pg_backend_pid() = ANY(pg_blocking_pids(pid))"


async def _until_a_request_waits(owner_connection: asyncpg.Connection) -> None:
    for _ in range(500):
        await owner_connection.execute("SELECT pg_stat_clear_snapshot()")  # a fresh view inside the transaction
        if await owner_connection.fetchval(_BEHIND_THIS_TRANSACTION) >= 1:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the duplicate never waited for the first transaction")


async def test_a_duplicate_waits_for_the_first_transaction_and_replays_its_answer(
    tenant: Tenant, owner_connection: asyncpg.Connection
) -> None:
    """The claim is written in the request's own transaction: a duplicate's INSERT waits on the key's unique
    index until the first commits, then sees its stored answer."""
    stored = orjson.dumps({"id": "first-answer"})
    async with owner_connection.transaction():  # as the first request's transaction, about to commit
        await _put_key_row(owner_connection, tenant, "k-locked", _body("CRM"), "done")
        await owner_connection.execute(
            "UPDATE idempotency_keys SET response_status = 201, response_headers = $3, response_body = $4"
            " WHERE org_id = $1 AND key = $2",
            uuid.UUID(tenant.org_id),
            "k-locked",
            '{"content-type": "application/json"}',
            stored,
        )
        duplicate = asyncio.create_task(_post(tenant, "k-locked", _body("CRM")))
        await _until_a_request_waits(owner_connection)
    response = await duplicate
    assert response.status_code == 201
    assert response.content == stored
    assert response.headers["idempotent-replayed"] == "true"
    assert await _keys_named(owner_connection, tenant, "CRM") == 0  # replayed, not done again


async def test_a_duplicate_of_a_first_that_rolled_back_does_the_work(
    tenant: Tenant, owner_connection: asyncpg.Connection
) -> None:
    transaction = owner_connection.transaction()
    await transaction.start()  # as the first request's transaction, about to fail
    try:
        await _put_key_row(owner_connection, tenant, "k-failing", _body("CRM"), "committed")
        duplicate = asyncio.create_task(_post(tenant, "k-failing", _body("CRM")))
        await _until_a_request_waits(owner_connection)
    finally:
        await transaction.rollback()
    response = await duplicate
    assert response.status_code == 201
    assert "idempotent-replayed" not in response.headers
    assert await _keys_named(owner_connection, tenant, "CRM") == 1


async def test_concurrent_duplicates_act_once(tenant: Tenant, owner_connection: asyncpg.Connection) -> None:
    responses = await asyncio.gather(*(_post(tenant, "k-race", _body("CRM")) for _ in range(5)))
    assert sorted({r.status_code for r in responses}) in ([201], [201, 409])
    originals = [r for r in responses if r.status_code == 201 and "idempotent-replayed" not in r.headers]
    assert len(originals) == 1
    assert all(r.json() == originals[0].json() for r in responses if r.status_code == 201)
    assert await _keys_named(owner_connection, tenant, "CRM") == 1


async def test_work_committed_without_a_stored_response_gets_409(
    tenant: Tenant, owner_connection: asyncpg.Connection
) -> None:
    await _put_key_row(owner_connection, tenant, "k-crashed", _body("CRM"), "committed")
    response = await _post(tenant, "k-crashed", _body("CRM"))
    assert response.status_code == 409
    assert "read the resource" in response.json()["detail"]


async def test_a_failure_to_store_the_response_undoes_the_work(
    app: Any, tenant: Tenant, owner_connection: asyncpg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Work, key and response commit together: a response that cannot be kept is no success to acknowledge.
    The client hears 500, nothing landed, and its retry with the same key does the work once."""
    monkeypatch.setattr(idempotency, "_STORE", "SELECT no_such_function()")
    headers = {"content-type": "application/json", HEADER: "k-unstored"}
    # The suite's clients fail a test on any 5xx; this one is the answer expected here.
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver", cookies=tenant.client.cookies
    ) as plain:
        failed = await plain.post(PATH, content=_body("CRM"), headers=headers)
    assert failed.status_code == 500
    assert await _keys_named(owner_connection, tenant, "CRM") == 0
    monkeypatch.undo()
    retry = await _post(tenant, "k-unstored", _body("CRM"))
    assert retry.status_code == 201
    assert "idempotent-replayed" not in retry.headers
    assert await _keys_named(owner_connection, tenant, "CRM") == 1


async def test_keys_are_per_organisation(signup: SignUp, owner_connection: asyncpg.Connection) -> None:
    a, b = await signup("Alpha"), await signup("Beta")
    first = await _post(a, "shared-key", _body("CRM"))
    second = await _post(b, "shared-key", _body("CRM"))
    assert first.status_code == second.status_code == 201
    assert "idempotent-replayed" not in second.headers
    assert second.json()["id"] != first.json()["id"]
    assert await _keys_named(owner_connection, a, "CRM") == 1
    assert await _keys_named(owner_connection, b, "CRM") == 1


async def test_an_expired_key_can_be_used_again(tenant: Tenant, owner_connection: asyncpg.Connection) -> None:
    assert (await _post(tenant, "k-old", _body("CRM"))).status_code == 201
    await owner_connection.execute(
        "UPDATE idempotency_keys SET expires_at = $3 WHERE org_id = $1 AND key = $2",
        uuid.UUID(tenant.org_id),
        "k-old",
        datetime.now(UTC) - timedelta(seconds=1),
    )
    response = await _post(tenant, "k-old", _body("New CRM"))
    assert response.status_code == 201
    assert "idempotent-replayed" not in response.headers
    assert await _keys_named(owner_connection, tenant, "New CRM") == 1
    expires = await owner_connection.fetchval(
        "SELECT expires_at FROM idempotency_keys WHERE org_id = $1 AND key = $2", uuid.UUID(tenant.org_id), "k-old"
    )
    assert expires > datetime.now(UTC) + timedelta(hours=23)


async def test_without_the_header_every_post_acts(tenant: Tenant, owner_connection: asyncpg.Connection) -> None:
    assert (await _post(tenant, None, _body("CRM"))).status_code == 201
    assert (await _post(tenant, None, _body("CRM"))).status_code == 201
    assert await _keys_named(owner_connection, tenant, "CRM") == 2
    assert (
        await owner_connection.fetchval(
            "SELECT count(*) FROM idempotency_keys WHERE org_id = $1", uuid.UUID(tenant.org_id)
        )
        == 0
    )


@pytest.mark.parametrize("key", ["", "x" * 201, "caf\u00e9"], ids=["empty", "too-long", "not-ascii"])
async def test_a_malformed_key_is_422(tenant: Tenant, owner_connection: asyncpg.Connection, key: str) -> None:
    body = _body("CRM")
    response = await tenant.client.post(
        PATH, content=body, headers=[("content-type", "application/json"), (HEADER, key.encode("latin-1"))]
    )
    assert response.status_code == 422
    assert await _keys_named(owner_connection, tenant, "CRM") == 0


async def test_a_shown_once_secret_is_never_stored_nor_replayed(
    tenant: Tenant, owner_connection: asyncpg.Connection
) -> None:
    body = orjson.dumps({"name": "Warehouse", "scopes": ["read"]})
    headers = {"content-type": "application/json", HEADER: "key-with-secret"}
    first = await tenant.client.post("/api/v1/api-keys", content=body, headers=headers)
    assert first.status_code == 201
    secret = first.json()["secret"]
    again = await tenant.client.post("/api/v1/api-keys", content=body, headers=headers)
    assert again.status_code == 409
    assert secret not in again.text
    stored = await owner_connection.fetchrow(
        "SELECT state, response_body FROM idempotency_keys WHERE org_id = $1 AND key = $2",
        uuid.UUID(tenant.org_id),
        "key-with-secret",
    )
    assert stored["state"] == "done"
    assert stored["response_body"] is None
    assert (
        await owner_connection.fetchval(
            "SELECT count(*) FROM api_keys WHERE org_id = $1 AND name = 'Warehouse'", uuid.UUID(tenant.org_id)
        )
        == 1
    )


async def test_an_abandoned_in_flight_key_is_reclaimed(tenant: Tenant, owner_connection: asyncpg.Connection) -> None:
    body = _body("Recovered")
    await _put_key_row(owner_connection, tenant, "crashed-before-commit", body, "in_flight")
    await owner_connection.execute(
        "UPDATE idempotency_keys SET created_at = now() - interval '10 minutes' WHERE org_id = $1 AND key = $2",
        uuid.UUID(tenant.org_id),
        "crashed-before-commit",
    )
    response = await _post(tenant, "crashed-before-commit", body)
    assert response.status_code == 201
    assert await _keys_named(owner_connection, tenant, "Recovered") == 1


async def test_side_transactions_never_starve_a_small_pool(database_url: str) -> None:
    """A failed sign-in records itself in a side transaction while the request's own transaction holds its
    connection (a keyed POST did too, before it claimed its key in its own transaction). From one shared pool,
    as many concurrent requests as connections each waited for a second one until the pool timed out (a 500
    after 30 s): found by the crash test's 24 writers on 20 connections. The side pool of their own never
    waits on the main one.
    """
    settings = get_settings().model_copy(update={"db_pool_size": 2, "db_max_overflow": 0})
    application = create_app(database_url, settings)
    async with application.router.lifespan_context(application), make_client(application) as client:
        await sign_up(client, "Small pool", "Pat")
        headers = {"content-type": "application/json"}
        keyed = [
            client.post(PATH, content=_body(f"Team {n}"), headers={**headers, HEADER: f"pool-{n}"}) for n in range(8)
        ]
        async with make_client(application) as stranger:
            failed_sign_ins = [
                stranger.post("/api/v1/auth/login", json={"email": f"nobody-{n}@example.test", "password": "wrong"})
                for n in range(8)
            ]
            async with asyncio.timeout(20):  # seconds; the pool's own timeout is 30
                responses = await asyncio.gather(*keyed, *failed_sign_ins)
    assert [r.status_code for r in responses] == [201] * 8 + [401] * 8


async def test_a_route_that_ends_its_own_transaction_keeps_its_answer_beside_it(
    database_url: str, owner_connection: asyncpg.Connection
) -> None:
    """Routes that read a slow source commit the request's transaction first (and the key with it, as
    'committed'): their answer is kept by a side transaction, and a retry replays it."""
    router = api_router(authenticated=True)

    @router.post("/early-commit", status_code=200)
    async def early_commit(principal: Writer, session: DbSession) -> dict[str, str]:
        await session.commit()  # as integrations' runs and checks do before they reach the source
        return {"made": uuid.uuid4().hex}

    application = create_app(database_url, get_settings())
    application.include_router(router)
    async with application.router.lifespan_context(application), make_client(application) as client:
        org_id = (await sign_up(client, "Early commit", "Pat"))["organisation"]["id"]
        first = await client.post("/api/v1/early-commit", headers={HEADER: "k-early"})
        again = await client.post("/api/v1/early-commit", headers={HEADER: "k-early"})
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    state = await owner_connection.fetchval(
        "SELECT state FROM idempotency_keys WHERE org_id = $1 AND key = 'k-early'", uuid.UUID(org_id)
    )
    assert state == "done"
