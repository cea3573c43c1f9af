"""The web app's own checks, run from the one test command: npm ci (when needed), the strict type check, the Vitest
unit tests (formatting, score display, forms), and a staleness check of the API types generated from the contract."""

from __future__ import annotations

import re
import subprocess

import pytest

from tests.client.npm import CLIENT_DIR, ensure_node_modules, require_npm


@pytest.fixture(scope="module")
def npm() -> str:
    npm = require_npm()
    ensure_node_modules(npm)
    return npm


def _run(npm: str, *args: str, timeout: int = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [npm, *args], cwd=CLIENT_DIR, capture_output=True, text=True, timeout=timeout, env=_env(), check=False
    )


def _env() -> dict[str, str]:
    import os

    return {**os.environ, "CI": "true", "NO_COLOR": "1", "FORCE_COLOR": "0"}


def test_lock_file_is_committed_next_to_package_json() -> None:
    assert (CLIENT_DIR / "package-lock.json").is_file()


@pytest.mark.slow
def test_types_check_strictly(npm: str) -> None:
    completed = _run(npm, "run", "typecheck")
    assert completed.returncode == 0, f"tsc --noEmit failed:\n{completed.stdout[-6000:]}{completed.stderr[-2000:]}"


@pytest.mark.slow
def test_unit_tests_pass(npm: str) -> None:
    completed = _run(npm, "test")
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, f"vitest failed:\n{output[-8000:]}"
    passed = re.search(r"Tests\s+(\d+) passed", output)
    assert passed, output[-2000:]
    assert int(passed.group(1)) >= 50  # formatting, score display, validation, scoreboard, forms


def test_generated_api_types_match_the_contract(npm: str) -> None:
    """src/api/schema.d.ts is what `npm run generate` makes from openapi/openapi.json (run it after API changes)."""
    completed = _run(npm, "run", "generate", "--", "--check")
    assert completed.returncode == 0, (
        "client/src/api/schema.d.ts is stale: run `npm run generate --prefix client` and commit it\n"
        + completed.stdout[-2000:]
        + completed.stderr[-2000:]
    )
