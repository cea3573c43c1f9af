"""Contract fuzzing: schemathesis with every check against a live `sightline serve`.

Several runs, each a test of its own so that pytest's workers run them side by side (one run over the whole
contract took four minutes alone, the long pole of the suite):

1. The example, coverage and fuzzing phases, one run per group of operations (`GROUPS`, by the contract's tags).
   Together the groups hold every operation of the contract: `test_the_fuzzing_groups_hold_every_operation`
   fails on a tag no group names, and each run checks that schemathesis selected every operation of its tags.
2. The stateful phase over the whole contract's links, in one run (its scenarios cross the groups).
3. The stateful phase on the planning chain alone (tests/proof/schemathesis-chains.toml): cycle → objective → key
   result → check-in, with edits under If-Match. Schemathesis starts its scenarios only from operations it judges
   "reliable" by their names, and none of the chain's creates is one of those in the whole contract, so in run 2
   its scenarios never reach them; run 3 selects the chain's operations only, where every create starts scenarios.
   The test then reads the database: the fuzzer itself created a cycle, an objective in it, a key result on that,
   a check-in on that, and edited an objective or a key result (If-Match from the create's ETag).

Each run fuzzes an organisation of its own. Bounded so the suite stays fast (docs/testing.md); a longer run:
    SIGHTLINE_FUZZ_EXAMPLES=100 SIGHTLINE_FUZZ_CHAIN_EXAMPLES=200 uv run pytest tests/proof/test_contract_fuzzing.py
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from tests.support import PASSWORD, free_port

from sightline.db.urls import asyncpg_dsn

pytestmark = pytest.mark.slow  # fuzzes a live `sightline serve` for minutes

HERE = Path(__file__).parent
BIN = Path(sys.executable).parent
SEED = "20261123"
# The planning chain: its creates and the edits their links lead to (the archive DELETEs are left out: see
# docs/decisions/contract-stateful-fuzzing.md).
CHAIN_OPERATIONS = (
    "cycles-create_cycle",
    "objectives-create_objective",
    "objectives-update_objective",
    "key-results-create_key_result",
    "key-results-update_key_result",
    "check-ins-create_check_in",
)


@pytest.fixture(scope="module")  # one server for the module's runs: each fuzzes an organisation of its own
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


@dataclass(frozen=True)
class Fuzzed:
    """The fuzzed organisation: a member's API key, and what was there before the fuzzer came."""

    key: str
    org_id: str
    owner_id: str
    year_id: str
    team_id: str


def _fuzzed_organisation(base: str) -> Fuzzed:
    """An organisation with some data, and an API key with a member's rights (read and write)."""
    with httpx.Client(base_url=base) as owner:
        signup = owner.post(
            "/api/v1/signup",
            json={
                "organisation_name": "Fuzzed",
                "name": "Owner",
                "email": f"fuzz-owner-{uuid.uuid4().hex[:8]}@example.test",
                "password": PASSWORD,
            },
        )
        assert signup.status_code == 201, signup.text
        year = owner.post(
            "/api/v1/cycles",
            json={"name": "FY2026", "start_date": "2026-01-01", "end_date": "2026-12-31", "state": "active"},
        ).json()
        objective = owner.post(
            "/api/v1/objectives", json={"cycle_id": year["id"], "title": "Grow", "level": "company"}
        ).json()
        owner.post("/api/v1/key-results", json={"objective_id": objective["id"], "title": "Leads", "target_value": 100})
        team = owner.post("/api/v1/teams", json={"name": "Platform"})
        assert team.status_code == 201, team.text
        # A member's rights (read + write) on an API key: a session cookie would be ended by the fuzzer's own
        # call to POST /auth/logout, leaving every later operation a 401.
        key = owner.post("/api/v1/api-keys", json={"name": "fuzzer", "scopes": ["read", "write"]})
        assert key.status_code == 201
        me = owner.get("/api/v1/me").json()
        return Fuzzed(
            key=str(key.json()["secret"]),
            org_id=str(me["organisation"]["id"]),
            owner_id=str(me["member"]["id"]),
            year_id=str(year["id"]),
            team_id=str(team.json()["id"]),
        )


def _schemathesis(
    base: str, key: str, config: str, *arguments: str, env: dict[str, str] | None = None, stateful: bool = True
) -> str:
    """A run with every check, on the contract the service serves; it must end with no failure.

    The per-operation phases run in one thread (the runs already go side by side on the test workers): in
    several, Hypothesis's `ast.parse` of a filter's lambda races CPython 3.11's AST recursion counter
    ("SystemError: AST constructor recursion depth mismatch", python/cpython#106905), a crash of the tool
    that fails the run without any answer of the service being wrong."""
    result = subprocess.run(
        [
            str(BIN / "schemathesis"),
            "--config-file",
            str(HERE / config),
            "run",
            f"{base}/api/v1/openapi.json",
            "--checks",
            "all",
            "--seed",
            SEED,
            "--workers",
            "2" if stateful else "1",
            "-H",
            f"Authorization: Bearer {key}",
            "--no-color",
            *arguments,
        ],
        capture_output=True,
        text=True,
        timeout=540,
        env={**os.environ, **(env or {})},
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    summary = result.stdout[result.stdout.find("SUMMARY") :]
    assert "Tested:" in summary
    if stateful:
        assert "Stateful" in summary, "the stateful phase (the contract's links) did not run"
    return result.stdout


async def _chain_counts(admin_url: str, fuzzed: Fuzzed) -> dict[str, int]:
    """What the fuzzer created and edited down the chain, starting from the cycles it created itself."""
    conn = await asyncpg.connect(asyncpg_dsn(admin_url))
    try:
        row = await conn.fetchrow(
            """
            WITH cycles_made AS (
                SELECT id FROM cycles WHERE org_id = $1 AND id <> $2
            ), objectives_made AS (
                SELECT id, version FROM objectives WHERE org_id = $1 AND cycle_id IN (SELECT id FROM cycles_made)
            ), key_results_made AS (
                SELECT id, version FROM key_results
                WHERE org_id = $1 AND objective_id IN (SELECT id FROM objectives_made)
            )
            SELECT
                (SELECT count(*) FROM cycles_made) AS cycles,
                (SELECT count(*) FROM objectives_made) AS objectives,
                (SELECT count(*) FROM key_results_made) AS key_results,
                (SELECT count(*) FROM check_ins
                 WHERE org_id = $1 AND key_result_id IN (SELECT id FROM key_results_made)) AS check_ins,
                (SELECT count(*) FROM objectives_made WHERE version > 1)
                    + (SELECT count(*) FROM key_results_made WHERE version > 1) AS edited
            """,
            uuid.UUID(fuzzed.org_id),
            uuid.UUID(fuzzed.year_id),
        )
    finally:
        await conn.close()
    assert row is not None
    return dict(row)


# The example, coverage and fuzzing phases run one group of the contract's tags at a time, each group a test that
# a worker takes on its own; the groups are about the same size, and together they hold every tag.
GROUPS: dict[str, tuple[str, ...]] = {
    "accounts": ("auth", "api-keys", "members", "organisation", "operations", "events"),
    "planning": ("cycles", "objectives", "key-results", "check-ins", "alignment", "teams", "planning", "templates"),
    "reporting": ("insights", "reviews", "initiatives", "comments", "notifications", "team-digests"),
    "connections": ("webhooks", "integrations", "sql-connections", "kpis"),
}
METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


def _operations_by_tag(contract: dict[str, Any]) -> dict[str, list[str]]:
    """Each tag of the contract with its operations (`METHOD path`); an operation without a tag under ''."""
    tags: dict[str, list[str]] = {}
    for path, item in contract["paths"].items():
        for method in METHODS:
            if method in item:
                for tag in item[method].get("tags") or [""]:
                    tags.setdefault(tag, []).append(f"{method.upper()} {path}")
    return tags


async def test_the_fuzzing_groups_hold_every_operation(app: FastAPI) -> None:
    """A tag no group names would leave its operations out of the example, coverage and fuzzing phases."""
    tags = _operations_by_tag(app.openapi())
    grouped = [tag for group in GROUPS.values() for tag in group]
    assert len(grouped) == len(set(grouped)), "a tag is in two groups"
    assert set(tags) == set(grouped), (
        f"tags in no group: {set(tags) - set(grouped)}; unknown: {set(grouped) - set(tags)}"
    )


@pytest.mark.parametrize("group", GROUPS)
def test_every_operation_passes_every_check(live_server: str, group: str) -> None:
    """Examples, coverage and fuzzing on every operation of one group of tags, with every check."""
    # A generous timeout: the server builds its routes and the contract on its first request, which took more than
    # httpx's default 5 s on a loaded machine (a failed run).
    operations = _operations_by_tag(httpx.get(f"{live_server}/api/v1/openapi.json", timeout=60).json())
    expected = sum(len(operations[tag]) for tag in GROUPS[group])
    output = _schemathesis(
        live_server,
        _fuzzed_organisation(live_server).key,
        "schemathesis.toml",
        "--phases",
        "examples,coverage,fuzzing",
        "--max-examples",
        os.environ.get("SIGHTLINE_FUZZ_EXAMPLES", "25"),
        *[argument for tag in GROUPS[group] for argument in ("--include-tag", tag)],
        stateful=False,
    )
    # Every operation of the group's tags was selected and tested (a filter that matched less would pass silently).
    counts = re.search(r"Selected: (\d+)/\d+\s+Tested: (\d+)", output)
    assert counts and counts.groups() == (str(expected), str(expected)), output[output.find("SUMMARY") :]


def test_the_contracts_links_pass_every_check(live_server: str) -> None:
    """The stateful phase over the whole contract: scenarios follow its links across the groups."""
    _schemathesis(
        live_server,
        _fuzzed_organisation(live_server).key,
        "schemathesis.toml",
        "--phases",
        "stateful",
        "--max-examples",
        os.environ.get("SIGHTLINE_FUZZ_EXAMPLES", "25"),
    )


def test_the_planning_chain_is_fuzzed_down_to_check_ins(live_server: str, admin_database_url: str) -> None:
    fuzzed = _fuzzed_organisation(live_server)
    chain_filter = [argument for operation in CHAIN_OPERATIONS for argument in ("--include-operation-id", operation)]
    _schemathesis(
        live_server,
        fuzzed.key,
        "schemathesis-chains.toml",
        "--phases",
        "stateful",
        "--max-examples",
        os.environ.get("SIGHTLINE_FUZZ_CHAIN_EXAMPLES", "30"),
        *chain_filter,
        env={
            "SIGHTLINE_FUZZ_CYCLE_ID": fuzzed.year_id,
            "SIGHTLINE_FUZZ_TEAM_ID": fuzzed.team_id,
            "SIGHTLINE_FUZZ_OWNER_ID": fuzzed.owner_id,
        },
    )
    counts = asyncio.run(_chain_counts(admin_database_url, fuzzed))
    # Each link of the chain was followed at least once, with data the fuzzer made: a check-in on a key result
    # on an objective in a cycle that the fuzzer created, and an edit (If-Match) of what it created.
    assert counts["cycles"] >= 1, counts
    assert counts["objectives"] >= 1, counts
    assert counts["key_results"] >= 1, counts
    assert counts["check_ins"] >= 1, counts
    assert counts["edited"] >= 1, counts
