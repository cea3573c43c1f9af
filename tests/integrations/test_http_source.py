"""HTTP sources against a real local server: scheduled pulls become ordinary check-ins, failures are visible."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import asyncpg
import orjson
from fastapi import FastAPI
from tests.integrations.conftest import SourceServer, make_fetchers
from tests.integrations.support import check_ins_of, http_integration, key_result, runs_of
from tests.support import FixedClock, StatementCounter, Tenant, create
from tests.webhook_receiver import LocalReceiver, Reply

from sightline.integrations.runs import Fetchers
from sightline.integrations.scheduler import pull_due
from sightline.url_guard import UrlPolicy


async def test_the_worker_pulls_a_json_value_on_schedule_into_an_ordinary_check_in(
    app: FastAPI,
    tenant: Tenant,
    clock: FixedClock,
    source: SourceServer,
    fetchers: Fetchers,
    owner_connection: asyncpg.Connection,
) -> None:
    factory = app.state.session_factory
    kr = await key_result(tenant.client)
    await create(tenant.client, "/api/v1/check-ins", {"key_result_id": kr["id"], "value": 9000, "confidence": 6})
    source.answer_json(b'{"data": {"pipeline": 9400, "won": 12}}')
    integration = await http_integration(tenant.client, kr, f"{source.base}/report")
    name = integration["name"]

    assert await pull_due(factory, fetchers, now=clock.now) == 1
    rows = await check_ins_of(owner_connection, kr["id"])
    assert [(r["value"], r["source"]) for r in rows] == [(9000, "manual"), (9400, name)]
    pulled = rows[-1]
    assert pulled["actor"] == f"integration:{integration['id']}"
    assert pulled["confidence"] == 6  # the latest confidence carries over
    read = (await tenant.client.get(f"/api/v1/key-results/{kr['id']}")).json()
    assert (read["current_value"], read["data_source"], read["data_source_status"]) == (9400, name, "ok")
    events = (await tenant.client.get("/api/v1/events", params={"type": "check_in.created"})).json()["items"]
    assert [e["after"]["source"] for e in events] == ["manual", name]  # an ordinary check-in, with its event

    # Not due again before its daily schedule says so.
    assert await pull_due(factory, fetchers, now=clock.now + timedelta(hours=23)) == 0
    # A day later the same value: the run is logged, no second check-in in the same period.
    clock.now += timedelta(days=1)
    assert await pull_due(factory, fetchers, now=clock.now) == 1
    assert len(await check_ins_of(owner_connection, kr["id"])) == 2
    # A new value is recorded.
    source.answer_json(b'{"data": {"pipeline": 9500}}')
    clock.now += timedelta(days=1)
    assert await pull_due(factory, fetchers, now=clock.now) == 1
    # The same value again, but in the key result's next (monthly) period: recorded once for that period.
    clock.now += timedelta(days=30)
    assert await pull_due(factory, fetchers, now=clock.now) == 1
    assert [r["value"] for r in await check_ins_of(owner_connection, kr["id"])] == [9000, 9400, 9500, 9500]
    runs = await runs_of(tenant.client, integration["id"])
    assert [(r["outcome"], r["value"], r["trigger"]) for r in runs] == [
        ("recorded", 9500, "schedule"),
        ("recorded", 9500, "schedule"),
        ("unchanged", 9400, "schedule"),
        ("recorded", 9400, "schedule"),
    ]
    assert all(r["error"] is None for r in runs)
    assert len(source.received) == 4 and source.received[0].path == "/report"
    stored = (await tenant.client.get(f"/api/v1/integrations/{integration['id']}")).json()
    assert stored["status"] == "ok" and stored["last_value"] == 9500
    assert datetime.fromisoformat(stored["next_run_at"]) == clock.now + timedelta(days=1)


async def test_failures_are_recorded_visibly_and_back_off(
    app: FastAPI, tenant: Tenant, clock: FixedClock, source: SourceServer, fetchers: Fetchers
) -> None:
    factory = app.state.session_factory
    kr = await key_result(tenant.client)
    integration = await http_integration(tenant.client, kr, f"{source.base}/report")
    url = f"/api/v1/integrations/{integration['id']}"

    source.answer_json(b'{"error": "database unavailable"}', status=500)
    assert await pull_due(factory, fetchers, now=clock.now) == 1
    failed = (await tenant.client.get(url)).json()
    assert failed["status"] == "failing" and failed["consecutive_failures"] == 1
    assert failed["last_error"].startswith("the source answered HTTP 500")
    read = (await tenant.client.get(f"/api/v1/key-results/{kr['id']}")).json()
    assert read["data_source_status"] == "failing" and "HTTP 500" in read["data_source_error"]
    assert read["current_value"] == 0  # nothing was recorded

    # Second failure: the path finds nothing in the answer; the wait doubles.
    clock.now += timedelta(days=1)
    source.answer_json(b'{"data": {"leads": 3}}')
    assert await pull_due(factory, fetchers, now=clock.now) == 1
    failed = (await tenant.client.get(url)).json()
    assert failed["consecutive_failures"] == 2
    assert failed["last_error"] == "the JSONPath $.data.pipeline matched nothing in the answer"
    assert failed["failing_since"] is not None
    assert await pull_due(factory, fetchers, now=clock.now + timedelta(days=1, hours=12)) == 0  # backing off
    clock.now += timedelta(days=2)

    source.answer_json(b'{"data": {"pipeline": 7}}')
    assert await pull_due(factory, fetchers, now=clock.now) == 1
    recovered = (await tenant.client.get(url)).json()
    assert (recovered["status"], recovered["consecutive_failures"], recovered["last_error"]) == ("ok", 0, None)
    assert (await tenant.client.get(f"/api/v1/key-results/{kr['id']}")).json()["data_source_status"] == "ok"
    runs = await runs_of(tenant.client, integration["id"])
    assert [r["outcome"] for r in runs] == ["recorded", "failed", "failed"]
    assert "HTTP 500" in runs[2]["error"] and "matched nothing" in runs[1]["error"]
    events = (await tenant.client.get("/api/v1/events", params={"type": "integration.*"})).json()["items"]
    assert [e["type"] for e in events] == ["integration.created", "integration.failing", "integration.recovered"]


async def test_a_private_or_loopback_source_is_refused_unless_the_operator_allows_it(
    app: FastAPI, tenant: Tenant, clock: FixedClock, source: SourceServer, fetchers: Fetchers
) -> None:
    kr = await key_result(tenant.client)
    source.answer_json(b'{"data": {"pipeline": 5}}')
    body = {"name": "internal", "key_result_id": kr["id"], "source": {"kind": "http", "json_path": "$.data.pipeline"}}
    saved = app.state.webhook_policy
    app.state.webhook_policy = UrlPolicy(allow_http=True)  # the default rules (plus plain http)
    try:
        for url, reason in ((f"{source.base}/r", "loopback"), ("http://10.20.30.40/r", "private")):
            refused = await tenant.client.post(
                "/api/v1/integrations", json={**body, "source": {**body["source"], "url": url}}
            )
            assert refused.status_code == 422, refused.text
            assert refused.json()["errors"][0]["loc"] == ["body", "source", "url"]
            assert reason in refused.json()["errors"][0]["message"]
    finally:
        app.state.webhook_policy = saved
    # Saved while allowed, then read by a worker whose operator allows nothing internal: refused on connect.
    integration = await http_integration(tenant.client, kr, f"{source.base}/r")
    strict = make_fetchers(app, UrlPolicy(allow_http=True))
    try:
        assert await pull_due(app.state.session_factory, strict, now=clock.now) == 1
    finally:
        await strict.aclose()
    [run] = await runs_of(tenant.client, integration["id"])
    assert run["outcome"] == "failed"
    assert run["error"] == "refused: 127.0.0.1 is not a public address (loopback)"
    assert source.received == []  # not a single request left the guard
    # Allowed by the operator (127.0.0.1): the same integration works.
    ran = await tenant.client.post(f"/api/v1/integrations/{integration['id']}/run")
    assert ran.status_code == 200 and ran.json()["outcome"] == "recorded" and ran.json()["value"] == 5


async def test_a_published_spreadsheet_csv_with_secret_headers_sent_only_to_its_own_origin(
    app: FastAPI,
    tenant: Tenant,
    clock: FixedClock,
    source: SourceServer,
    fetchers: Fetchers,
    owner_connection: asyncpg.Connection,
) -> None:
    csv = 'Month,MQLs,Spend\n2026-05,"1,180",€3000\n2026-06,1350,€3100\n'.encode()
    elsewhere = LocalReceiver(lambda _: _reply_csv(csv))
    await elsewhere.start()
    try:
        # The published URL redirects to a file server on another origin, as spreadsheet services do.
        source.answer(Reply(307, b"", {"location": f"http://127.0.0.1:{elsewhere.port}/export.csv"}))
        kr = await key_result(tenant.client)
        integration = await http_integration(
            tenant.client,
            kr,
            f"{source.base}/pub?output=csv",
            format="csv",
            csv_column="MQLs",
            headers={"Authorization": "Bearer sheet-s3cret"},
        )
        assert integration["source"]["header_names"] == ["Authorization"]
        assert "sheet-s3cret" not in (await tenant.client.get(f"/api/v1/integrations/{integration['id']}")).text
        stored = await owner_connection.fetchval(
            "SELECT headers_encrypted FROM integrations WHERE id = $1", uuid.UUID(integration["id"])
        )
        assert stored and "sheet-s3cret" not in stored
        assert orjson.loads(app.state.secret_box.decrypt(stored)) == {"Authorization": "Bearer sheet-s3cret"}

        ran = (await tenant.client.post(f"/api/v1/integrations/{integration['id']}/run")).json()
        assert (ran["outcome"], ran["value"], ran["trigger"]) == ("recorded", 1350, "manual")
        assert source.received[0].headers["authorization"] == "Bearer sheet-s3cret"
        assert "authorization" not in elsewhere.received[0].headers  # never sent to another origin
        # The row where Month is 2026-05, written as a spreadsheet shows it.
        patched = await tenant.client.patch(
            f"/api/v1/integrations/{integration['id']}",
            json={
                "source": {
                    "kind": "http",
                    "url": f"{source.base}/pub?output=csv",
                    "format": "csv",
                    "csv_column": "MQLs",
                    "csv_match_column": "Month",
                    "csv_match_value": "2026-05",
                }
            },
        )
        assert patched.status_code == 200, patched.text
        assert patched.json()["source"]["header_names"] == ["Authorization"]  # omitted: kept
        ran = (await tenant.client.post(f"/api/v1/integrations/{integration['id']}/run")).json()
        assert (ran["outcome"], ran["value"]) == ("recorded", 1180)
        assert [r["value"] for r in await check_ins_of(owner_connection, kr["id"])] == [1350, 1180]
    finally:
        await elsewhere.stop()


async def _reply_csv(body: bytes) -> Reply:
    return Reply(200, body, {"content-type": "text/csv"})


async def test_integrations_are_admin_only_and_checked_before_saving(
    app: FastAPI, tenant: Tenant, fetchers: Fetchers
) -> None:
    kr = await key_result(tenant.client)
    member, _ = await tenant.member_client(app, "member")
    http = {"kind": "http", "url": "http://127.0.0.1:9/x"}
    body = {"name": "crm", "key_result_id": kr["id"], "source": {**http, "json_path": "$.total"}}
    assert (await member.post("/api/v1/integrations", json=body)).status_code == 403
    assert (await member.get("/api/v1/integrations")).status_code == 403
    cases = [
        ({**http}, ["body", "source", "json_path"]),
        ({**http, "json_path": "$[[["}, ["body", "source", "json_path"]),
        ({**http, "format": "csv"}, ["body", "source", "csv_column"]),
        (
            {**http, "format": "csv", "csv_column": "A", "csv_row": 2, "csv_match_column": "B", "csv_match_value": "x"},
            ["body", "source", "csv_row"],
        ),
        ({**http, "csv_column": "A", "json_path": "$.a"}, ["body", "source", "csv_column"]),
    ]
    for source_body, loc in cases:
        response = await tenant.client.post("/api/v1/integrations", json={**body, "source": source_body})
        assert response.status_code == 422, source_body
        assert response.json()["errors"][0]["loc"] == loc, response.text
    other = {**body, "source": {"kind": "sql", "connection_id": str(uuid.uuid4()), "query": "SELECT 1"}}
    assert (await tenant.client.post("/api/v1/integrations", json=other)).status_code == 404
    created = await create(tenant.client, "/api/v1/integrations", body)
    assert created["status"] == "pending"
    again = await tenant.client.post("/api/v1/integrations", json={**body, "name": "crm-2"})
    assert again.status_code == 409 and "crm" in again.json()["detail"]
    kr2 = await key_result(tenant.client, title="Second")
    assert (
        await tenant.client.post("/api/v1/integrations", json={**body, "key_result_id": kr2["id"]})
    ).status_code == 409
    # Deleting gives the key result back to manual check-ins.
    assert (await tenant.client.delete(f"/api/v1/integrations/{created['id']}")).status_code == 204
    read = (await tenant.client.get(f"/api/v1/key-results/{kr['id']}")).json()
    assert (read["data_source"], read["data_source_status"]) == ("manual", None)


async def test_lists_and_run_logs_take_a_bounded_number_of_statements(
    app: FastAPI, tenant: Tenant, clock: FixedClock, source: SourceServer, fetchers: Fetchers
) -> None:
    source.answer_json(b'{"data": {"pipeline": 1}}')
    krs = [await key_result(tenant.client, title=f"KR {i}") for i in range(4)]
    integrations = [await http_integration(tenant.client, kr, f"{source.base}/r") for kr in krs]

    async def statements(path: str) -> int:
        with StatementCounter(app) as counter:
            assert (await tenant.client.get(path)).status_code == 200
        return counter.count

    one_run = f"/api/v1/integrations/{integrations[0]['id']}/runs"
    await tenant.client.post(f"/api/v1/integrations/{integrations[0]['id']}/run")
    small = await statements(one_run)
    for n in range(4):
        source.answer_json(orjson.dumps({"data": {"pipeline": n + 2}}))
        await tenant.client.post(f"/api/v1/integrations/{integrations[0]['id']}/run")
    assert len(await runs_of(tenant.client, integrations[0]["id"])) == 5
    assert await statements(one_run) == small
    assert await statements("/api/v1/integrations?limit=1") == await statements("/api/v1/integrations")
    failing = await tenant.client.get("/api/v1/integrations", params={"status": "ok"})
    assert [i["id"] for i in failing.json()["items"]] == [integrations[0]["id"]]
