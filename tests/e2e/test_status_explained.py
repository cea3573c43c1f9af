"""Issue 14 point 4: status explains itself. Every progress bar with an expected value carries the expected-by-now
marker; the status badge opens on hover (desktop) or tap (phone) with the gap to expected progress and the rules — on
the objective page, in My check-ins, in the review and in the line of sight; milestones and thresholds have their own
display and no pace line."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from sightline.demo import DEMO_EMAIL, DEMO_PASSWORD, SEED_TITLE
from tests.e2e.conftest import OpenPage, assert_fits_width, check_accessibility, open_chart, screenshot, sign_in

WIDE = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
OBJECTIVE = "Spend every euro where it converts"  # a milestone and an at-most threshold among its key results


@pytest.fixture
def demo_api(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=10) as client:
        response = client.post("/api/v1/auth/login", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD})
        assert response.status_code == 200
        yield client


def get(client: httpx.Client, path: str, **params: Any) -> Any:
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def card(page: Page, kr: dict[str, Any]) -> Locator:
    return page.locator(f'[data-key-result-id="{kr["id"]}"]')


def open_explanation(page: Page, badge: Locator, *, tap: bool) -> Locator:
    if tap:
        badge.tap()
    else:
        badge.hover()
    explanation = page.get_by_test_id("status-explanation")
    expect(explanation).to_be_visible()
    return explanation


def close_explanation(page: Page, *, tap: bool) -> None:
    if tap:
        page.keyboard.press("Escape")
    else:
        page.mouse.move(0, 0)
    expect(page.get_by_test_id("status-explanation")).to_be_hidden()


THRESHOLDS = "On track up to 10 points behind, at risk up to 25 points"
CONFIDENCE_RULE = "3 or less turns on track into at risk"


def check_scoreboard_markers(page: Page, api: httpx.Client) -> None:
    """A marker on each bar whose objective has an expected value (the API's figure), none on the others."""
    objectives = {o["id"]: o for o in get(api, "/api/v1/objectives", limit=200)["items"]}
    rows = page.get_by_test_id("scoreboard-row")
    expect(rows.first).to_be_visible()
    assert rows.count() == page.get_by_role("progressbar").count()
    with_expected = 0
    for row in rows.all():
        objective = objectives[row.get_attribute("data-objective-id") or ""]
        marker = row.get_by_test_id("expected-marker")
        if objective["expected_progress"] is None:
            expect(marker).to_have_count(0)
        else:
            with_expected += 1
            expect(marker).to_have_count(1)
            shown = float(marker.get_attribute("data-expected") or "nan")
            assert shown == pytest.approx(objective["expected_progress"])
    assert with_expected > 0


def check_other_badges(page: Page, api: httpx.Client, *, tap: bool) -> None:
    """The same explanation in My check-ins, the review and the line of sight."""
    page.goto("/my-check-ins")
    row = page.get_by_test_id("my-checkin-row").first
    explanation = open_explanation(page, row.get_by_test_id("status-explained"), tap=tap)
    expect(explanation).to_contain_text(CONFIDENCE_RULE)
    check_accessibility(page, "my check-ins, status explained")
    close_explanation(page, tap=tap)

    page.goto("/review")
    item = page.get_by_test_id("agenda-item").filter(has=page.locator("[data-status=off_track], [data-status=at_risk]"))
    item = item.first
    figures = item.get_by_test_id("agenda-item-figures").inner_text()
    expected = re.search(r"of (\d+) % expected", figures)
    assert expected, figures
    explanation = open_explanation(page, item.get_by_test_id("status-explained"), tap=tap)
    expect(explanation).to_contain_text(f"expected by now {expected.group(1)} %")
    expect(explanation).to_contain_text(THRESHOLDS)
    expect(explanation).to_contain_text(CONFIDENCE_RULE)
    check_accessibility(page, "review, status explained")
    close_explanation(page, tap=tap)

    seed = next(k for k in get(api, "/api/v1/key-results", limit=200)["items"] if k["title"] == SEED_TITLE)
    sight = get(api, f"/api/v1/objectives/{seed['objective_id']}/line-of-sight")
    parent = sight["paths"][0]["hops"][0]["parent"]
    page.goto(f"/objectives/{seed['objective_id']}")
    badge = page.get_by_test_id("line-of-sight").get_by_test_id("status-explained").first
    explanation = open_explanation(page, badge, tap=tap)
    expect(explanation).to_contain_text(f"expected by now {round(parent['expected_progress'] * 100)} %")
    expect(explanation).to_contain_text(THRESHOLDS)
    expect(explanation).not_to_contain_text("confidence")  # objectives have no confidence rule
    if tap:
        badge.tap()  # a second tap closes it
        expect(explanation).to_be_hidden()
    else:
        close_explanation(page, tap=tap)


def check_cards(page: Page, api: httpx.Client, *, tap: bool) -> None:
    krs = get(api, "/api/v1/key-results", limit=200)["items"]
    seed = next(k for k in krs if k["title"] == SEED_TITLE)
    objective = next(o for o in get(api, "/api/v1/objectives", limit=200)["items"] if o["title"] == OBJECTIVE)
    mine = [k for k in krs if k["objective_id"] == objective["id"]]
    milestone = next(k for k in mine if k["metric"] == "milestone")
    threshold = next(k for k in mine if k["direction"] in ("at_least", "at_most"))

    page.goto(f"/objectives/{seed['objective_id']}")
    seed_card = card(page, seed)
    marker = seed_card.get_by_test_id("expected-marker")
    expect(marker).to_have_count(1)
    assert float(marker.get_attribute("data-expected") or "nan") == pytest.approx(seed["expected_progress"])
    badge = seed_card.get_by_test_id("status-explained")
    # Hovered (or tapped) at once, while the rest of the page still loads and shifts the badge: it stays open.
    explanation = open_explanation(page, badge, tap=tap)
    expected = round(seed["expected_progress"] * 100)
    expect(explanation).to_contain_text(f"expected by now {expected} %")
    expect(explanation).to_contain_text(re.compile(r"\d+ points? (behind|ahead)|exactly on plan"))
    expect(explanation).to_contain_text(THRESHOLDS)
    expect(explanation).to_contain_text(CONFIDENCE_RULE)
    assert "hover" not in explanation.inner_text().lower()
    check_accessibility(page, f"status explained ({'tap' if tap else 'hover'})")
    if not tap:
        # The pointer may travel from the badge onto the explanation and rest there.
        box = explanation.bounding_box()
        assert box
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, steps=10)
        page.wait_for_timeout(600)
        expect(explanation).to_be_visible()
    close_explanation(page, tap=tap)

    page.goto(f"/objectives/{objective['id']}")
    m = card(page, milestone)
    expect(m.get_by_test_id("kr-milestone")).to_contain_text("Done" if milestone["progress"] >= 1 else "Not done yet")
    expect(m.get_by_test_id("expected-marker")).to_have_count(0)
    t = card(page, threshold)
    holds = (
        threshold["current_value"] <= threshold["target_value"]
        if threshold["direction"] == "at_most"
        else threshold["current_value"] >= threshold["target_value"]
    )
    expect(t.get_by_test_id("kr-threshold")).to_contain_text("Holding" if holds else "Breached")
    expect(t.get_by_test_id("expected-marker")).to_have_count(0)
    for one in (m, t):
        expect(open_chart(one).locator(".recharts-line")).to_have_count(1)  # check-ins only, no pace
    # The objective's own bar has its marker.
    expect(page.get_by_test_id("expected-marker").first).to_be_visible()
    check_accessibility(page, "milestone and threshold key results")


def test_status_explained_on_desktop(open_page: OpenPage, demo_api: httpx.Client) -> None:
    page = open_page(WIDE).page
    sign_in(page, DEMO_EMAIL, DEMO_PASSWORD)
    check_scoreboard_markers(page, demo_api)
    check_cards(page, demo_api, tap=False)
    page.mouse.move(0, 0)
    page.evaluate("window.scrollTo(0, 0)")  # scrolled, a full-page picture draws the fixed header mid-page
    screenshot(page, "objective-milestone-threshold", docs=True)
    check_other_badges(page, demo_api, tap=False)


def test_status_explained_on_a_phone(open_page: OpenPage, demo_api: httpx.Client, browser: Any, base_url: str) -> None:
    context = browser.new_context(
        base_url=base_url, viewport=PHONE, has_touch=True, is_mobile=True, locale="en-GB", reduced_motion="reduce"
    )
    page = open_page(PHONE, context=context).page
    sign_in(page, DEMO_EMAIL, DEMO_PASSWORD)
    check_scoreboard_markers(page, demo_api)
    check_cards(page, demo_api, tap=True)
    assert_fits_width(page, "objective with milestone and threshold (390)")
    check_other_badges(page, demo_api, tap=True)
    context.close()
