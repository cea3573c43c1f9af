"""Safe by default: an installation's own secret key, production mode in the images, no 500 for odd input."""

from __future__ import annotations

import stat
from pathlib import Path

import httpx
import pytest
import yaml
from fastapi import FastAPI
from pydantic import ValidationError
from tests.support import make_client

from sightline.app import create_app
from sightline.config import DEV_SECRET_KEY, SECRET_KEY_FILE, Settings, get_settings
from sightline.crypto import SecretBox
from sightline.integrations.oidc import SSO_COOKIE
from sightline.integrations.sso_config import CALLBACK_PATH

ROOT = Path(__file__).resolve().parents[2]


# The secret key ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("env", ["development", "production"])
def test_without_a_configured_key_the_installation_makes_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env: str
) -> None:
    monkeypatch.delenv("SIGHTLINE_SECRET_KEY", raising=False)
    data_dir = tmp_path / "data"
    settings = Settings(env=env, data_dir=data_dir)  # type: ignore[arg-type]
    key_file = data_dir / SECRET_KEY_FILE
    assert not key_file.exists()  # reading the settings writes nothing; starting the service does
    first = SecretBox.from_settings(settings)
    assert key_file.is_file()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert settings.encryption_keys() == [key_file.read_text().strip()]
    assert DEV_SECRET_KEY not in settings.encryption_keys()
    # Reused on the next start, so what it encrypted stays readable.
    token = first.encrypt("Bearer crm-token")
    again = SecretBox.from_settings(Settings(env=env, data_dir=data_dir))  # type: ignore[arg-type]
    assert again.decrypt(token) == "Bearer crm-token"
    # Another installation has another key.
    other = Settings(env=env, data_dir=tmp_path / "other")  # type: ignore[arg-type]
    assert other.encryption_keys() != settings.encryption_keys()


def test_a_key_file_readable_by_others_is_tightened_and_a_broken_one_refused(tmp_path: Path) -> None:
    key = SecretBox.new_key()
    (tmp_path / SECRET_KEY_FILE).write_text(key + "\n")
    (tmp_path / SECRET_KEY_FILE).chmod(0o644)
    assert Settings(env="development", data_dir=tmp_path).encryption_keys() == [key]
    assert stat.S_IMODE((tmp_path / SECRET_KEY_FILE).stat().st_mode) == 0o600
    (tmp_path / SECRET_KEY_FILE).write_text("not a key")
    with pytest.raises(ValueError, match=SECRET_KEY_FILE):
        Settings(env="development", data_dir=tmp_path).encryption_keys()


def test_a_configured_key_is_used_as_given_and_no_file_is_written(tmp_path: Path) -> None:
    key = SecretBox.new_key()
    configured = Settings(env="production", data_dir=tmp_path, secret_key=key)  # type: ignore[arg-type]
    assert configured.encryption_keys() == [key]
    assert not (tmp_path / SECRET_KEY_FILE).exists()
    with pytest.raises(ValidationError, match="SIGHTLINE_SECRET_KEY"):
        Settings(env="production", data_dir=tmp_path, secret_key=f"{key},{DEV_SECRET_KEY}")  # type: ignore[arg-type]


def test_tests_run_with_a_key_of_their_own_process_never_the_development_key() -> None:
    settings = get_settings()
    assert settings.env == "test"
    keys = settings.encryption_keys()
    assert DEV_SECRET_KEY not in keys and len(keys) == 1 and keys == get_settings().encryption_keys()


def test_the_image_and_compose_run_in_production_mode() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "SIGHTLINE_ENV=production" in dockerfile
    assert "SIGHTLINE_DATA_DIR=" in dockerfile and "VOLUME" in dockerfile  # the key file outlives the container
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    for name in ("api", "worker"):
        assert services[name]["environment"]["SIGHTLINE_ENV"] == "production"


# Odd input answers 4xx -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "cookie",
    ["forged", "gAAAAABnot-a-fernet-token", "x" * 3000, "Zm9yZ2Vk%C3%A9"],
)
async def test_a_forged_sign_in_attempt_cookie_is_400(app: FastAPI, cookie: str) -> None:
    async with make_client(app) as browser:
        browser.cookies.set(SSO_COOKIE, cookie, path="/api/v1/auth/sso")
        response = await browser.get(CALLBACK_PATH, params={"code": "c", "state": "s"})
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("content", ["not json", "[]", '{"org_id": "nope"}', '{"state": 1}'])
async def test_a_malformed_sign_in_attempt_cookie_is_400(app: FastAPI, content: str) -> None:
    # Made with the service's own key (as anyone holding it could), but not an attempt the service wrote.
    forged = app.state.secret_box.encrypt(content)
    async with make_client(app) as browser:
        browser.cookies.set(SSO_COOKIE, forged, path="/api/v1/auth/sso")
        response = await browser.get(CALLBACK_PATH, params={"code": "c", "state": "s"})
    assert response.status_code == 400, response.text


@pytest.fixture
def built_client(tmp_path: Path) -> Path:
    dist = tmp_path / "client" / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><title>Sightline app</title>")
    return tmp_path / "client"


@pytest.mark.parametrize(
    "path",
    [
        "/" + "a" * 300,
        "/" + "b" * 5000,
        "/objectives/" + "c" * 300,
        "/" + "d/" * 2500,
        "/assets/" + "e" * 300,
        "/" + "\u00e9" * 200,
    ],
)
async def test_an_overlong_path_is_404_not_500(built_client: Path, path: str) -> None:
    web = create_app("postgresql://unused@localhost/unused", Settings(client_dir=built_client))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=web), base_url="http://testserver") as client:
        response = await client.get(path)
    assert response.status_code == 404, response.text
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("path", ["/api/v1/" + "a" * 300, "/api/v1/" + "b" * 5000, "/api/v1/teams/" + "c" * 5000])
async def test_an_overlong_api_path_is_a_4xx_problem(app: FastAPI, path: str) -> None:
    async with make_client(app) as client:
        response = await client.get(path)
    assert response.status_code in (401, 404), response.text
    assert response.headers["content-type"] == "application/problem+json"
