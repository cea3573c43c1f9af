"""docker-compose.yml cannot run here (no Docker engine), so check its shape and the environment it passes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]


def _compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_runs_postgres_and_the_api_against_it() -> None:
    services = _compose()["services"]
    assert {"postgres", "api"} <= set(services)
    assert services["postgres"]["image"].startswith("postgres:")
    api = services["api"]
    assert api["build"] == "."
    assert api["environment"]["DATABASE_URL"].startswith("postgresql://")
    assert "@postgres:5432/" in api["environment"]["DATABASE_URL"]
    assert api["environment"]["SIGHTLINE_HOST"] == "0.0.0.0"
    assert api["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "sightline" in api["command"]
    assert "serve" in api["command"]


def test_compose_runs_a_separate_worker_and_leaves_the_jobs_to_it() -> None:
    services = _compose()["services"]
    worker = services["worker"]
    assert worker["command"][-2:] == ["sightline", "worker"]
    assert worker["environment"]["DATABASE_URL"] == services["api"]["environment"]["DATABASE_URL"]
    assert worker["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["api"]["environment"]["SIGHTLINE_WORKER_IN_PROCESS"] == "false"


def test_compose_logs_in_as_the_app_role_and_migrates_as_the_owner() -> None:
    """The service never logs in as the server's administrator: a one-shot `setup` creates both roles."""
    services = _compose()["services"]
    setup = services["setup"]
    assert setup["command"][-2:] == ["sightline", "create-roles"]
    assert setup["environment"]["SIGHTLINE_ADMIN_DATABASE_URL"].startswith("postgresql://postgres:")
    for name in ("api", "worker"):
        environment = services[name]["environment"]
        assert environment["DATABASE_URL"].startswith("postgresql://sightline_app:")
        assert environment["SIGHTLINE_MIGRATION_DATABASE_URL"].startswith("postgresql://sightline_owner:")
        assert "SIGHTLINE_ADMIN_DATABASE_URL" not in environment
        assert environment["SIGHTLINE_ENV"] == "production"
        assert services[name]["depends_on"]["setup"]["condition"] == "service_completed_successfully"


def test_dockerfile_builds_the_package_with_the_lockfile() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "uv sync --frozen" in dockerfile
    assert "COPY service" in dockerfile
    assert '"sightline", "serve"' in dockerfile
