"""The first hour (issue 14, points 1 and 5) in a real browser at 1440 px and 390 px: sign-up to a first objective
with a key result in at most 8 clicks (counted), a quarter showing its year's objectives marked as such, the cycle
choice remembered per person across browsers, and ten due key results checked in with one save (timed).
"""

from __future__ import annotations

import os
import time
from datetime import date, timedelta

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import (
    PASSWORD,
    PHONE,
    ApiOrg,
    OpenPage,
    check_accessibility,
    dismiss_notifications,
    field,
    okr_setup,
    screenshot,
    sign_in,
)

WIDE = {"width": 1440, "height": 900}
VIEWPORTS = [pytest.param(WIDE, id="1440"), pytest.param(PHONE, id="390")]


class Clicks:
    """Every click of the flow goes through here, so the test can count them."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, target: Locator) -> None:
        self.count += 1
        target.click()


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_sign_up_to_a_first_objective_with_a_key_result_in_eight_clicks(
    open_page: OpenPage, viewport: dict[str, int]
) -> None:
    page = open_page(viewport=viewport).page
    click = Clicks()
    started = time.monotonic()
    page.goto("/sign-up")
    field(page, "Organisation").fill("First Hour Ltd")
    field(page, "Your name").fill("Fran First")
    field(page, "Work email").fill(f"fran-{os.urandom(4).hex()}@example.test")
    field(page, "Password").fill(PASSWORD)
    click(page.get_by_role("button", name="Create organisation"))

    # An empty organisation: the board names the first step.
    expect(page.get_by_role("heading", name="Start with a cycle")).to_be_visible()
    expect(page.get_by_text("Step 1 of 3")).to_be_visible()
    check_accessibility(page, "scoreboard: no cycle")
    click(page.get_by_role("button", name="New cycle"))

    # The cycle form starts on "This quarter": name and dates filled in.
    dialog = page.get_by_role("dialog", name="New cycle")
    expect(dialog).to_be_visible()
    expect(field(dialog, "First day")).not_to_have_value("")  # type: ignore[arg-type]
    expect(field(dialog, "Name")).to_have_value(f"Q{(date.today().month - 1) // 3 + 1} {date.today().year}")  # type: ignore[arg-type]
    check_accessibility(page, "new cycle dialog", within="[role=dialog]")
    screenshot(page, f"first-hour-cycle-presets-{viewport['width']}", docs=viewport is WIDE)
    click(dialog.get_by_role("button", name="Create cycle"))

    # The new quarter is empty: the next step is an objective; without teams it is a company objective.
    expect(page.get_by_role("heading", name="No objectives in", exact=False)).to_be_visible()
    expect(page.get_by_text("Next step: add an objective")).to_be_visible()
    click(page.get_by_role("button", name="New objective").last)
    dialog = page.get_by_role("dialog")
    field(dialog, "Objective").fill("Become the name marketers trust")  # type: ignore[arg-type]
    expect(dialog.get_by_role("radio", name="Company")).to_be_checked()
    check_accessibility(page, "new objective dialog", within="[role=dialog]")
    click(dialog.get_by_role("button", name="Create objective"))

    # The objective page: the next step is a key result.
    expect(page.get_by_text("Next step: “Add key result” above.")).to_be_visible()
    click(page.get_by_role("button", name="Add key result"))
    dialog = page.get_by_role("dialog", name="New key result")
    field(dialog, "Key result").fill("Newsletter subscribers")  # type: ignore[arg-type]
    field(dialog, "Target").fill("5000")  # type: ignore[arg-type]
    click(dialog.get_by_role("button", name="Create key result"))
    expect(page.get_by_role("heading", name="Newsletter subscribers")).to_be_visible()

    assert click.count <= 8, f"{click.count} clicks from sign-up to a first key result"
    assert time.monotonic() - started < 60


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_a_quarter_shows_the_years_objectives_and_the_choice_follows_the_person(
    open_page: OpenPage, api_org: ApiOrg, viewport: dict[str, int]
) -> None:
    org = api_org()
    year, _ = okr_setup(org, key_results=1)
    start = date.fromisoformat(year["start_date"])
    quarter = org.post(
        "/api/v1/cycles",
        {
            "name": "This quarter",
            "start_date": start.isoformat(),
            "end_date": (start + timedelta(days=89)).isoformat(),
            "state": "active",
            "parent_id": year["id"],
        },
    )
    org.post("/api/v1/objectives", {"cycle_id": quarter["id"], "title": "Ship the launch", "level": "company"})

    page = open_page(viewport=viewport).page
    sign_in(page, org.email)
    # Opens on the quarter (where the work is: its own objective and the year's), the year's objective marked.
    expect(page.get_by_text("with the objectives of FY2026")).to_be_visible()
    rows = page.get_by_test_id("scoreboard-row")
    expect(rows).to_have_count(2)
    inherited = page.locator("[data-testid=scoreboard-row][data-inherited=true]")
    expect(inherited).to_have_count(1)
    expect(inherited.get_by_test_id("from-cycle")).to_have_text("From FY2026")
    expect(inherited).to_contain_text("Win the mid-market")
    check_accessibility(page, "scoreboard with the year's objectives")
    screenshot(page, f"scoreboard-from-the-year-{viewport['width']}")

    # Choose the year; another browser (a fresh context) opens on it: the choice is kept on the server.
    page.get_by_test_id("cycle-switcher").first.click()
    page.get_by_role("option", name="FY2026").click()
    expect(page.get_by_test_id("scoreboard-row")).to_have_count(1)
    expect(page.get_by_test_id("from-cycle")).to_have_count(0)
    page.wait_for_load_state("networkidle")
    other = open_page(viewport=viewport).page
    sign_in(other, org.email)
    expect(other.get_by_test_id("scoreboard-row")).to_have_count(1)
    expect(other.get_by_test_id("scoreboard-row")).to_contain_text("Win the mid-market")


def _due_rows(page: Page) -> Locator:
    return page.locator("[data-testid=my-checkin-row][data-due=true]")


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_ten_due_key_results_checked_in_with_one_save(
    open_page: OpenPage, api_org: ApiOrg, viewport: dict[str, int]
) -> None:
    org = api_org()
    year, objective = okr_setup(org, key_results=10)
    # One more in another active cycle, checked in just now: listed, not due.
    other = org.post(
        "/api/v1/cycles",
        {"name": "Side project", "start_date": year["start_date"], "end_date": year["end_date"], "state": "active"},
    )
    side = org.post("/api/v1/objectives", {"cycle_id": other["id"], "title": "Side bets", "level": "company"})
    fresh = org.post(
        "/api/v1/key-results",
        {"objective_id": side["id"], "title": "Beta sign-ups", "start_value": 0, "target_value": 100},
    )
    org.post("/api/v1/check-ins", {"key_result_id": fresh["id"], "value": 12, "confidence": 7})

    page = open_page(viewport=viewport).page
    writes: list[str] = []
    page.on("request", lambda request: request.method == "POST" and writes.append(request.url))
    sign_in(page, org.email, path="/my-check-ins")
    rows = page.get_by_test_id("my-checkin-row")
    expect(rows).to_have_count(11)
    expect(_due_rows(page)).to_have_count(10)
    expect(rows.last).to_have_attribute("data-due", "false")  # due ones first
    expect(rows.last.get_by_test_id("due-mark")).to_have_text("Not due")
    expect(rows.last).to_contain_text("Side project")
    # No placeholder that looks like an entered value.
    assert all(
        not p for p in page.locator("[data-testid=my-checkin-row] input").evaluate_all("e => e.map(i => i.placeholder)")
    )
    check_accessibility(page, "my check-ins: due first")

    writes.clear()
    started = time.monotonic()
    for index in range(10):
        row = _due_rows(page).nth(index)
        row.get_by_role("button", name="No change").click()
        field(row, "Confidence").fill("6")  # type: ignore[arg-type]
    page.get_by_role("button", name="Save 10 check-ins").click()
    expect(page.get_by_text("Saved 10 check-ins")).to_be_visible()
    elapsed = time.monotonic() - started
    assert [url.split("/api/v1/")[1] for url in writes] == ["check-ins:batch"]
    assert elapsed < 30, f"ten check-ins took {elapsed:.1f} s"
    expect(_due_rows(page)).to_have_count(0)
    dismiss_notifications(page)
    screenshot(page, f"my-check-ins-after-save-{viewport['width']}", docs=viewport is WIDE)

    saved = org.get(f"/api/v1/objectives/{objective['id']}")["key_results"]
    assert {kr["current_value"] for kr in saved} == {0} and {kr["latest_confidence"] for kr in saved} == {6}
