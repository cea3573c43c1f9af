"""Trying a source before saving it (POST /integrations/preview): the value or the failure, nothing recorded."""

from __future__ import annotations

from typing import Any

import asyncpg
from fastapi import FastAPI
from tests.integrations.conftest import SourceServer
from tests.integrations.support import check_ins_of, http_integration, key_result
from tests.integrations.test_sql_source import crm_database, sql_fetchers  # noqa: F401 (fixtures)
from tests.support import FixedClock, Tenant, create
from tests.webhook_receiver import Reply

from sightline.integrations.runs import Fetchers
from sightline.url_guard import UrlPolicy

PREVIEW = "/api/v1/integrations/preview"


async def _nothing_recorded(tenant: Tenant, connection: asyncpg.Connection, kr: dict[str, Any]) -> None:
    assert await check_ins_of(connection, kr["id"]) == []
    read = (await tenant.client.get(f"/api/v1/key-results/{kr['id']}")).json()
    assert (read["data_source"], read["data_source_status"], read["current_value"]) == ("manual", None, 0)
    assert (await tenant.client.get("/api/v1/integrations")).json()["items"] == []
    events = (await tenant.client.get("/api/v1/events", params={"type": "check_in.created"})).json()["items"]
    assert events == []


async def test_a_json_and_a_csv_source_are_tried_without_recording_anything(
    tenant: Tenant,
    clock: FixedClock,
    source: SourceServer,
    fetchers: Fetchers,
    owner_connection: asyncpg.Connection,
) -> None:
    kr = await key_result(tenant.client)
    source.answer_json(b'{"data": {"pipeline": "9,400"}}')
    body = {
        "key_result_id": kr["id"],
        "source": {"kind": "http", "url": f"{source.base}/report", "json_path": "$.data.pipeline"},
    }
    tried = await tenant.client.post(PREVIEW, json=body)
    assert tried.status_code == 200, tried.text
    assert tried.json() | {"duration_ms": 0} == {
        "ok": True,
        "value": 9400,
        "error": None,
        "duration_ms": 0,
        "current_value": None,
        "would_skip": None,
    }
    assert [r.path for r in source.received] == ["/report"]  # the source was really read
    # A path that matches nothing: the error a run would record, still nothing written.
    wrong = await tenant.client.post(
        PREVIEW, json={**body, "source": {**body["source"], "json_path": "$.data.missing"}}
    )
    assert wrong.status_code == 200
    assert wrong.json()["ok"] is False and wrong.json()["value"] is None
    assert wrong.json()["error"] == "the JSONPath $.data.missing matched nothing in the answer"
    # A CSV with a secret header, the row picked by a matching cell.
    source.answer(Reply(200, b"Month,MQLs\n2026-05,31\n2026-06,44\n", {"content-type": "text/csv"}))
    csv_body = {
        "key_result_id": kr["id"],
        "source": {
            "kind": "http",
            "format": "csv",
            "url": f"{source.base}/sheet.csv",
            "csv_column": "MQLs",
            "csv_match_column": "Month",
            "csv_match_value": "2026-05",
            "headers": {"Authorization": "Bearer sheet-token"},
        },
    }
    csv_tried = (await tenant.client.post(PREVIEW, json=csv_body)).json()
    assert (csv_tried["ok"], csv_tried["value"]) == (True, 31)
    assert source.received[-1].headers["authorization"] == "Bearer sheet-token"
    await _nothing_recorded(tenant, owner_connection, kr)


async def test_an_edit_is_tried_with_the_saved_headers_and_reports_what_a_run_would_skip(
    tenant: Tenant, clock: FixedClock, source: SourceServer, fetchers: Fetchers, owner_connection: asyncpg.Connection
) -> None:
    kr = await key_result(tenant.client)
    await create(tenant.client, "/api/v1/check-ins", {"key_result_id": kr["id"], "value": 7000, "confidence": 6})
    source.answer_json(b'{"data": {"pipeline": 9500}}')
    integration = await http_integration(
        tenant.client, kr, f"{source.base}/v1", headers={"Authorization": "Bearer saved"}
    )
    body = {
        "key_result_id": kr["id"],
        "integration_id": integration["id"],
        "source": {"kind": "http", "url": f"{source.base}/v2", "json_path": "$.data.pipeline"},
    }
    tried = (await tenant.client.post(PREVIEW, json=body)).json()
    assert (tried["ok"], tried["value"], tried["current_value"]) == (True, 9500, 7000)
    assert source.received[-1].path == "/v2"
    assert source.received[-1].headers["authorization"] == "Bearer saved"
    assert len(await check_ins_of(owner_connection, kr["id"])) == 1
    # The cycle has not started yet at the preview's moment: the value is shown, and the run would be skipped.
    clock.set("2025-12-01T12:00:00+00:00")
    early = (await tenant.client.post(PREVIEW, json=body)).json()
    assert early["value"] == 9500 and "outside the cycle" in early["would_skip"]
    runs = (await tenant.client.get(f"/api/v1/integrations/{integration['id']}/runs")).json()["items"]
    assert runs == []  # previews are not runs


async def test_a_preview_is_checked_like_a_save(
    app: FastAPI, tenant: Tenant, source: SourceServer, fetchers: Fetchers
) -> None:
    kr = await key_result(tenant.client)
    http = {"kind": "http", "url": f"{source.base}/r"}
    cases = [
        ({**http}, ["body", "source", "json_path"]),
        ({**http, "json_path": "$[[["}, ["body", "source", "json_path"]),
        ({**http, "format": "csv"}, ["body", "source", "csv_column"]),
        # Schema errors inside the source name its kind, as on POST /integrations.
        ({**http, "url": "ftp://example.com/x", "json_path": "$.a"}, ["body", "source", "http", "url"]),
    ]
    for source_body, loc in cases:
        response = await tenant.client.post(PREVIEW, json={"key_result_id": kr["id"], "source": source_body})
        assert response.status_code == 422, source_body
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["errors"][0]["loc"] == loc, response.text
    # The operator's URL rules: a loopback source is refused before any request leaves.
    saved = app.state.webhook_policy
    app.state.webhook_policy = UrlPolicy(allow_http=True)
    try:
        refused = await tenant.client.post(
            PREVIEW, json={"key_result_id": kr["id"], "source": {**http, "json_path": "$.a"}}
        )
        assert refused.status_code == 422
        assert refused.json()["errors"][0]["loc"] == ["body", "source", "url"]
        assert "loopback" in refused.json()["errors"][0]["message"]
    finally:
        app.state.webhook_policy = saved
    assert source.received == []
    unknown = {"key_result_id": "00000000-0000-4000-8000-000000000000", "source": {**http, "json_path": "$.a"}}
    assert (await tenant.client.post(PREVIEW, json=unknown)).status_code == 404
    sql = {"kind": "sql", "connection_id": "00000000-0000-4000-8000-000000000000", "query": "SELECT 1"}
    assert (await tenant.client.post(PREVIEW, json={"key_result_id": kr["id"], "source": sql})).status_code == 404
    member, _ = await tenant.member_client(app, "member")
    body = {"key_result_id": kr["id"], "source": {**http, "json_path": "$.a"}}
    assert (await member.post(PREVIEW, json=body)).status_code == 403
    assert source.received == []


async def test_a_sql_source_is_tried_read_only_with_the_cycle_bounds(
    tenant: Tenant,
    clock: FixedClock,
    crm_database: str,  # noqa: F811
    sql_fetchers: Fetchers,  # noqa: F811
    owner_connection: asyncpg.Connection,
) -> None:
    connection = await create(
        tenant.client, "/api/v1/sql-connections", {"name": "CRM", "dsn": crm_database, "allow_weak_tls": True}
    )
    kr = await key_result(tenant.client, title="MQLs this year", target=40)
    query = "SELECT count(*) FROM leads WHERE stage = 'MQL' AND became_mql_at >= $2 AND became_mql_at < $1"
    body = {"key_result_id": kr["id"], "source": {"kind": "sql", "connection_id": connection["id"], "query": query}}
    tried = (await tenant.client.post(PREVIEW, json=body)).json()
    assert (tried["ok"], tried["value"], tried["error"]) == (True, 4, None)
    writing = {**body, "source": {**body["source"], "query": "DELETE FROM leads RETURNING 1"}}
    refused = (await tenant.client.post(PREVIEW, json=writing)).json()
    assert refused["ok"] is False and refused["error"]
    assert await check_ins_of(owner_connection, kr["id"]) == []
    again = (await tenant.client.post(PREVIEW, json=body)).json()
    assert again["value"] == 4  # the refused DELETE removed nothing
