"""Issue 14, points 8 and 9 in the browser, at 1440 px and 390 px: the organisation choice at sign-in and the switch
in the account menu, sign-up with an email that already has an account, a code chunk that fails to load, the
compressed static files and the scoreboard's JavaScript budget, tables and settings tabs on a phone, help tips."""

from __future__ import annotations

import os
import re
from typing import Any

import pytest
from playwright.sync_api import Page, Route, expect

from sightline.demo import DEMO_EMAIL, DEMO_PASSWORD
from tests.e2e.conftest import (
    PASSWORD,
    PHONE,
    ApiOrg,
    OpenPage,
    Watched,
    assert_fits_width,
    check_accessibility,
    field,
    screenshot,
    sign_in,
)

WIDE = {"width": 1440, "height": 900}
VIEWPORTS = [pytest.param(WIDE, id="1440"), pytest.param(PHONE, id="390")]
# The scoreboard's first load: every script the browser fetched, as transferred (compressed, with headers).
JS_BUDGET_BYTES = 350 * 1000


def _tag(viewport: dict[str, int]) -> str:
    return "phone" if viewport["width"] < 600 else "desktop"


def _forgive(item: Watched, *texts: str) -> None:
    """Drop the console lines a test provoked on purpose (a 409 answer, an aborted chunk)."""
    item.problems[:] = [p for p in item.problems if not any(text in p for text in texts)]


def _me(page: Page) -> dict[str, Any]:
    return dict(page.evaluate("async () => (await fetch('/api/v1/me')).json()"))


def _open_account_menu(page: Page) -> None:
    page.get_by_role("button", name=re.compile("^Account:")).click()


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_sign_in_offers_the_organisations_and_the_app_switches(
    open_page: OpenPage, api_org: ApiOrg, viewport: dict[str, int]
) -> None:
    suffix = os.urandom(3).hex()
    first, second = api_org(f"Anchor {suffix}"), api_org(f"Beacon {suffix}")
    shared = f"shared-{suffix}@example.test"
    for org in (first, second):
        org.post("/api/v1/members", {"email": shared, "name": "Sam Shared", "role": "member", "password": PASSWORD})
    item = open_page(viewport)
    page = item.page
    page.goto("/sign-in")
    field(page, "Email").fill(shared)
    field(page, "Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Choose an organisation")).to_be_visible()
    expect(page.get_by_role("radio")).to_have_count(2)
    check_accessibility(page, f"sign-in organisation choice ({_tag(viewport)})")
    assert_fits_width(page, "sign-in organisation choice")
    screenshot(page, f"sign-in-choice-{_tag(viewport)}", docs=viewport is WIDE)
    page.get_by_role("radio", name=f"Beacon {suffix}").check()
    page.get_by_role("button", name="Open this organisation").click()
    page.wait_for_url(lambda url: "/sign-in" not in url)
    assert _me(page)["organisation"]["name"] == f"Beacon {suffix}"

    # The account menu offers the other organisation; switching asks for that account's password.
    _open_account_menu(page)
    switch = page.get_by_role("menuitem", name=f"Anchor {suffix}")
    expect(switch).to_be_visible()
    check_accessibility(page, f"account menu with switch ({_tag(viewport)})", within="[role=menu]")
    switch.click()
    page.wait_for_url(re.compile(r"/sign-in\?"))
    expect(page.get_by_text(f"Signing in to Anchor {suffix}")).to_be_visible()
    expect(field(page, "Email")).to_have_value(shared)
    check_accessibility(page, f"sign-in to a chosen organisation ({_tag(viewport)})")
    field(page, "Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/sign-in" not in url)
    assert _me(page)["organisation"]["name"] == f"Anchor {suffix}"
    _forgive(item, "status of 409")


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_sign_up_with_an_existing_email_says_so_and_offers_to_sign_in(
    open_page: OpenPage, api_org: ApiOrg, viewport: dict[str, int]
) -> None:
    existing = api_org("Existing Ltd")
    item = open_page(viewport)
    page = item.page
    page.goto("/sign-up")
    field(page, "Organisation").fill("Second Venture")
    field(page, "Your name").fill("Olivia Owner")
    field(page, "Work email").fill(existing.email)
    field(page, "Password").fill(PASSWORD + " again")
    page.get_by_role("button", name="Create organisation").click()
    alert = page.get_by_role("alert").filter(has_text="You already have an account")
    expect(alert).to_be_visible()
    expect(alert.get_by_role("button", name="Create a new organisation anyway")).to_be_visible()
    check_accessibility(page, f"sign-up with an existing email ({_tag(viewport)})")
    assert_fits_width(page, "sign-up with an existing email")
    alert.get_by_role("link", name="Sign in").click()
    page.wait_for_url(re.compile(r"/sign-in\?email="))
    expect(field(page, "Email")).to_have_value(existing.email)
    _forgive(item, "status of 409")


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_a_chunk_that_fails_to_load_reloads_once_then_explains(open_page: OpenPage, viewport: dict[str, int]) -> None:
    item = open_page(viewport)
    page = item.page
    sign_in(page, DEMO_EMAIL, DEMO_PASSWORD)
    loads: list[str] = []
    page.on("request", lambda request: request.resource_type == "document" and loads.append(request.url))

    def gone(route: Route) -> None:  # the file of a previous deployment: no longer on the server
        route.fulfill(status=404, body="")

    page.route(re.compile(r"/assets/HealthView-[^/]*\.js$"), gone)
    page.goto("/health")
    heading = page.get_by_role("heading", name="This screen could not be loaded")
    expect(heading).to_be_visible()
    page.wait_for_timeout(1500)  # no reload loop: the page stays
    health_loads = [url for url in loads if url.endswith("/health")]
    assert len(health_loads) == 2, loads  # the visit, and exactly one automatic reload
    expect(page.get_by_role("button", name="Reload")).to_be_visible()
    expect(page.get_by_text("This screen failed")).to_have_count(0)
    check_accessibility(page, f"chunk load failure ({_tag(viewport)})")
    # Once the file is there again (the new deployment's page), Reload brings the screen.
    page.unroute(re.compile(r"/assets/HealthView-[^/]*\.js$"))
    page.get_by_role("button", name="Reload").click()
    expect(page.get_by_role("heading", level=1, name=re.compile("Health"))).to_be_visible()
    _forgive(item, "status of 404", "dynamically imported module", "HealthView")


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_static_files_are_compressed_and_the_scoreboard_loads_little_javascript(
    open_page: OpenPage, viewport: dict[str, int]
) -> None:
    item = open_page(viewport)
    page = item.page
    sign_in(page, DEMO_EMAIL, DEMO_PASSWORD)
    # A cold first load of the scoreboard: a new context (empty cache) straight onto the page.
    fresh = open_page(viewport, context=None).page
    fresh.context.add_cookies(page.context.cookies())
    scripts: list[Any] = []
    fresh.on("response", lambda response: response.request.resource_type == "script" and scripts.append(response))
    fresh.goto("/scoreboard")
    fresh.get_by_role("heading", level=1).first.wait_for()
    fresh.wait_for_load_state("networkidle")
    assert scripts, "no script loaded"
    for response in scripts:
        headers = response.all_headers()
        assert headers.get("content-encoding") == "br", (response.url, headers.get("content-encoding"))
        assert "accept-encoding" in headers.get("vary", "").lower(), response.url
    transferred = fresh.evaluate(
        "() => performance.getEntriesByType('resource')"
        ".filter((e) => e.initiatorType === 'script' || e.name.endsWith('.js'))"
        ".reduce((sum, e) => sum + e.transferSize, 0)"
    )
    assert 0 < transferred <= JS_BUDGET_BYTES, f"the scoreboard's first load transferred {transferred} bytes of JS"


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_settings_tabs_wrap_and_tables_keep_their_first_column(open_page: OpenPage, viewport: dict[str, int]) -> None:
    page = open_page(viewport).page
    sign_in(page, DEMO_EMAIL, DEMO_PASSWORD, path="/settings/members")
    table = page.get_by_role("table", name="Members")
    expect(table).to_be_visible()
    tabs = page.get_by_role("tab")
    width = viewport["width"]
    for index in range(tabs.count()):
        box = tabs.nth(index).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width + 1, (index, box)
    assert_fits_width(page, f"settings members ({_tag(viewport)})")
    check_accessibility(page, f"settings members ({_tag(viewport)})")
    first_cell = table.locator("tbody tr").first.locator("th, td").first
    sticky = first_cell.evaluate("(cell) => getComputedStyle(cell).position")
    assert sticky == ("sticky" if width < 600 else "static")
    if width < 600:
        # The tabs took a second line instead of hiding off-screen.
        tops = {round(tabs.nth(i).bounding_box()["y"]) for i in range(tabs.count())}  # type: ignore[index]
        assert len(tops) > 1
        screenshot(page, "settings-members-phone")


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_health_measures_explain_themselves(open_page: OpenPage, viewport: dict[str, int]) -> None:
    page = open_page(viewport).page
    sign_in(page, DEMO_EMAIL, DEMO_PASSWORD, path="/health")
    for term, words in (("ambition", "beyond where the last period ended"), ("honesty", "not verdicts")):
        tip = page.get_by_test_id(f"help-{term}")
        expect(tip).to_be_visible()
        tip.click()
        dialog = page.get_by_text(words)
        expect(dialog).to_be_visible()
        check_accessibility(page, f"health help tip {term} ({_tag(viewport)})")
        tip.click()  # the same control closes it again
        expect(dialog).to_be_hidden()
        tip.focus()  # and from the keyboard: Enter opens it, Escape closes it with the focus still on the button
        page.keyboard.press("Enter")
        expect(dialog).to_be_visible()
        page.keyboard.press("Escape")
        expect(dialog).to_be_hidden()
    # No raw ISO date-time anywhere on the page.
    assert not re.search(r"\d{4}-\d{2}-\d{2}T\d{2}:", page.locator("main").inner_text())
