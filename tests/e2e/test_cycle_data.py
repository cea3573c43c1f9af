"""A cycle's data in and out through Settings → Cycles: the CSV zip and JSON exports download with the expected
content, and the CSV import dialog shows a bad file's problems by row and creates the key results of a good one."""

from __future__ import annotations

import json
import re
import zipfile
from datetime import UTC, datetime, timedelta
from typing import Any

from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import (
    PHONE,
    ApiOrg,
    ApiSession,
    OpenPage,
    assert_fits_width,
    check_accessibility,
    field,
    okr_setup,
    screenshot,
    sign_in,
)


def active_cycle_with_objective(org: ApiSession) -> tuple[dict[str, Any], dict[str, Any]]:
    """FY2026 with its company objective (`okr_setup`), one key result and one check-in on it."""
    cycle, objective = okr_setup(org, key_results=0)
    kr = org.post(
        "/api/v1/key-results",
        {"objective_id": objective["id"], "title": "Qualified leads", "unit": "leads", "target_value": 1000},
    )
    org.post("/api/v1/check-ins", {"key_result_id": kr["id"], "value": 250, "confidence": 6})
    return cycle, objective


def choose_file(page: Page, dialog: Locator, label: str, name: str, content: str) -> None:
    with page.expect_file_chooser() as chooser:
        field(dialog, label).click()  # type: ignore[arg-type]
    chooser.value.set_files({"name": name, "mimeType": "text/csv", "buffer": content.encode()})
    expect(field(dialog, label)).to_contain_text(name)  # type: ignore[arg-type]


def test_export_downloads_csv_zip_and_json(open_page: OpenPage, api_org: ApiOrg) -> None:
    org = api_org()
    active_cycle_with_objective(org)
    page = open_page().page
    sign_in(page, org.email, path="/settings/cycles")
    table = page.get_by_role("table", name="Cycles")
    expect(table).to_contain_text("FY2026")
    check_accessibility(page, "settings: cycles with export and import")

    table.get_by_role("button", name="Export FY2026").click()
    check_accessibility(page, "settings: cycles, export menu")
    with page.expect_download() as csv_download:
        page.get_by_role("menuitem", name="CSV files (zip)").click()
    assert csv_download.value.suggested_filename == "FY2026.zip"
    path = csv_download.value.path()
    with zipfile.ZipFile(path) as archive:
        assert sorted(archive.namelist()) == [
            "check_ins.csv",
            "initiative_key_results.csv",
            "initiatives.csv",
            "key_results.csv",
            "objectives.csv",
            "spend.csv",
        ]
        objectives = archive.read("objectives.csv").decode()
        key_results = archive.read("key_results.csv").decode()
        check_ins = archive.read("check_ins.csv").decode()
    assert "Win the mid-market" in objectives
    assert "Qualified leads" in key_results
    assert len(check_ins.strip().splitlines()) == 2  # the header and the one check-in

    # The keyboard reaches the menu too. The open menu moves focus to its first item a moment after it shows:
    # wait for that, then walk to JSON (pressing on the item at once raced that focus, and sometimes chose the zip).
    table.get_by_role("button", name="Export FY2026").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("menuitem", name="CSV files (zip)")).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(page.get_by_role("menuitem", name="JSON")).to_be_focused()
    with page.expect_download() as json_download:
        page.keyboard.press("Enter")
    assert json_download.value.suggested_filename == "FY2026.json"
    document = json.loads(json_download.value.path().read_text(encoding="utf-8"))
    assert document["format"] == "sightline.cycle-export.v1"
    assert document["cycle"]["name"] == "FY2026"
    assert [kr["title"] for kr in document["key_results"]] == ["Qualified leads"]


def test_import_shows_row_problems_then_creates_key_results(open_page: OpenPage, api_org: ApiOrg) -> None:
    org = api_org()
    cycle, objective = active_cycle_with_objective(org)
    page = open_page().page
    sign_in(page, org.email, path="/settings/cycles")
    page.get_by_role("table", name="Cycles").get_by_role("button", name="Import into FY2026").click()
    dialog = page.get_by_role("dialog", name="Import into FY2026")
    expect(dialog.get_by_test_id("import-hint")).to_contain_text("target_value")
    check_accessibility(page, "import dialog", within='[role="dialog"]')

    # Without the key results file nothing is sent.
    dialog.get_by_role("button", name="Import", exact=True).click()
    expect(dialog.get_by_text("Choose the key results file")).to_be_visible()

    bad = (
        "title,objective,target_value\n"
        "Webinar sign-ups,Win the mid-market,lots\n"
        "Partner referrals,No such objective,40\n"
    )
    choose_file(page, dialog, "Key results CSV", "key_results.csv", bad)
    dialog.get_by_role("button", name="Import", exact=True).click()
    problems = dialog.get_by_role("table", name="Import problems")
    expect(problems).to_be_visible()
    rows = problems.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text(re.compile(r"Key results\s*2\s*target_value"))
    expect(rows.nth(1)).to_contain_text(re.compile(r"Key results\s*3\s*objective"))
    expect(dialog.get_by_test_id("import-errors")).to_contain_text("nothing was written")
    check_accessibility(page, "import dialog: row problems", within='[role="dialog"]')
    screenshot(page, "import-problems")
    titles = [kr["title"] for kr in org.get(f"/api/v1/objectives/{objective['id']}")["key_results"]]
    assert titles == ["Qualified leads"]

    good = (
        "id,title,objective,target_value,unit\n"
        "KR1,Webinar sign-ups,Win the mid-market,500,sign-ups\n"
        "KR2,Partner referrals,Win the mid-market,40,\n"
    )
    reported = (datetime.now(UTC) - timedelta(days=2)).isoformat(timespec="seconds")
    history = f"key_result_id,value,checked_in_at,confidence\nKR1,120,{reported},7\n"
    choose_file(page, dialog, "Key results CSV", "key_results_fixed.csv", good)
    choose_file(page, dialog, "Check-ins CSV", "check_ins.csv", history)
    expect(dialog.get_by_test_id("import-errors")).to_have_count(0)
    dialog.get_by_role("button", name="Import", exact=True).click()
    expect(dialog.get_by_test_id("import-result")).to_contain_text("0 objectives, 2 key results and 1 check-in")
    check_accessibility(page, "import dialog: imported", within='[role="dialog"]')
    dialog.get_by_role("button", name="Done").click()

    saved = {kr["title"]: kr for kr in org.get(f"/api/v1/objectives/{objective['id']}")["key_results"]}
    assert sorted(saved) == ["Partner referrals", "Qualified leads", "Webinar sign-ups"]
    assert saved["Webinar sign-ups"]["current_value"] == 120
    assert saved["Webinar sign-ups"]["target_value"] == 500
    assert saved["Partner referrals"]["target_value"] == 40
    assert cycle["id"] == org.get(f"/api/v1/objectives/{objective['id']}")["cycle_id"]


def test_cycle_data_controls_at_phone_width(open_page: OpenPage, api_org: ApiOrg) -> None:
    org = api_org()
    active_cycle_with_objective(org)
    page = open_page(viewport=PHONE).page
    sign_in(page, org.email, path="/settings/cycles")
    expect(page.get_by_role("table", name="Cycles")).to_contain_text("FY2026")
    assert_fits_width(page, "settings: cycles at 390 px")
    page.get_by_role("button", name="Import into FY2026").click()
    dialog = page.get_by_role("dialog", name="Import into FY2026")
    expect(dialog.get_by_test_id("import-hint")).to_be_visible()
    assert_fits_width(page, "import dialog at 390 px")
    check_accessibility(page, "import dialog at 390 px", within='[role="dialog"]')
    screenshot(page, "phone-import")
