"""Editing an initiative's details after creation (title, kind, dates, budget) in the initiatives side panel, with
If-Match: a stale second editor sees the conflict instead of overwriting."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import (
    PHONE,
    ApiOrg,
    OpenPage,
    assert_fits_width,
    check_accessibility,
    dismiss_notifications,
    field,
    screenshot,
    sign_in,
)


def open_editor(page: Page, title: str) -> Locator:
    page.get_by_role("table", name="Initiatives").get_by_role("button", name=title).click()
    # The side panel is the one dialog open; its name follows the title as it is edited.
    drawer = page.get_by_role("dialog")
    expect(drawer).to_have_accessible_name(title)
    drawer.get_by_role("button", name="Edit details").click()
    expect(drawer.get_by_role("form", name="Edit initiative")).to_be_visible()
    return drawer


def test_initiative_details_edit_and_stale_edit_conflict(open_page: OpenPage, api_org: ApiOrg) -> None:
    org = api_org()
    created = org.post(
        "/api/v1/initiatives", {"title": "Trade fair stand", "kind": "campaign", "planned_budget": "8000"}
    )
    first, second = open_page().page, open_page().page
    for page in (first, second):
        sign_in(page, org.email, path="/initiatives")
    drawer = open_editor(first, "Trade fair stand")
    stale = open_editor(second, "Trade fair stand")
    check_accessibility(first, "initiative edit form", within='[role="dialog"]')

    field(drawer, "Title").fill("Trade fair stand, Berlin")  # type: ignore[arg-type]
    field(drawer, "Description").fill("Hall 4, three days")  # type: ignore[arg-type]
    drawer.get_by_role("combobox", name=re.compile("^Kind")).click()
    first.get_by_role("option", name="Program", exact=True).click()
    field(drawer, "Starts").fill("2026-05-04")  # type: ignore[arg-type]
    field(drawer, "Ends").fill("2026-05-06")  # type: ignore[arg-type]
    field(drawer, "Planned budget").fill("9,500")  # type: ignore[arg-type]
    drawer.get_by_role("button", name="Save details").click()
    details = first.get_by_role("dialog").get_by_test_id("initiative-details")
    expect(details).to_contain_text("of €9,500")
    expect(details).to_contain_text("Hall 4, three days")
    expect(details).to_contain_text("Program")
    dismiss_notifications(first)
    first.keyboard.press("Escape")
    row = first.get_by_role("table", name="Initiatives").get_by_role("row").filter(has_text="Trade fair stand, Berlin")
    expect(row).to_contain_text("€0.00 of €9,500")
    expect(row).to_contain_text("Program")
    saved = org.get(f"/api/v1/initiatives/{created['id']}")
    assert saved["title"] == "Trade fair stand, Berlin"
    assert (saved["kind"], saved["planned_budget"]) == ("program", "9500.00")
    assert (saved["start_date"], saved["end_date"]) == ("2026-05-04", "2026-05-06")
    assert saved["version"] == created["version"] + 1

    # The second panel still holds the version it opened: its save is refused, not applied over the first.
    field(stale, "Planned budget").fill("20000")  # type: ignore[arg-type]
    stale.get_by_role("button", name="Save details").click()
    conflict = stale.get_by_test_id("initiative-conflict")
    expect(conflict).to_be_visible()
    expect(conflict).to_contain_text("Trade fair stand, Berlin")
    check_accessibility(second, "initiative edit conflict", within='[role="dialog"]')
    assert org.get(f"/api/v1/initiatives/{created['id']}")["planned_budget"] == "9500.00"

    # Starting again from their version saves with the new ETag.
    conflict.get_by_role("button", name="Edit their version").click()
    expect(field(stale, "Title")).to_have_value("Trade fair stand, Berlin")  # type: ignore[arg-type]
    field(stale, "Planned budget").fill("10000")  # type: ignore[arg-type]
    stale.get_by_role("button", name="Save details").click()
    expect(second.get_by_role("dialog").get_by_test_id("initiative-details")).to_contain_text("of €10,000")
    saved = org.get(f"/api/v1/initiatives/{created['id']}")
    assert (saved["planned_budget"], saved["version"]) == ("10000.00", created["version"] + 2)


def test_initiative_edit_form_at_phone_width(open_page: OpenPage, api_org: ApiOrg) -> None:
    org = api_org()
    org.post("/api/v1/initiatives", {"title": "Trade fair stand", "kind": "campaign", "planned_budget": "8000"})
    page = open_page(viewport=PHONE).page
    sign_in(page, org.email, path="/initiatives")
    drawer = open_editor(page, "Trade fair stand")
    assert_fits_width(page, "initiative edit form at 390 px")
    check_accessibility(page, "initiative edit form at 390 px", within='[role="dialog"]')
    field(drawer, "Planned budget").fill("-5")  # type: ignore[arg-type]
    drawer.get_by_role("button", name="Save details").click()
    expect(drawer.get_by_text("An amount of 0 or more, such as 12000 or 12,000.50")).to_be_visible()
    screenshot(page, "phone-initiative-edit")
