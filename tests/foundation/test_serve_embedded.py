"""`sightline serve` from nothing: embedded PostgreSQL, migrations, ready within 30 s, data kept across restarts."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from tests.support import PASSWORD

SIGHTLINE = str(Path(sys.executable).with_name("sightline"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SIGHTLINE_DATABASE_URL")}
    env.update(SIGHTLINE_DATA_DIR=str(data_dir), SIGHTLINE_PORT=str(port), SIGHTLINE_LOG_LEVEL="WARNING")
    return subprocess.Popen([SIGHTLINE, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _wait_ready(port: int, process: subprocess.Popen[bytes], timeout: float = 30.0) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        assert process.poll() is None, process.stderr.read().decode() if process.stderr else "exited"
        try:
            if (
                httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200
                and httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200
            ):
                return time.monotonic() - started
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"not ready within {timeout} s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "sightline-data"


def test_serve_starts_embedded_database_and_keeps_data(data_dir: Path) -> None:
    port = _free_port()
    first = _start(data_dir, port)
    try:
        elapsed = _wait_ready(port, first)
        assert elapsed < 30
        signup = httpx.post(
            f"http://127.0.0.1:{port}/api/v1/signup",
            json={"organisation_name": "Persisted", "name": "Pat", "email": "pat@example.test", "password": PASSWORD},
        )
        assert signup.status_code == 201
        # A second serve on the same data directory attaches to the same server instead of corrupting it.
        port2 = _free_port()
        second = _start(data_dir, port2)
        try:
            _wait_ready(port2, second)
            login = httpx.post(
                f"http://127.0.0.1:{port2}/api/v1/auth/login", json={"email": "pat@example.test", "password": PASSWORD}
            )
            assert login.status_code == 200
        finally:
            _stop(second)
        assert httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200
    finally:
        _stop(first)
    assert (data_dir / "pgdata" / "PG_VERSION").exists()

    restarted = _start(data_dir, port)
    try:
        _wait_ready(port, restarted)
        login = httpx.post(
            f"http://127.0.0.1:{port}/api/v1/auth/login", json={"email": "pat@example.test", "password": PASSWORD}
        )
        assert login.status_code == 200
        assert login.json()["organisation"]["name"] == "Persisted"
    finally:
        _stop(restarted)
