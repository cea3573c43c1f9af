"""`sightline serve` from nothing: embedded PostgreSQL, migrations, ready within 30 s, data kept across restarts."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import httpx
import pytest
from tests.support import PASSWORD, SIGHTLINE, free_port, wait_ready

pytestmark = pytest.mark.slow  # starts `sightline serve` and its embedded PostgreSQL, twice


def _start(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SIGHTLINE_DATABASE_URL")}
    env.update(SIGHTLINE_DATA_DIR=str(data_dir), SIGHTLINE_PORT=str(port), SIGHTLINE_LOG_LEVEL="WARNING")
    return subprocess.Popen([SIGHTLINE, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


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
    port = free_port()
    first = _start(data_dir, port)
    try:
        elapsed = wait_ready(port, first)
        assert elapsed < 30
        signup = httpx.post(
            f"http://127.0.0.1:{port}/api/v1/signup",
            json={"organisation_name": "Persisted", "name": "Pat", "email": "pat@example.test", "password": PASSWORD},
        )
        assert signup.status_code == 201
        # A second serve on the same data directory attaches to the same server instead of corrupting it.
        port2 = free_port()
        second = _start(data_dir, port2)
        try:
            wait_ready(port2, second)
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
        wait_ready(port, restarted)
        login = httpx.post(
            f"http://127.0.0.1:{port}/api/v1/auth/login", json={"email": "pat@example.test", "password": PASSWORD}
        )
        assert login.status_code == 200
        assert login.json()["organisation"]["name"] == "Persisted"
    finally:
        _stop(restarted)
