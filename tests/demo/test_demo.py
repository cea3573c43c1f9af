"""The demo organisation: loaded once through the services, signed in with its printed credentials.

`sightline demo` prints the sign-in (URL, email, password) on stdout; progress messages go to stderr.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from tests.support import SIGHTLINE, free_port, make_client

from sightline.demo import SEED_TITLE, DemoCredentials, load_demo
from sightline.scoring import Direction, Metric, score

TODAY = date(2026, 11, 23)


@pytest.fixture(scope="module")
async def demo(app: FastAPI) -> DemoCredentials:
    return await load_demo(app.state.session_factory, today=TODAY)


@pytest.fixture
async def signed_in(app: FastAPI, demo: DemoCredentials) -> AsyncIterator[httpx.AsyncClient]:
    """A client signed in with the credentials the loader returned."""
    async with make_client(app) as client:
        login = await client.post(
            "/api/v1/auth/login",
            json={"email": demo.email, "password": demo.password, "organisation_id": str(demo.organisation_id)},
        )
        assert login.status_code == 200, login.text
        assert login.json()["organisation"]["name"] == "Northwind Marketing"
        yield client


async def test_seed_key_result_reads_as_the_worked_example(signed_in: httpx.AsyncClient, demo: DemoCredentials) -> None:
    kr = (await signed_in.get(f"/api/v1/key-results/{demo.seed_key_result_id}")).json()
    assert kr["title"] == SEED_TITLE
    assert (kr["target_value"], kr["stretch_value"], kr["previous_value"]) == (18000, 24000, 12000)
    assert kr["start_value"] == 0
    assert (kr["cadence"], kr["unit"], kr["external_key"]) == ("monthly", "leads", "crm:mqls")
    assert 0 < kr["current_value"] < 18000
    current = kr["current_value"]
    expected = score(
        metric=Metric.number, direction=Direction.increase, start=0, target=18000, stretch=24000, current=current
    )
    assert kr["score"] == pytest.approx(expected)

    history = (await signed_in.get(f"/api/v1/key-results/{kr['id']}/check-ins", params={"limit": 100})).json()
    moments = [datetime.fromisoformat(c["checked_in_at"]) for c in history["items"]]
    assert len(moments) >= 6
    assert (max(moments) - min(moments)).days >= 150  # May to November: monthly history
    assert max(moments).date() < TODAY
    values = [c["value"] for c in history["items"]]
    assert values == sorted(values)  # a running total of leads


async def test_loading_again_returns_the_same_organisation(
    app: FastAPI, demo: DemoCredentials, owner_connection: asyncpg.Connection
) -> None:
    again = await load_demo(app.state.session_factory, today=TODAY)
    assert again == demo
    assert await owner_connection.fetchval("SELECT count(*) FROM orgs WHERE name = 'Northwind Marketing'") == 1


async def test_demo_covers_every_metric_direction_and_a_mix_of_statuses(
    demo: DemoCredentials, owner_connection: asyncpg.Connection
) -> None:
    org = demo.organisation_id
    assert await owner_connection.fetchval("SELECT count(*) FROM objectives WHERE org_id = $1", org) >= 12
    levels = await owner_connection.fetchval("SELECT array_agg(DISTINCT level) FROM objectives WHERE org_id = $1", org)
    assert set(levels) == {"company", "team", "individual"}
    krs = await owner_connection.fetchrow(
        """SELECT count(*) AS total,
                  count(*) FILTER (WHERE stretch_value IS NOT NULL) AS stretched,
                  count(*) FILTER (WHERE previous_value IS NOT NULL) AS with_previous,
                  count(*) FILTER (WHERE milestone_plan <> '[]') AS planned,
                  count(*) FILTER (WHERE external_key IS NOT NULL AND data_source <> 'manual') AS fed,
                  count(*) FILTER (WHERE last_check_in_at < $2) AS silent_for_six_weeks,
                  array_agg(DISTINCT metric) AS metrics,
                  array_agg(DISTINCT direction) AS directions,
                  array_agg(DISTINCT status) AS statuses
           FROM key_results WHERE org_id = $1""",
        org,
        datetime(2026, 10, 12, tzinfo=UTC),
    )
    assert krs["total"] >= 30
    assert min(krs["stretched"], krs["with_previous"], krs["planned"], krs["fed"], krs["silent_for_six_weeks"]) >= 1
    assert set(krs["metrics"]) == {"number", "percent", "currency", "milestone"}
    assert set(krs["directions"]) == {"increase", "decrease", "at_least", "at_most"}
    assert len(set(krs["statuses"])) >= 3
    assert {"on_track", "done"} <= set(krs["statuses"])


async def test_history_has_one_correction_one_late_import_and_nothing_in_the_future(
    demo: DemoCredentials, owner_connection: asyncpg.Connection
) -> None:
    org = demo.organisation_id
    corrections = await owner_connection.fetch(
        "SELECT reason, backdated FROM check_ins WHERE org_id = $1 AND corrects IS NOT NULL", org
    )
    assert len(corrections) == 1
    assert corrections[0]["reason"]
    backdated = await owner_connection.fetch(
        "SELECT source, created_at - checked_in_at AS late FROM check_ins WHERE org_id = $1 AND backdated", org
    )
    assert len(backdated) >= 1
    assert all(r["source"] == "import" and r["late"].days >= 14 for r in backdated)
    total, last = await owner_connection.fetchrow(
        "SELECT count(*), max(created_at) FROM check_ins WHERE org_id = $1", org
    )
    assert total >= 300
    assert last.date() < TODAY


@pytest.mark.slow
def test_sightline_demo_serves_the_demo_and_prints_its_sign_in(tmp_path: Path) -> None:
    port, output = free_port(), tmp_path / "stdout.txt"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SIGHTLINE_DATABASE_URL")}
    env.update(SIGHTLINE_DATA_DIR=str(tmp_path / "data"), SIGHTLINE_PORT=str(port), SIGHTLINE_LOG_LEVEL="WARNING")
    with output.open("wb") as stdout, (tmp_path / "stderr.txt").open("wb") as stderr:
        process = subprocess.Popen([SIGHTLINE, "demo"], env=env, stdout=stdout, stderr=stderr)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, (tmp_path / "stderr.txt").read_text()
            assert time.monotonic() < deadline, "not ready within 60 s"
            try:
                if httpx.get(f"{base}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        printed = output.read_text()
        assert base in printed
        email = re.search(r"email:\s+(\S+)", printed)
        password = re.search(r"password:\s+(\S+)", printed)
        assert email and password, printed
        with httpx.Client(base_url=base) as client:
            login = client.post("/api/v1/auth/login", json={"email": email[1], "password": password[1]})
            assert login.status_code == 200, login.text
            listed = client.get("/api/v1/key-results", params={"limit": 100}).json()["items"]
            seed = next(kr for kr in listed if kr["title"] == SEED_TITLE)
            assert seed["target_value"] == 18000
            assert 0 < seed["score"] <= 1
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def test_demo_has_comments_with_mentions_their_notifications_and_the_mail_in_the_delivery_log(
    signed_in: httpx.AsyncClient, demo: DemoCredentials, owner_connection: asyncpg.Connection
) -> None:
    org = demo.organisation_id
    comments = await owner_connection.fetchrow(
        "SELECT count(*) AS total, count(*) FILTER (WHERE parent_id IS NOT NULL) AS replies,"
        " max(created_at) AS last FROM comments WHERE org_id = $1",
        org,
    )
    assert comments["total"] >= 4 and comments["replies"] >= 2 and comments["last"].date() < TODAY
    mentioned = await owner_connection.fetchval(
        "SELECT count(*) FROM notifications WHERE org_id = $1 AND kind = 'mentioned'", org
    )
    assert mentioned >= 4
    log = (await signed_in.get("/api/v1/mail/messages", params={"limit": 200})).json()["items"]
    mentions = [m for m in log if m["kind"] == "notification.mentioned"]
    assert len(mentions) == mentioned  # the default channel of a mention is email
    assert all(m["status"] == "logged" and m["body_text"] and m["to"].endswith("@northwind.example") for m in mentions)
    assert any("mentioned you" in m["subject"] for m in mentions)


async def test_demo_plans_the_next_quarter_with_carried_drafts_kpis_and_a_template(
    signed_in: httpx.AsyncClient, demo: DemoCredentials
) -> None:
    cycles = (await signed_in.get("/api/v1/cycles", params={"limit": 100})).json()["items"]
    by_name = {c["name"]: c for c in cycles}
    closed, upcoming = by_name["FY2026-Q2"], by_name["FY2026-Q4"]
    assert (closed["state"], upcoming["state"]) == ("closed", "planning")
    drafts = (await signed_in.get("/api/v1/objectives", params={"cycle_id": upcoming["id"], "limit": 100})).json()
    assert [o["title"] for o in drafts["items"]] == ["Launch Route Planner 2.0 with a bang"]
    draft = drafts["items"][0]
    assert draft["state"] == "draft" and draft["carried_from"] is not None
    original = (await signed_in.get(f"/api/v1/objectives/{draft['carried_from']}")).json()
    reached = {kr["title"]: kr["current_value"] for kr in original["key_results"]}
    assert len(draft["key_results"]) == 3
    for kr in draft["key_results"]:
        assert kr["carried_from"] is not None and kr["previous_value"] == reached[kr["title"]]

    kpis = (await signed_in.get("/api/v1/kpis")).json()["items"]
    assert len(kpis) == 5 and {"Marketing-sourced pipeline", "Website conversion rate"} <= {k["name"] for k in kpis}
    assert len({k["status"] for k in kpis}) >= 2  # not all healthy
    for kpi in kpis:
        values = (await signed_in.get(f"/api/v1/kpis/{kpi['id']}/values", params={"limit": 100})).json()["items"]
        moments = [datetime.fromisoformat(v["recorded_at"]) for v in values]
        assert len(values) == 12 and (max(moments) - min(moments)).days >= 330 and max(moments).date() < TODAY
    website = next(k for k in kpis if k["name"] == "Website conversion rate")
    followers = [kr for kr in draft["key_results"] if kr["follows_kpi_id"] == website["id"]]
    assert [kr["title"] for kr in followers] == ["Launch page conversion rate"]

    own = (await signed_in.get("/api/v1/templates", params={"source": "organisation"})).json()["items"]
    assert [(t["title"], t["category"], len(t["key_results"])) for t in own] == [
        ("Product launch", "product_marketing", 3)
    ]
