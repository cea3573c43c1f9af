"""Contract fuzzing: schemathesis with every check, stateful links, against a live `sightline serve`.

Bounded (a few examples per operation) so the suite stays fast; a longer run:
    SIGHTLINE_FUZZ_EXAMPLES=100 uv run pytest tests/proof/test_contract_fuzzing.py
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.support import PASSWORD, free_port

pytestmark = pytest.mark.slow  # fuzzes a live `sightline serve` for minutes

HERE = Path(__file__).parent
BIN = Path(sys.executable).parent


@pytest.fixture
def live_server(database_url: str) -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SIGHTLINE_PORT": str(port),
        "SIGHTLINE_LOG_LEVEL": "ERROR",
        "SIGHTLINE_WORKER_IN_PROCESS": "false",
        "SIGHTLINE_LOGIN_MAX_FAILURES_PER_ADDRESS": "1000000",
    }
    process = subprocess.Popen(
        [str(BIN / "sightline"), "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                if httpx.get(f"{base}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        yield base
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        stderr = process.stderr.read().decode() if process.stderr else ""
        assert "Traceback" not in stderr, stderr[-4000:]


def _member_credential(base: str) -> str:
    """An organisation with some data, and an API key with a member's rights (read and write)."""
    with httpx.Client(base_url=base) as owner:
        assert (
            owner.post(
                "/api/v1/signup",
                json={
                    "organisation_name": "Fuzzed",
                    "name": "Owner",
                    "email": "fuzz-owner@example.test",
                    "password": PASSWORD,
                },
            ).status_code
            == 201
        )
        cycle = owner.post(
            "/api/v1/cycles",
            json={"name": "FY2026", "start_date": "2026-01-01", "end_date": "2026-12-31", "state": "active"},
        ).json()
        objective = owner.post(
            "/api/v1/objectives", json={"cycle_id": cycle["id"], "title": "Grow", "level": "company"}
        ).json()
        owner.post("/api/v1/key-results", json={"objective_id": objective["id"], "title": "Leads", "target_value": 100})
        # A member's rights (read + write) on an API key: a session cookie would be ended by the fuzzer's own
        # call to POST /auth/logout, leaving every later operation a 401.
        key = owner.post("/api/v1/api-keys", json={"name": "fuzzer", "scopes": ["read", "write"]})
        assert key.status_code == 201
        return str(key.json()["secret"])


def test_schemathesis_finds_no_failure_with_every_check(live_server: str) -> None:
    key = _member_credential(live_server)
    examples = os.environ.get("SIGHTLINE_FUZZ_EXAMPLES", "5")
    result = subprocess.run(
        [
            str(BIN / "schemathesis"),
            "--config-file",
            str(HERE / "schemathesis.toml"),
            "run",
            f"{live_server}/api/v1/openapi.json",
            "--checks",
            "all",
            "--max-examples",
            examples,
            "--seed",
            "20261123",
            "--workers",
            "2",
            "-H",
            f"Authorization: Bearer {key}",
            "--no-color",
        ],
        capture_output=True,
        text=True,
        timeout=540,
    )
    summary = result.stdout[result.stdout.find("SUMMARY") :]
    assert result.returncode == 0, result.stdout[-6000:]
    assert "Tested:" in summary
    assert "Stateful" in summary, "the stateful phase (the contract's links) did not run"
