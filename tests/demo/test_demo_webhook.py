"""Issue 15, point 17: `sightline demo` loads a webhook endpoint whose delivery log shows real deliveries.

A real `sightline demo` on a free port and a database of its own: the endpoint points at the demo's own
receiver on that port, the deliveries queued while loading succeed once the service is up (the receiver
answers 2xx only to a valid Standard Webhooks signature, which this test checks with the official library),
and a second start on another port moves the endpoint there.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from standardwebhooks.webhooks import Webhook
from tests.demo.conftest import FreshDatabase
from tests.support import SIGHTLINE, free_port

from sightline.demo import WEBHOOK_DESCRIPTION, WEBHOOK_EVENTS
from sightline.webhooks.demo_receiver import RECEIVER_PATH
from sightline.webhooks.signing import new_secret


@contextmanager
def _demo(app_url: str, owner_url: str, port: int, tmp_path: Path) -> Iterator[str]:
    """`sightline demo` on `port` with an external database and its dispatcher in-process; yields its stdout."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SIGHTLINE_DATABASE_URL")}
    env.update(
        DATABASE_URL=app_url,
        SIGHTLINE_MIGRATION_DATABASE_URL=owner_url,
        SIGHTLINE_DATA_DIR=str(tmp_path / "data"),
        SIGHTLINE_PORT=str(port),
        SIGHTLINE_WORKER_IN_PROCESS="true",  # the suite turns it off; the demo's deliveries need the dispatcher
        SIGHTLINE_BUILD_CLIENT="false",
        SIGHTLINE_LOG_LEVEL="WARNING",
    )
    stdout, stderr = tmp_path / f"stdout-{port}.txt", tmp_path / f"stderr-{port}.txt"
    with stdout.open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen([SIGHTLINE, "demo"], env=env, stdout=out, stderr=err)
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, stderr.read_text()
            assert time.monotonic() < deadline, "not ready within 120 s"
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        yield stdout.read_text()
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def _sign_in(base: str, printed: str) -> Iterator[httpx.Client]:
    email, password = re.search(r"email:\s+(\S+)", printed), re.search(r"password:\s+(\S+)", printed)
    assert email and password, printed
    with httpx.Client(base_url=base, timeout=30) as client:
        login = client.post("/api/v1/auth/login", json={"email": email[1], "password": password[1]})
        assert login.status_code == 200, login.text
        yield client


def _deliveries(client: httpx.Client, endpoint_id: str) -> list[dict[str, Any]]:
    page = client.get(f"/api/v1/webhook-endpoints/{endpoint_id}/deliveries", params={"limit": 100})
    assert page.status_code == 200, page.text
    items: list[dict[str, Any]] = page.json()["items"]
    return items


def _settled(client: httpx.Client, endpoint_id: str, *, within: float = 60) -> list[dict[str, Any]]:
    """The delivery log once nothing in it is pending any more."""
    deadline = time.monotonic() + within
    while True:
        log = _deliveries(client, endpoint_id)
        if log and all(d["status"] not in ("pending", "paused") for d in log):
            return log
        assert time.monotonic() < deadline, f"still pending after {within} s: {log[:3]}"
        time.sleep(0.5)


@pytest.mark.slow
async def test_the_demo_delivers_its_webhooks_to_its_own_receiver(
    fresh_database: FreshDatabase, tmp_path: Path
) -> None:
    database = await fresh_database("webhook")
    await asyncio.to_thread(_check_the_demo, database.app, database.owner, tmp_path)


def _check_the_demo(app_url: str, owner_url: str, tmp_path: Path) -> None:
    port = free_port()
    base, receiver = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{port}{RECEIVER_PATH}"
    with _demo(app_url, owner_url, port, tmp_path) as printed, _sign_in(base, printed) as client:
        assert receiver in printed
        endpoints = client.get("/api/v1/webhook-endpoints").json()["items"]
        assert len(endpoints) == 1
        endpoint = endpoints[0]
        assert (endpoint["url"], endpoint["description"]) == (receiver, WEBHOOK_DESCRIPTION)
        assert endpoint["event_types"] == WEBHOOK_EVENTS and endpoint["enabled"]

        # The week's events queued while loading are delivered once the service is up, each at the first attempt
        # (the port listened before the dispatcher started), and the receiver accepted each signature.
        log = _settled(client, endpoint["id"])
        assert len(log) >= 5
        assert {d["event_type"] for d in log} >= {"check_in.created"}
        for delivery in log:
            assert delivery["status"] == "succeeded", delivery
            assert 200 <= delivery["response_status"] < 300 and delivery["attempts"] == 1, delivery
            assert json.loads(delivery["response_excerpt"]) == {
                "received": delivery["event_id"],
                "signature": "verified",
            }
        assert min(datetime.fromisoformat(d["created_at"]) for d in log) < datetime.now(UTC) - timedelta(days=1)

        # The receiver answers 2xx only to a valid signature by the endpoint's secret (the official library signs).
        secret = client.get(f"/api/v1/webhook-endpoints/{endpoint['id']}/secret").json()["secret"]
        body = json.dumps({"type": "webhook.ping", "data": {}})
        now = datetime.now(UTC)

        def post(key: str, at: datetime) -> httpx.Response:
            signature = Webhook(key).sign("msg_test", at, body)
            headers = {"webhook-id": "msg_test", "webhook-timestamp": str(int(at.timestamp()))}
            return httpx.post(receiver, content=body, headers={**headers, "webhook-signature": signature})

        assert post(secret, now).status_code == 200
        assert post(new_secret(), now).status_code == 401  # another secret
        assert post(secret, now - timedelta(minutes=10)).status_code == 401  # a replay
        unsigned = httpx.post(receiver, content=body)
        assert unsigned.status_code == 400
        assert unsigned.headers["content-type"] == "application/problem+json"

    # Started again on another port: the same endpoint now points there, and a ping reaches it.
    second = free_port()
    with (
        _demo(app_url, owner_url, second, tmp_path) as printed,
        _sign_in(f"http://127.0.0.1:{second}", printed) as client,
    ):
        moved = client.get("/api/v1/webhook-endpoints").json()["items"]
        assert [(e["id"], e["url"]) for e in moved] == [(endpoint["id"], f"http://127.0.0.1:{second}{RECEIVER_PATH}")]
        ping = client.post(f"/api/v1/webhook-endpoints/{endpoint['id']}/ping")
        assert ping.status_code == 200, ping.text
        assert ping.json()["status"] == "succeeded", ping.json()
