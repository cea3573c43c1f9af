"""Finding npm and installing the client's dependencies once (shared by the client and browser tests)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

CLIENT_DIR = Path(__file__).resolve().parents[2] / "client"


def require_npm() -> str:
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail("npm is not installed: the web app's tests need Node 20.19+ with npm")
    return npm


def ensure_node_modules(npm: str) -> None:
    """`npm ci` when client/node_modules is missing (a fresh clone); the lock file decides every version."""
    if (CLIENT_DIR / "node_modules").is_dir():
        return
    completed = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund"], cwd=CLIENT_DIR, capture_output=True, text=True, timeout=900
    )
    assert completed.returncode == 0, f"npm ci failed:\n{completed.stdout[-3000:]}\n{completed.stderr[-3000:]}"
