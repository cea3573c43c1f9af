"""Issue 14 point 6: the review as a meeting tool, in the browser at 1440 px and 390 px — it opens on the person's
own team, a confidence change reads the right way round, no done key result is on the agenda, a note and a decision
per item, the 15-minute timer, presenter mode (full screen, one item at a time, keys), and the recorded review's
link and Markdown export."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from sightline.demo import DEMO_PASSWORD
from tests.e2e.conftest import (
    AXE,
    PHONE,
    OpenPage,
    assert_fits_width,
    check_accessibility,
    dismiss_notifications,
    screenshot,
    sign_in,
)

DANA = "dana@northwind.example"  # leads Demand Gen, also a member of Marketing (which sorts before it)
WIDE = {"width": 1440, "height": 900}


@pytest.fixture
def dana_api(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=10, headers={"Origin": base_url}) as client:
        assert client.post("/api/v1/auth/login", json={"email": DANA, "password": DEMO_PASSWORD}).status_code == 200
        yield client


def _agenda(client: httpx.Client) -> tuple[dict[str, Any], dict[str, Any]]:
    teams = {t["name"]: t for t in client.get("/api/v1/teams", params={"limit": 200}).json()["items"]}
    team = teams["Demand Gen"]
    agenda = client.get(f"/api/v1/teams/{team['id']}/review", params={"include_sub_teams": "true"}).json()
    return team, agenda


def _no_landmark_or_dialog_violations(page: Page) -> None:
    """Every axe violation (any impact) about landmarks, dialogs and names: an open dialog adds no second banner."""
    page.evaluate(AXE.read_text())
    result: dict[str, Any] = page.evaluate("async () => await axe.run(document, { resultTypes: ['violations'] })")
    bad = [v["id"] for v in result["violations"] if v["id"].startswith(("landmark", "aria-dialog", "region"))]
    assert not bad, bad


def _open_review(page: Page, agenda: dict[str, Any]) -> None:
    sign_in(page, DANA, DEMO_PASSWORD, path="/review")
    # The person's own team (the one Dana leads), not the alphabetically first one she belongs to.
    expect(page.get_by_role("combobox", name=re.compile("^Team"))).to_have_value("Demand Gen")
    expect(page.get_by_test_id("agenda-item")).to_have_count(len(agenda["items"]))


def test_review_meeting_desktop(open_page: OpenPage, dana_api: httpx.Client, tmp_path: Path) -> None:
    _, agenda = _agenda(dana_api)
    assert len(agenda["items"]) >= 2, "the demo's Demand Gen team has several things to review"
    assert all(item["status"] != "done" for item in agenda["items"])
    page = open_page(WIDE).page
    _open_review(page, agenda)
    items = page.get_by_test_id("agenda-item")
    # Items from several cycles (a quarter and its year) each name their cycle; from one cycle, none does.
    names = {c["id"]: c["name"] for c in dana_api.get("/api/v1/cycles", params={"limit": 200}).json()["items"]}
    spans = len({item["cycle_id"] for item in agenda["items"]}) > 1
    for index, item in enumerate(agenda["items"]):
        badge = items.nth(index).get_by_test_id("agenda-item-cycle")
        if spans:
            expect(badge).to_have_text(names[item["cycle_id"]])
        else:
            expect(badge).to_have_count(0)
    # The delta display: a drop reads "(−n)", a rise "(+n)", never "(−-n)".
    for index, item in enumerate(agenda["items"]):
        figures = items.nth(index).get_by_test_id("agenda-item-figures")
        drop = item["confidence_drop"]
        if drop:
            expect(figures).to_contain_text(f"({'−' if drop > 0 else '+'}{abs(drop)})")
    expect(page.locator("body")).not_to_contain_text("−-")
    expect(page.locator('[data-testid="agenda-item"] [data-status="done"]')).to_have_count(0)

    # A note and a decision on the first item.
    first = agenda["items"][0]
    items.first.locator("summary").click()
    items.first.get_by_label("What the team said").fill("Two webinars slipped to next month")
    items.first.get_by_label("What the team decided").fill("Dana books a second speaker")

    # The 15-minute timer runs.
    timer = page.get_by_role("timer")
    expect(timer).to_have_text("15:00")
    page.get_by_role("button", name="Start 15-minute timer").click()
    expect(timer).to_have_text(re.compile(r"^14:5\d$"), timeout=5000)
    page.get_by_role("button", name="Pause timer").click()
    check_accessibility(page, "review with notes and timer")

    # Presenter mode: full screen, one item at a time, the keyboard moves between items.
    page.get_by_role("button", name="Presenter mode").click()
    presenter = page.get_by_role("dialog", name=re.compile("^Review · Demand Gen"))
    expect(presenter).to_be_visible()
    position = presenter.get_by_test_id("presenter-position")
    count = len(agenda["items"])
    expect(position).to_have_text(f"Item 1 of {count}")
    expect(presenter.get_by_test_id("presenter-item")).to_contain_text(first["title"])
    expect(presenter.get_by_label("What the team said")).to_have_value("Two webinars slipped to next month")
    box = presenter.bounding_box()
    assert box is not None and box["width"] >= 1440 - 1 and box["height"] >= 900 - 1
    page.keyboard.press("ArrowRight")
    expect(position).to_have_text(f"Item 2 of {count}")
    expect(presenter.get_by_test_id("presenter-item")).to_contain_text(agenda["items"][1]["title"])
    # Typing in a note does not move the slide.
    presenter.get_by_label("What the team said").fill("Needs budget")
    presenter.get_by_label("What the team said").press("ArrowLeft")
    expect(position).to_have_text(f"Item 2 of {count}")
    presenter.get_by_role("heading", level=1).click()
    page.keyboard.press("End")
    expect(position).to_have_text(f"Item {count} of {count}")
    page.keyboard.press("Home")
    expect(position).to_have_text(f"Item 1 of {count}")
    check_accessibility(page, "presenter mode", within='[role="dialog"]')
    _no_landmark_or_dialog_violations(page)
    screenshot(page, "review-presenter", docs=True, full_page=False)
    page.keyboard.press("Escape")
    expect(presenter).to_have_count(0)

    # Record: the items' notes go with it; the link leads to the recorded review, which exports as Markdown.
    page.get_by_label("Notes").fill("Fifteen minutes, two decisions")
    page.get_by_role("button", name="Record review").click()
    link = page.get_by_test_id("recorded-review-link").get_by_role("link", name="Open the recorded review")
    expect(link).to_be_visible()
    dismiss_notifications(page)
    link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Review of Demand Gen")
    review_id = page.url.rstrip("/").split("/")[-1]
    recorded = dana_api.get(f"/api/v1/reviews/{review_id}").json()
    assert recorded["notes"] == "Fifteen minutes, two decisions"
    notes = {i["title"]: (i["note"], i["decisions"]) for i in recorded["items"]}
    assert notes[first["title"]] == ("Two webinars slipped to next month", ["Dana books a second speaker"])
    assert notes[agenda["items"][1]["title"]] == ("Needs budget", [])
    recorded_items = page.get_by_test_id("recorded-item")
    expect(recorded_items).to_have_count(2)
    expect(recorded_items.first).to_contain_text("Two webinars slipped to next month")
    expect(recorded_items.first).to_contain_text("Dana books a second speaker")
    check_accessibility(page, "recorded review")
    # The shared link opens the same page for another member of the team.
    other = open_page(WIDE).page
    sign_in(other, "marcus@northwind.example", DEMO_PASSWORD, path=f"/reviews/{review_id}")
    expect(other.get_by_role("heading", level=1)).to_have_text("Review of Demand Gen")
    expect(other.get_by_test_id("recorded-item").first).to_contain_text("Dana books a second speaker")

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Export as Markdown").click()
    download = download_info.value
    assert re.fullmatch(r"review-demand-gen-\d{4}-\d{2}-\d{2}\.md", download.suggested_filename)
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    text = target.read_text()
    assert text.startswith("# Review of Demand Gen, ")
    assert "## Notes\n\nFifteen minutes, two decisions\n" in text
    assert "### 1. " in text and "## Key results discussed" in text
    assert "Two webinars slipped to next month\n\nDecisions:\n\n- Dana books a second speaker\n" in text
    # The next agenda starts from this review.
    _, after = _agenda(dana_api)
    assert after["previous_review"]["id"] == review_id


def test_review_meeting_phone(open_page: OpenPage, dana_api: httpx.Client) -> None:
    _, agenda = _agenda(dana_api)
    page = open_page(PHONE).page
    _open_review(page, agenda)
    assert_fits_width(page, "review (phone)")
    check_accessibility(page, "review (phone)")
    page.get_by_role("button", name="Presenter mode").click()
    presenter = page.get_by_role("dialog", name=re.compile("^Review · Demand Gen"))
    position = presenter.get_by_test_id("presenter-position")
    count = len(agenda["items"])
    expect(position).to_have_text(f"Item 1 of {count}")
    presenter.get_by_role("button", name="Next item").click()
    expect(position).to_have_text(f"Item 2 of {count}")
    presenter.get_by_role("button", name="Previous item").click()
    expect(position).to_have_text(f"Item 1 of {count}")
    assert_fits_width(page, "presenter mode (phone)")
    check_accessibility(page, "presenter mode (phone)", within='[role="dialog"]')
    _no_landmark_or_dialog_violations(page)
    screenshot(page, "phone-review-presenter", docs=True, full_page=False)
    presenter.get_by_role("button", name="Leave presenter mode").click()
    expect(presenter).to_have_count(0)
