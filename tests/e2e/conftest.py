"""Browser tests: a real `sightline demo` (embedded PostgreSQL, demo organisation, built web app) driven by Debian's
Chromium.

No browser is downloaded: Playwright for Python launches /usr/bin/chromium (`apt-get install chromium`). Every page
fails its test on a console error, an uncaught exception or a 5xx answer; `check_accessibility` runs axe-core (from
client/node_modules) and fails on serious or critical violations.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.client.npm import CLIENT_DIR, ensure_node_modules, require_npm

pytest.importorskip("playwright.sync_api")
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Locator,
    Page,
    Playwright,
    expect,
    sync_playwright,
)

E2E_DIR = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every browser test is `e2e` and `slow` (a conftest's `pytestmark` would mark nothing)."""
    for item in items:
        if E2E_DIR in item.path.parents:
            item.add_marker(pytest.mark.e2e)
            item.add_marker(pytest.mark.slow)


CHROMIUM = os.environ.get("SIGHTLINE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SIGHTLINE = str(Path(sys.executable).with_name("sightline"))
SCREENSHOTS = Path(__file__).parent / "screenshots"
DOCS_SCREENSHOTS = Path(__file__).parents[2] / "docs" / "screenshots"
AXE = CLIENT_DIR / "node_modules" / "axe-core" / "axe.min.js"
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}
PASSWORD = "correct horse battery staple"

# Chromium logs every non-2xx fetch as a console error ("Failed to load resource: … status of 401"). These statuses
# are answers the app handles on purpose (401: not signed in yet; 412: an edit conflict; 422: a form error); anything
# else in the console fails the test.
HANDLED_STATUS_LOGS = ("status of 401", "status of 412", "status of 422")


def _newest_source_mtime() -> float:
    paths = [CLIENT_DIR / name for name in ("index.html", "package-lock.json", "vite.config.ts", "tsconfig.json")]
    paths += [p for p in (CLIENT_DIR / "src").rglob("*") if p.is_file()]
    paths += [p for p in (CLIENT_DIR / "public").rglob("*") if p.is_file()]
    return max(p.stat().st_mtime for p in paths if p.exists())


@pytest.fixture(scope="package")
def built_client() -> Path:
    """client/dist, rebuilt when any source is newer than it (CI builds it first, so this is a no-op there).

    One build at a time on this machine: several test workers (or runs) reaching here together wait for the
    first one's build instead of writing client/dist at the same time."""
    index = CLIENT_DIR / "dist" / "index.html"
    with (Path(tempfile.gettempdir()) / "sightline-client-build.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not index.exists() or index.stat().st_mtime < _newest_source_mtime():
            npm = require_npm()
            ensure_node_modules(npm)
            built = subprocess.run([npm, "run", "build"], cwd=CLIENT_DIR, capture_output=True, text=True, timeout=600)
            assert built.returncode == 0, f"npm run build failed:\n{built.stdout[-3000:]}\n{built.stderr[-3000:]}"
    return CLIENT_DIR / "dist"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _PortTaken(Exception):
    """The demo could not bind its port: something else took it after `_free_port` released it."""


def _start_demo(tmp: Path, log: Any) -> tuple[subprocess.Popen[bytes], str]:
    """`sightline demo` on a free port, ready; on a port another process (another test worker's server, say) took
    in between, again on another port."""
    for _ in range(5):
        port = _free_port()
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SIGHTLINE_DATABASE_URL")}
        env.update(
            SIGHTLINE_DATA_DIR=str(tmp / "data"),
            SIGHTLINE_PORT=str(port),
            SIGHTLINE_LOG_LEVEL="WARNING",
            SIGHTLINE_WORKER_IN_PROCESS="false",
            # The webhook test pings a receiver on this machine over plain HTTP.
            SIGHTLINE_WEBHOOK_ALLOWED_HOSTS="127.0.0.1",
            SIGHTLINE_WEBHOOK_ALLOW_HTTP="true",
        )
        log.seek(0)
        log.truncate()
        process = subprocess.Popen([SIGHTLINE, "demo"], env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            return process, _wait_demo_ready(process, f"http://127.0.0.1:{port}", log)
        except _PortTaken:
            continue
        except BaseException:
            _stop(process)
            raise
    raise AssertionError("sightline demo found no free port in 5 tries")


def _wait_demo_ready(process: subprocess.Popen[bytes], url: str, log: Any) -> str:
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            log.seek(0)
            output = log.read().decode(errors="replace")
            if "address already in use" in output.lower():
                raise _PortTaken
            raise AssertionError(f"sightline demo exited: {output[-4000:]}")
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return url
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError("sightline demo not ready within 60 s")
        time.sleep(0.2)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="package")
def base_url(built_client: Path) -> Iterator[str]:
    """`sightline demo` (serve with the demo organisation loaded) on its own embedded PostgreSQL in a temporary
    data directory (each test worker that runs browser tests has its own server, data directory and port).
    Tests other than the demo ones sign up organisations of their own."""
    with tempfile.TemporaryDirectory(prefix="sightline-e2e-") as tmp, (Path(tmp) / "serve.log").open("w+b") as log:
        process, url = _start_demo(Path(tmp), log)
        try:
            yield url
        finally:
            _stop(process)


# Package scope, not session: the sync Playwright API runs an event loop in this thread while it is open, and the
# other suites' fixtures call asyncio.run(); it must be closed when the browser tests are done.
@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (no browser download is possible here)")
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    yield browser
    browser.close()


@dataclass
class Watched:
    """A page with everything that must not happen on it collected."""

    page: Page
    problems: list[str] = field(default_factory=list)


@pytest.fixture
def open_page(browser: Browser, base_url: str) -> Iterator[Callable[..., Watched]]:
    """Open pages in fresh browser contexts; after the test, no page may have logged an error or got a 5xx."""
    contexts: list[BrowserContext] = []
    watched: list[Watched] = []

    def make(viewport: dict[str, int] | None = None, context: BrowserContext | None = None) -> Watched:
        if context is None:
            # Reduced motion: toasts and drawers appear at once, so axe never measures a half-faded element.
            context = browser.new_context(
                base_url=base_url, viewport=viewport or DESKTOP, locale="en-GB", reduced_motion="reduce"
            )
            context.set_default_timeout(10_000)
            contexts.append(context)
        page = context.new_page()
        item = Watched(page)

        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error" and not any(s in message.text for s in HANDLED_STATUS_LOGS):
                item.problems.append(f"console error on {page.url}: {message.text}")

        page.on("console", on_console)
        page.on("pageerror", lambda error: item.problems.append(f"uncaught exception on {page.url}: {error}"))
        page.on(
            "response",
            lambda response: (
                response.status >= 500
                and item.problems.append(f"{response.request.method} {response.url} → {response.status}")
            ),
        )
        watched.append(item)
        return item

    yield make
    problems = [problem for item in watched for problem in item.problems]
    for context in contexts:
        context.close()
    assert not problems, "\n".join(problems)


def open_chart(card: Locator) -> Locator:
    """A key-result card's Chart tab, opened and drawn: the tab selected, then the chart's surface (recharts draws
    once it has measured its box, which on a loaded machine took longer than an assertion's 5 s)."""
    tab = card.get_by_role("tab", name="Chart")
    tab.click()
    expect(tab).to_have_attribute("aria-selected", "true")
    chart = card.get_by_test_id("kr-chart")
    expect(chart.locator("svg.recharts-surface")).to_be_visible(timeout=15_000)
    return chart


def check_accessibility(page: Page, view: str, within: str | None = None) -> None:
    """axe-core on the current page (or only inside `within`, e.g. an open dialog, whose backdrop dims the page
    behind it): no serious or critical violation (WCAG 2.x A/AA rules and best practices)."""
    # Evaluated, not added as a <script>: the service's Content-Security-Policy (script-src 'self') refuses inline
    # scripts, and the test should see the page under its real policy.
    page.evaluate(AXE.read_text())
    result: dict[str, Any] = page.evaluate(
        "async (within) => await axe.run(within ? document.querySelector(within) : document,"
        " { resultTypes: ['violations'] })",
        within,
    )
    bad = [v for v in result["violations"] if v["impact"] in ("serious", "critical")]
    assert not bad, f"{view}: " + "\n".join(
        f"{v['impact']} {v['id']}: {v['help']} — {[(n['target'], n['html'][:300]) for n in v['nodes'][:5]]}"
        for v in bad
    )


def screenshot(page: Page, name: str, *, docs: bool = False, full_page: bool = True) -> None:
    """A PNG of the view in tests/e2e/screenshots/ (git-ignored); with SIGHTLINE_UPDATE_SCREENSHOTS=1 the main views
    (`docs=True`) also refresh the committed copies in docs/screenshots/. `full_page=False` takes the viewport only:
    for a full-screen overlay (presenter mode, a drawer), below which a full-page capture shows the page behind."""
    SCREENSHOTS.mkdir(exist_ok=True)
    target = SCREENSHOTS / f"{name}.png"
    # Toasts are transient: keep them out of the picture.
    page.screenshot(path=str(target), full_page=full_page, style=".mantine-Notifications-root { display: none; }")
    if docs and os.environ.get("SIGHTLINE_UPDATE_SCREENSHOTS") == "1":
        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(target, DOCS_SCREENSHOTS / target.name)


def assert_fits_width(page: Page, view: str) -> None:
    """Nothing wider than the viewport (tables scroll inside their own container)."""
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"{view} overflows the {page.viewport_size} viewport by {overflow} px"


# API helpers: data set up through the real API of the running server, like an integration would.
@dataclass
class ApiSession:
    base_url: str
    client: httpx.Client
    email: str
    member_id: str

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.client.post(path, json=body)
        assert response.status_code in (200, 201), response.text
        return dict(response.json())

    def get(self, path: str, **params: Any) -> dict[str, Any]:
        response = self.client.get(path, params=params)
        assert response.status_code == 200, response.text
        return dict(response.json())


# Fixture types for the tests' signatures.
OpenPage = Callable[..., Watched]
ApiOrg = Callable[..., ApiSession]


@pytest.fixture
def api_org(base_url: str) -> Iterator[Callable[[str], ApiSession]]:
    """Sign up an organisation through the API (a fresh one per call): the browser signs in as its owner."""
    clients: list[httpx.Client] = []

    def make(name: str = "Acme Marketing") -> ApiSession:
        client = httpx.Client(base_url=base_url, timeout=10, headers={"Origin": base_url})
        clients.append(client)
        email = f"owner-{os.urandom(4).hex()}@example.test"
        response = client.post(
            "/api/v1/signup",
            json={"organisation_name": name, "name": "Olivia Owner", "email": email, "password": PASSWORD},
        )
        assert response.status_code == 201, response.text
        return ApiSession(base_url, client, email, response.json()["member"]["id"])

    yield make
    for client in clients:
        client.close()


def cycle_dates() -> tuple[str, str]:
    """A year-long cycle that started 30 days ago, so the pace line and expected values are under way."""
    start = date.today() - timedelta(days=30)
    return start.isoformat(), (start + timedelta(days=364)).isoformat()


def okr_setup(org: ApiSession, key_results: int) -> tuple[dict, dict]:
    """Through the API: an active cycle and a company objective with `key_results` key results owned by the owner."""
    start, end = cycle_dates()
    cycle = org.post("/api/v1/cycles", {"name": "FY2026", "start_date": start, "end_date": end, "state": "active"})
    objective = org.post(
        "/api/v1/objectives", {"cycle_id": cycle["id"], "title": "Win the mid-market", "level": "company"}
    )
    for index in range(key_results):
        org.post(
            "/api/v1/key-results",
            {
                "objective_id": objective["id"],
                "title": f"Channel {index + 1:02d} leads",
                "unit": "leads",
                "start_value": 0,
                "target_value": 1000,
            },
        )
    return cycle, objective


def field(page: Page, label: str) -> Locator:
    """The form control labelled `label` (Mantine appends " *" to required fields' labels)."""
    return page.get_by_label(re.compile(rf"^{re.escape(label)}( \*)?$"))


def dismiss_notifications(page: Page) -> None:
    """Move the pointer away and close every toast: a toast pauses its auto-close while the pointer rests on it, and
    Playwright's pointer stays where it last clicked (often right where the bottom-right toast appears)."""
    page.mouse.move(0, 0)
    toasts = page.locator(".mantine-Notification-root")
    # Close what is shown rather than wait out the auto-close: with three on screen and more queued behind them
    # (the provider shows at most three), waiting can take longer than any fixed timeout on a loaded machine.
    for _ in range(20):
        if toasts.count() == 0:
            break
        page.evaluate(
            "document.querySelectorAll('.mantine-Notification-root button[aria-label=\"Dismiss notification\"]')"
            ".forEach((button) => button.click())"
        )
        page.wait_for_timeout(250)
    expect(toasts).to_have_count(0, timeout=15_000)


def sign_in(page: Page, email: str, password: str = PASSWORD, path: str = "/scoreboard") -> None:
    page.goto(path)
    field(page, "Email").fill(email)
    field(page, "Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/sign-in" not in url)
    page.get_by_role("heading", level=1).first.wait_for()
