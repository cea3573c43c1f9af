"""The service serves the built web app at `/` on the API's origin, without changing any API behaviour."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from sightline.app import create_app
from sightline.config import Settings
from sightline.web import ensure_built


@pytest.fixture
def client_dir(tmp_path: Path) -> Path:
    dist = tmp_path / "client" / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><title>Sightline app</title><div id=root></div>")
    (dist / "assets" / "index-AbC123.js").write_text("console.log('app')")
    (dist / "favicon.svg").write_text("<svg/>")
    return tmp_path / "client"


def _app(client_dir: Path) -> FastAPI:
    return create_app("postgresql://unused@localhost/unused", Settings(client_dir=client_dir))


async def _get(app: FastAPI, path: str, method: str = "GET") -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        return await client.request(method, path)


async def test_root_and_deep_links_serve_the_app(client_dir: Path) -> None:
    app = _app(client_dir)
    for path in ("/", "/scoreboard", "/objectives/0b6f0f3e-5a47-4c55-9d5c-2f0b55a3b0c1", "/settings/api-keys"):
        response = await _get(app, path)
        assert response.status_code == 200, path
        assert "Sightline app" in response.text
        assert response.headers["cache-control"] == "no-cache"
    head = await _get(app, "/my-check-ins", method="HEAD")
    assert head.status_code == 200


async def test_hashed_assets_are_cached_for_a_year_and_missing_ones_are_404(client_dir: Path) -> None:
    app = _app(client_dir)
    asset = await _get(app, "/assets/index-AbC123.js")
    assert asset.status_code == 200
    assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert "javascript" in asset.headers["content-type"]
    missing = await _get(app, "/assets/index-gone.js")
    assert missing.status_code == 404
    favicon = await _get(app, "/favicon.svg")
    assert favicon.status_code == 200 and favicon.text == "<svg/>"


async def test_api_and_operations_paths_are_unaffected(client_dir: Path) -> None:
    app = _app(client_dir)
    unknown = await _get(app, "/api/v1/does-not-exist")
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"
    wrong_method = await _get(app, "/api/v1/me", method="DELETE")
    assert wrong_method.status_code == 405
    post_elsewhere = await _get(app, "/scoreboard", method="POST")
    assert post_elsewhere.status_code == 404
    assert (await _get(app, "/healthz")).json() == {"status": "ok", "database": None, "migration": None}
    assert (await _get(app, "/api/v1/openapi.json")).status_code == 200
    assert "Sightline app" not in (await _get(app, "/api/docs")).text
    # Path tricks never leave dist/.
    assert (await _get(app, "/..%2F..%2Fpyproject.toml")).text.startswith("<!doctype html><title>Sightline app")


async def test_without_a_build_the_api_still_works_and_the_page_says_how_to_build(tmp_path: Path) -> None:
    app = _app(tmp_path / "client")
    page = await _get(app, "/scoreboard")
    assert page.status_code == 503
    assert "npm ci --prefix client" in page.text
    assert (await _get(app, "/healthz")).status_code == 200


class RecordingLog:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def _record(self, event: str, **fields: object) -> None:
        self.lines.append(" ".join([event, *(f"{k}={v}" for k, v in fields.items())]))

    warning = error = info = _record


def test_ensure_built_without_npm_explains_how_to_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    client_dir = tmp_path / "client"
    client_dir.mkdir()
    (client_dir / "package.json").write_text("{}")
    log = RecordingLog()
    monkeypatch.setattr("sightline.web.log", log)
    monkeypatch.setattr("sightline.web.shutil.which", lambda name: None)
    assert ensure_built(client_dir) is False
    assert any("npm ci --prefix client && npm run build --prefix client" in line for line in log.lines), log.lines


def test_ensure_built_runs_npm_ci_then_build_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    client_dir = tmp_path / "client"
    client_dir.mkdir()
    (client_dir / "package.json").write_text("{}")
    commands: list[list[str]] = []

    class Done:
        returncode = 0
        stdout = stderr = ""

    def fake_run(command: list[str], **kwargs: object) -> Done:
        commands.append(command[1:])
        if command[1:] == ["run", "build"]:
            (client_dir / "dist").mkdir()
            (client_dir / "dist" / "index.html").write_text("built")
        return Done()

    monkeypatch.setattr("sightline.web.shutil.which", lambda name: "/usr/bin/npm")
    monkeypatch.setattr("sightline.web.subprocess.run", fake_run)
    assert ensure_built(client_dir) is True
    assert commands == [["ci"], ["run", "build"]]
    assert ensure_built(client_dir) is True  # already built: nothing runs
    assert commands == [["ci"], ["run", "build"]]
