"""The Content-Security-Policy in a real browser: the web app and the API docs work under it, with nothing loaded
from another origin (a violation is a console error, which fails the page: see `open_page`)."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from playwright.sync_api import Request

from sightline.demo import DEMO_EMAIL, DEMO_PASSWORD
from tests.e2e.conftest import Watched, sign_in


def _origins(watched: Watched) -> set[str]:
    seen: set[str] = set()

    def record(request: Request) -> None:
        if not request.url.startswith("data:"):
            parts = urlsplit(request.url)
            seen.add(f"{parts.scheme}://{parts.netloc}")

    watched.page.on("request", record)
    return seen


def test_the_api_docs_render_from_the_service_alone(open_page: Callable[..., Watched], base_url: str) -> None:
    watched = open_page()
    origins = _origins(watched)
    violations: list[str] = []
    watched.page.on("console", lambda m: "Content Security Policy" in m.text and violations.append(m.text))
    response = watched.page.goto("/api/docs")
    assert response is not None and "script-src 'self'" in response.headers["content-security-policy"]
    # Swagger UI has read the OpenAPI document and drawn the operations.
    watched.page.locator(".opblock").first.wait_for(timeout=60_000)  # a big document on a busy machine
    assert watched.page.locator(".opblock").count() > 50
    assert not violations
    assert origins == {base_url}


def test_the_web_app_runs_under_its_policy(open_page: Callable[..., Watched], base_url: str) -> None:
    watched = open_page()
    origins = _origins(watched)
    violations: list[str] = []
    watched.page.on("console", lambda m: "Content Security Policy" in m.text and violations.append(m.text))
    sign_in(watched.page, DEMO_EMAIL, DEMO_PASSWORD)
    watched.page.goto("/objectives")
    watched.page.get_by_role("heading", level=1).first.wait_for()
    assert not violations
    assert origins == {base_url}
