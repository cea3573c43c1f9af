"""Abuse: oversized and hostile input gets a clear 4xx and leaves the database unchanged."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid

import asyncpg
import httpx
import pytest
from tests.support import PASSWORD, Tenant, create, okr_setup


async def _rows(owner_connection: asyncpg.Connection, tenant: Tenant) -> int:
    return int(
        await owner_connection.fetchval(
            "SELECT (SELECT count(*) FROM check_ins WHERE org_id = $1)"
            " + (SELECT count(*) FROM objectives WHERE org_id = $1)"
            " + (SELECT count(*) FROM events WHERE org_id = $1)",
            uuid.UUID(tenant.org_id),
        )
    )


async def test_ten_thousand_item_batch_is_refused_and_writes_nothing(
    tenant: Tenant, owner_connection: asyncpg.Connection
) -> None:
    okr = await okr_setup(tenant.client)
    kr = await create(
        tenant.client, "/api/v1/key-results", {"objective_id": okr.objective["id"], "title": "KR", "target_value": 10}
    )
    before = await _rows(owner_connection, tenant)
    items = [{"key_result_id": kr["id"], "value": 1}] * 10_000
    response = await tenant.client.post("/api/v1/check-ins:batch", json={"items": items})
    assert response.status_code in (413, 422)  # 10,000 items also exceed the body limit
    assert response.headers["content-type"] == "application/problem+json"
    assert await _rows(owner_connection, tenant) == before


async def test_ten_megabyte_body_is_refused(tenant: Tenant, owner_connection: asyncpg.Connection) -> None:
    before = await _rows(owner_connection, tenant)
    response = await tenant.client.post(
        "/api/v1/teams", content=b'{"name": "' + b"x" * 10_000_000 + b'"}', headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert await _rows(owner_connection, tenant) == before


@pytest.mark.parametrize(
    "title",
    [
        "مرحبا بالعالم",  # right-to-left
        "Zero\u200bwidth joiner\u200d",  # zero-width characters
        "🚀 Launch 👩‍👩‍👧‍👦",  # 4-byte emoji and a ZWJ sequence
        "Ångström Ünïcödé 中文 🇩🇪",
    ],
    ids=["rtl", "zero-width", "emoji", "mixed"],
)
async def test_unicode_names_round_trip_exactly(tenant: Tenant, title: str) -> None:
    okr = await okr_setup(tenant.client)
    created = await create(
        tenant.client, "/api/v1/objectives", {"cycle_id": okr.cycle["id"], "title": title, "level": "company"}
    )
    assert (await tenant.client.get(f"/api/v1/objectives/{created['id']}")).json()["title"] == title


@pytest.mark.parametrize(
    "title",
    ["NUL\u0000byte", "bell\u0007", "C1\u0085control", " leading space"],
    ids=["nul", "bell", "c1", "leading-space"],
)
async def test_control_characters_are_refused_before_the_database(
    tenant: Tenant, owner_connection: asyncpg.Connection, title: str
) -> None:
    okr = await okr_setup(tenant.client)
    before = await _rows(owner_connection, tenant)
    response = await tenant.client.post(
        "/api/v1/objectives", json={"cycle_id": okr.cycle["id"], "title": title, "level": "company"}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "title"]
    assert await _rows(owner_connection, tenant) == before


@pytest.mark.slow
def test_a_slow_body_gets_408(database_url: str) -> None:
    """Slow loris: headers promise a body that trickles in; the server answers 408 instead of waiting."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SIGHTLINE_PORT": str(port),
        "SIGHTLINE_LOG_LEVEL": "ERROR",
        "SIGHTLINE_WORKER_IN_PROCESS": "false",
        "SIGHTLINE_BODY_TIMEOUT_SECONDS": "1",
    }
    process = subprocess.Popen(
        [str(os.path.join(os.path.dirname(sys.executable), "sightline")), "serve"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(150):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        with socket.create_connection(("127.0.0.1", port)) as conn:
            conn.sendall(
                b"POST /api/v1/signup HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b'Content-Length: 200\r\n\r\n{"organisation_name"'
            )
            conn.settimeout(10)
            started = time.monotonic()
            answer = ""
            while "request-timeout" not in answer:  # headers and body may arrive in separate packets
                chunk = conn.recv(4096).decode()
                if not chunk:
                    break
                answer += chunk
            assert time.monotonic() - started < 5
        assert answer.startswith("HTTP/1.1 408")
        assert "request-timeout" in answer
        # the server is still fine afterwards
        assert (
            httpx.post(
                f"http://127.0.0.1:{port}/api/v1/signup",
                json={
                    "organisation_name": "After",
                    "name": "A",
                    "email": f"{uuid.uuid4().hex[:8]}@example.test",
                    "password": PASSWORD,
                },
            ).status_code
            == 201
        )
    finally:
        process.terminate()
        process.wait(timeout=20)
