"""Links in chat messages (and digests, which go out the same way) point at SIGHTLINE_PUBLIC_URL when set, else at
the address the service actually listens on: `sightline serve --port` reaches the link builder."""

from __future__ import annotations

import os
import signal
import subprocess
import uuid

import httpx
import pytest
from tests.support import PASSWORD, SIGHTLINE, free_port, wait_ready
from tests.webhook_receiver import LocalReceiver

from sightline.config import Settings


def _serve(port: int, database_url: str, owner_database_url: str, **extra: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIGHTLINE_PUBLIC")}
    env.update(
        DATABASE_URL=database_url,
        SIGHTLINE_MIGRATION_DATABASE_URL=owner_database_url,
        SIGHTLINE_PORT="8000",  # the default, overridden on the command line
        SIGHTLINE_BUILD_CLIENT="false",
        SIGHTLINE_WORKER_IN_PROCESS="false",
        SIGHTLINE_WEBHOOK_ALLOWED_HOSTS="127.0.0.1",
        SIGHTLINE_WEBHOOK_ALLOW_HTTP="true",
        SIGHTLINE_LOG_LEVEL="WARNING",
        **extra,
    )
    return subprocess.Popen(
        [SIGHTLINE, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


async def _ping_link(port: int, receiver: LocalReceiver) -> str:
    """Sign up on the running service, add a Slack-format endpoint at the receiver, ping it: the message's link."""
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=20) as client:
        email = f"links-{port}-{uuid.uuid4().hex[:6]}@example.test"
        signed_up = await client.post(
            "/api/v1/signup",
            json={"organisation_name": "Links", "name": "Lin", "email": email, "password": PASSWORD},
        )
        assert signed_up.status_code == 201, signed_up.text
        endpoint = await client.post("/api/v1/webhook-endpoints", json={"url": receiver.url, "format": "slack"})
        assert endpoint.status_code == 201, endpoint.text
        ping = await client.post(f"/api/v1/webhook-endpoints/{endpoint.json()['id']}/ping")
        assert ping.status_code == 200, ping.text
    await receiver.wait_for(lambda received: len(received) >= 1)
    return receiver.received[-1].body.decode()


@pytest.mark.slow
async def test_links_use_the_port_given_to_serve(database_url: str, owner_database_url: str) -> None:
    port = free_port()
    process = _serve(port, database_url, owner_database_url)
    try:
        wait_ready(port, process)
        async with LocalReceiver() as receiver:
            body = await _ping_link(port, receiver)
    finally:
        _stop(process)
    assert f"http://127.0.0.1:{port}/" in body, body
    assert ":8000" not in body


@pytest.mark.slow
async def test_links_use_the_public_url_when_set(database_url: str, owner_database_url: str) -> None:
    port = free_port()
    process = _serve(port, database_url, owner_database_url, SIGHTLINE_PUBLIC_URL="https://okr.example.com")
    try:
        wait_ready(port, process)
        async with LocalReceiver() as receiver:
            body = await _ping_link(port, receiver)
    finally:
        _stop(process)
    assert "https://okr.example.com/" in body, body
    assert f":{port}" not in body


def test_the_link_address_of_the_settings() -> None:
    assert Settings(host="127.0.0.1", port=8123).link_base_url() == "http://127.0.0.1:8123"
    assert Settings(host="0.0.0.0", port=8123).link_base_url() == "http://localhost:8123"
    assert Settings(host="::1", port=8123).link_base_url() == "http://[::1]:8123"
    assert Settings(public_base_url="https://okr.example.com/", port=8123).link_base_url() == "https://okr.example.com"
