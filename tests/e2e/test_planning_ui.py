"""Issue 19 in the web app, in Chromium against a real `sightline demo`: the planning view (last cycle's results beside
this cycle's drafts, carry-over with a preview of what will be created and what won't and why, ambition shown live as
a target is typed), a template applied from the "New from template" dialog in one request, and the KPI pages (status
chips, the chart with its healthy range, recording a value moves the status; a KPI created from its dialog) with the
scoreboard's KPI panel. Everything is checked through the API too; each view passes axe and fits 390 px."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from playwright.sync_api import expect

from sightline.demo import DEMO_EMAIL, DEMO_PASSWORD
from tests.e2e.conftest import (
    PHONE,
    ApiOrg,
    ApiSession,
    OpenPage,
    assert_fits_width,
    check_accessibility,
    dismiss_notifications,
    field,
    okr_setup,
    screenshot,
    sign_in,
)


def objectives_of(org: ApiSession, cycle_id: str) -> list[dict]:
    return list(org.get("/api/v1/objectives", cycle_id=cycle_id, limit=200)["items"])


def planning_setup(org: ApiSession) -> tuple[dict, dict, dict, dict]:
    """Through the API: this quarter (active) with two objectives whose key results reached values, the next quarter in
    planning, and the second objective already carried into it."""
    today = date.today()
    current = org.post(
        "/api/v1/cycles",
        {
            "name": "This quarter",
            "start_date": (today - timedelta(days=60)).isoformat(),
            "end_date": (today + timedelta(days=29)).isoformat(),
            "state": "active",
        },
    )
    planned = org.post(
        "/api/v1/cycles",
        {
            "name": "Next quarter",
            "start_date": (today + timedelta(days=30)).isoformat(),
            "end_date": (today + timedelta(days=119)).isoformat(),
            "state": "planning",
        },
    )
    funnel = org.post("/api/v1/objectives", {"cycle_id": current["id"], "title": "Fill the funnel", "level": "company"})
    leads = org.post(
        "/api/v1/key-results",
        {"objective_id": funnel["id"], "title": "Leads", "unit": "leads", "start_value": 0, "target_value": 15000},
    )
    demos = org.post(
        "/api/v1/key-results",
        {"objective_id": funnel["id"], "title": "Demo requests", "start_value": 0, "target_value": 100},
    )
    org.post("/api/v1/check-ins", {"key_result_id": leads["id"], "value": 12000, "confidence": 7})
    org.post("/api/v1/check-ins", {"key_result_id": demos["id"], "value": 80, "confidence": 6})
    brand = org.post("/api/v1/objectives", {"cycle_id": current["id"], "title": "Grow the brand", "level": "company"})
    org.post(
        "/api/v1/key-results",
        {"objective_id": brand["id"], "title": "Branded searches", "start_value": 0, "target_value": 500},
    )
    org.post(f"/api/v1/cycles/{planned['id']}/carry-over", {"objectives": [{"objective_id": brand["id"]}]})
    return current, planned, funnel, leads


def test_planning_view_carries_over_with_a_preview_and_shows_ambition_live(
    open_page: OpenPage, api_org: ApiOrg
) -> None:
    org = api_org()
    _, planned, funnel, leads = planning_setup(org)

    page = open_page().page
    sign_in(page, org.email, path="/settings/cycles")
    page.get_by_role("link", name="Plan Next quarter").click()
    expect(page.get_by_role("heading", level=1, name="Plan Next quarter")).to_be_visible()
    expect(page.get_by_role("heading", name="Last cycle: This quarter")).to_be_visible()
    # Last cycle's results: what each key result reached against its target.
    source = page.locator("[data-source-objective='Fill the funnel']")
    expect(source.get_by_role("row", name=re.compile("Leads"))).to_contain_text("12,000 leads")
    # The brand objective was carried before: its copy is among the drafts already.
    expect(page.locator("[data-draft-objective='Grow the brand']")).to_be_visible()
    check_accessibility(page, "planning view")

    # Pick the leads key result (not demo requests) and the brand objective again, then preview.
    source.get_by_label("Carry key result Leads").check()
    page.get_by_label("Carry Grow the brand").check()
    expect(page.get_by_role("button", name="Carry over")).to_be_disabled()
    page.get_by_role("button", name="Preview").click()
    preview = page.get_by_role("region", name="Carry-over preview")
    expect(preview.get_by_role("heading", name="Will be created (1 objectives, 1 key results)")).to_be_visible()
    expect(preview).to_contain_text("Leads: start 0, target 15,000, last period reached 12,000")
    expect(preview.get_by_role("list", name="Not carried, and why")).to_contain_text(
        "Grow the brand: Already carried into this cycle"
    )
    assert objectives_of(org, planned["id"]) and all(
        o["title"] != "Fill the funnel" for o in objectives_of(org, planned["id"])
    ), "a preview writes nothing"
    check_accessibility(page, "planning view with a carry-over preview")

    page.get_by_role("button", name="Carry over").click()
    expect(page.get_by_role("region", name="Carried over")).to_be_visible()
    dismiss_notifications(page)
    copies = [o for o in objectives_of(org, planned["id"]) if o.get("carried_from") == funnel["id"]]
    assert len(copies) == 1 and copies[0]["state"] == "draft"
    (copy,) = copies[0]["key_results"]
    assert copy["carried_from"] == leads["id"]
    assert (copy["start_value"], copy["previous_value"], copy["target_value"]) == (0, 12000, 15000)

    # The draft's ambition follows the target as it is typed: 15,000 on a baseline of 12,000 is +25 %.
    draft = page.locator("[data-draft-kr='Leads']")
    ambition = draft.get_by_test_id("ambition")
    expect(ambition).to_have_text("Ambition +25 % on last period")
    target = draft.get_by_label("Target for Leads")
    target.fill("")
    target.press_sequentially("18000")
    expect(ambition).to_have_text("Ambition +50 % on last period")
    target.fill("12000")
    expect(ambition).to_contain_text("Ambition 0 %")
    expect(ambition).to_contain_text("low ambition")
    check_accessibility(page, "planning view with a low-ambition warning")
    target.fill("18000")
    draft.get_by_role("button", name="Save target of Leads").click()
    expect(page.get_by_text("Target of Leads saved")).to_be_visible()
    expect(draft.get_by_role("button", name="Save target of Leads")).to_be_disabled()
    saved = org.get(f"/api/v1/key-results/{copy['id']}")
    assert saved["target_value"] == 18000
    report = org.get(f"/api/v1/cycles/{planned['id']}/ambition")
    assert [kr["ambition"] for kr in report["key_results"] if kr["key_result_id"] == copy["id"]] == [0.5]
    screenshot(page, "planning", docs=True)

    phone = open_page(PHONE).page
    sign_in(phone, org.email, path=f"/cycles/{planned['id']}/plan")
    expect(phone.get_by_role("heading", level=1, name="Plan Next quarter")).to_be_visible()
    expect(phone.locator("[data-draft-kr='Leads']").get_by_test_id("ambition")).to_have_text(
        "Ambition +50 % on last period"
    )
    assert_fits_width(phone, "planning view")
    check_accessibility(phone, "planning view at 390 px")


def test_new_objective_from_a_template_in_one_request(open_page: OpenPage, api_org: ApiOrg) -> None:
    org = api_org()
    cycle, _ = okr_setup(org, 1)
    page = open_page().page
    requests: list[str] = []
    page.on("request", lambda r: r.method == "POST" and "/api/v1/" in r.url and requests.append(r.url))
    sign_in(page, org.email)
    page.get_by_role("button", name="New from template").click()
    dialog = page.get_by_role("dialog", name=re.compile("^New from template"))
    expect(dialog.get_by_role("region", name="Demand generation")).to_be_visible()
    expect(dialog.get_by_role("region", name="Partner marketing")).to_be_visible()
    check_accessibility(page, "template library", within="[role=dialog]")

    dialog.get_by_role("button", name=re.compile("^Build a predictable flow of qualified demand")).click()
    rows = dialog.get_by_role("table", name="The template's key results").get_by_role("row")
    expect(rows).to_have_count(4)  # the header and three key results
    expect(rows.nth(1)).to_contain_text("Measure:")
    check_accessibility(page, "template preview", within="[role=dialog]")
    library = org.get("/api/v1/templates", category="demand_generation")["items"]
    (template,) = [t for t in library if t["slug"] == "demand-generation"]
    first_title = template["key_results"][0]["title"]
    dialog.get_by_label(f"Target for {first_title}").fill("1234")
    requests.clear()
    dialog.get_by_role("button", name="Create from template").click()
    page.wait_for_url(re.compile(r"/objectives/[0-9a-f-]+$"))
    objective_id = page.url.rsplit("/", 1)[1]
    assert [url for url in requests if "/templates/" in url] and all("/templates/" in url for url in requests), requests
    created = org.get(f"/api/v1/objectives/{objective_id}")
    assert created["title"] == "Build a predictable flow of qualified demand"
    assert created["cycle_id"] == cycle["id"]
    assert len(created["key_results"]) == 3
    targets = {kr["title"]: kr["target_value"] for kr in created["key_results"]}
    assert targets[first_title] == 1234
    assert targets == {
        kr["title"]: (1234 if kr["title"] == first_title else kr["target_value"]) for kr in template["key_results"]
    }
    expect(page.get_by_role("heading", level=1)).to_have_text(created["title"])

    # Save it back as one of the organisation's own templates.
    dismiss_notifications(page)
    page.get_by_role("button", name="Save as template").click()
    save = page.get_by_role("dialog", name="Save as template")
    field(save, "Template title").fill("Our demand engine")
    save.get_by_role("button", name="Save template").click()
    expect(save).to_be_hidden()
    mine = org.get("/api/v1/templates", source="organisation")["items"]
    assert [(t["title"], len(t["key_results"])) for t in mine] == [("Our demand engine", 3)]

    # The organisation's own template is deleted from the library, after a confirmation; built-ins offer no delete.
    dismiss_notifications(page)
    page.goto(page.url.split("/objectives/")[0] + "/")
    page.get_by_role("button", name="New from template").click()
    dialog = page.get_by_role("dialog", name=re.compile("^New from template"))
    dialog.get_by_role("button", name=re.compile("^Build a predictable flow of qualified demand")).click()
    expect(dialog.get_by_role("button", name="Create from template")).to_be_visible()
    expect(dialog.get_by_role("button", name="Delete template")).to_have_count(0)
    dialog.get_by_role("button", name="← All templates").click()
    dialog.get_by_role("button", name=re.compile("^Our demand engine")).click()
    dialog.get_by_role("button", name="Delete template").click()
    confirm = dialog.get_by_role("group", name="Delete this template")
    expect(confirm).to_contain_text("Our demand engine")
    check_accessibility(page, "template delete confirmation", within="[role=dialog]")
    confirm.get_by_role("button", name="Keep it").click()
    expect(confirm).to_be_hidden()
    assert len(org.get("/api/v1/templates", source="organisation")["items"]) == 1
    dialog.get_by_role("button", name="Delete template").click()
    confirm.get_by_role("button", name="Delete template").click()
    expect(dialog.get_by_role("button", name=re.compile("^Our demand engine"))).to_have_count(0)
    expect(dialog.get_by_role("region", name="Demand generation")).to_be_visible()
    assert org.get("/api/v1/templates", source="organisation")["items"] == []


def test_kpi_pages_show_status_and_a_recorded_value_moves_it(open_page: OpenPage, api_org: ApiOrg) -> None:
    org = api_org()
    okr_setup(org, 1)
    kpi = org.post(
        "/api/v1/kpis",
        {
            "name": "Marketing-sourced pipeline",
            "unit": "k€",
            "direction": "higher_is_better",
            "healthy_min": 1000,
            "critical_min": 700,
        },
    )
    now = datetime.now(UTC)
    for days, value in ((60, 1200), (30, 1100), (2, 800)):
        recorded = (now - timedelta(days=days)).isoformat()
        org.post(f"/api/v1/kpis/{kpi['id']}/values", {"value": value, "recorded_at": recorded})
    assert org.get(f"/api/v1/kpis/{kpi['id']}")["status"] == "warning"

    page = open_page().page
    sign_in(page, org.email)
    # The scoreboard's KPI panel counts the active KPIs by status.
    panel = page.get_by_role("region", name="KPIs (1)")
    expect(panel.get_by_test_id("kpi-count-warning")).to_have_text("1")
    panel.get_by_role("link", name="All KPIs").click()
    expect(page.get_by_role("heading", level=1, name="KPIs")).to_be_visible()
    row = page.get_by_role("row", name=re.compile("Marketing-sourced pipeline"))
    expect(row).to_contain_text("Warning")
    expect(row).to_contain_text("at least 1,000 k€")
    check_accessibility(page, "KPI list")

    row.get_by_role("link", name="Marketing-sourced pipeline").click()
    expect(page.get_by_role("heading", level=1, name="Marketing-sourced pipeline")).to_be_visible()
    expect(page.locator("[data-kpi-status]").first).to_have_text("Warning")
    chart = page.get_by_test_id("kpi-chart")
    expect(chart.get_by_role("img")).to_have_attribute(
        "aria-label", re.compile("3 values.*Healthy from 1000.*Critical below 700")
    )
    check_accessibility(page, "KPI page")

    record = page.get_by_role("form", name="Record a value")
    field(record, "Value (k€)").fill("650")
    record.get_by_role("button", name="Record value").click()
    expect(page.locator("[data-kpi-status]").first).to_have_text("Critical")
    assert org.get(f"/api/v1/kpis/{kpi['id']}")["status"] == "critical"
    dismiss_notifications(page)
    field(record, "Value (k€)").fill("1250")
    record.get_by_role("button", name="Record value").click()
    expect(page.locator("[data-kpi-status]").first).to_have_text("Healthy")
    fetched = org.get(f"/api/v1/kpis/{kpi['id']}")
    assert (fetched["status"], fetched["latest_value"]) == ("healthy", 1250)
    expect(page.get_by_role("table", name="Values, newest first").get_by_role("row").nth(1)).to_contain_text("1,250")
    screenshot(page, "kpi", docs=True)

    # Editing the range (If-Match) judges the latest value again: 1,250 is below a floor of 1,300.
    dismiss_notifications(page)
    page.get_by_role("button", name="Edit KPI").click()
    edit = page.get_by_role("dialog", name="Edit Marketing-sourced pipeline")
    field(edit, "Healthy from").fill("1300")
    edit.get_by_role("button", name="Save KPI").click()
    expect(edit).to_be_hidden()
    expect(page.locator("[data-kpi-status]").first).to_have_text("Warning")
    assert org.get(f"/api/v1/kpis/{kpi['id']}")["status"] == "warning"

    # A writer creates a KPI from its dialog: lower is better needs the healthy ceiling.
    dismiss_notifications(page)
    page.get_by_role("link", name="← All KPIs").click()
    page.get_by_role("button", name="New KPI").click()
    dialog = page.get_by_role("dialog", name="New KPI")
    field(dialog, "Name").fill("Blended CAC")
    field(dialog, "Unit").fill("€")
    dialog.get_by_label("Direction").select_option("lower_is_better")
    dialog.get_by_role("button", name="Create KPI").click()
    expect(dialog).to_contain_text("Lower is better: give the healthy ceiling")
    check_accessibility(page, "new KPI dialog", within="[role=dialog]")
    field(dialog, "Healthy up to").fill("300")
    field(dialog, "Critical above").fill("400")
    dialog.get_by_role("button", name="Create KPI").click()
    expect(page.get_by_role("heading", level=1, name="Blended CAC")).to_be_visible()
    created = [k for k in org.get("/api/v1/kpis")["items"] if k["name"] == "Blended CAC"]
    assert [(k["direction"], k["healthy_max"], k["critical_max"], k["status"]) for k in created] == [
        ("lower_is_better", 300, 400, None)
    ]

    phone = open_page(PHONE).page
    sign_in(phone, org.email, path="/kpis")
    expect(phone.get_by_role("row", name=re.compile("Marketing-sourced pipeline"))).to_contain_text("Warning")
    assert_fits_width(phone, "KPI list")
    phone.goto(f"/kpis/{kpi['id']}")
    expect(phone.get_by_test_id("kpi-chart")).to_be_visible()
    assert_fits_width(phone, "KPI page")
    check_accessibility(phone, "KPI page at 390 px")


def test_demo_planning_view_and_kpis_match_the_api(open_page: OpenPage, base_url: str) -> None:
    """On the demo organisation: the quarter in planning shows its carried drafts, each measured key result with the
    ambition the API computes for it; the KPI list shows the API's status for each of the five KPIs."""
    with httpx.Client(base_url=base_url, timeout=10) as api:
        login = api.post("/api/v1/auth/login", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD})
        assert login.status_code == 200, login.text
        cycles = api.get("/api/v1/cycles", params={"limit": 200}).json()["items"]
        kpis = api.get("/api/v1/kpis", params={"limit": 200}).json()["items"]
        planned = [c for c in cycles if c["state"] == "planning"]
        report = api.get(f"/api/v1/cycles/{planned[0]['id']}/ambition").json() if planned else None

    page = open_page().page
    sign_in(page, DEMO_EMAIL, DEMO_PASSWORD, path="/kpis")
    for kpi in kpis:
        row = page.get_by_role("row", name=re.compile(re.escape(kpi["name"])))
        expect(row).to_contain_text({"healthy": "Healthy", "warning": "Warning", "critical": "Critical"}[kpi["status"]])
    check_accessibility(page, "demo KPI list")
    if not planned or report is None:
        pytest.skip("today falls in the demo's last quarter: no quarter in planning")
    page.goto(f"/cycles/{planned[0]['id']}/plan")
    expect(page.get_by_role("heading", level=1, name=f"Plan {planned[0]['name']}")).to_be_visible()
    measured = [kr for kr in report["key_results"] if kr["ambition"] is not None]
    assert measured, "the demo's carried drafts have a baseline"
    for kr in measured:
        percent = round(kr["ambition"] * 100)
        sign = "+" if percent > 0 else "−"
        text = "Ambition 0 %" if percent == 0 else f"Ambition {sign}{abs(percent)} % on last period"
        expect(page.locator(f"[data-draft-kr='{kr['title']}']").get_by_test_id("ambition")).to_contain_text(text)
    check_accessibility(page, "demo planning view")
    screenshot(page, "planning-demo", docs=True)


def test_a_key_result_follows_a_kpi_chosen_in_its_form(open_page: OpenPage, api_org: ApiOrg) -> None:
    """The key-result form says how it counts and which KPI it follows; the KPI's next value is checked in on it."""
    org = api_org()
    _, objective = okr_setup(org, 1)
    kr = org.get(f"/api/v1/objectives/{objective['id']}")["key_results"][0]
    kpi = org.post(
        "/api/v1/kpis",
        {"name": "Marketing-qualified leads", "unit": "leads", "direction": "higher_is_better", "healthy_min": 100},
    )

    page = open_page().page
    sign_in(page, org.email)
    page.goto(f"/objectives/{objective['id']}")
    page.get_by_role("button", name=f"More actions for {kr['title']}").click()
    page.get_by_role("menuitem", name="Edit key result").click()
    dialog = page.get_by_role("dialog", name=f"Edit {kr['title']}")
    dialog.get_by_role("combobox", name="Follows KPI").click()
    page.get_by_role("option", name="Marketing-qualified leads (leads)").click()
    dialog.get_by_role("combobox", name="Counts as").click()
    page.get_by_role("option", name=re.compile("^A level")).click()
    check_accessibility(page, "key result form with a KPI to follow", within='[role="dialog"]')
    dialog.get_by_role("button", name="Save key result").click()
    expect(dialog).to_be_hidden()

    saved = org.get(f"/api/v1/key-results/{kr['id']}")
    assert (saved["follows_kpi_id"], saved["accumulation"]) == (kpi["id"], "level")
    org.post(f"/api/v1/kpis/{kpi['id']}/values", {"value": 420})
    assert org.get(f"/api/v1/key-results/{kr['id']}")["current_value"] == 420


def test_a_kpi_is_archived_from_its_page_and_restored(open_page: OpenPage, api_org: ApiOrg) -> None:
    """Archive asks first; an archived KPI takes no values (no form), leaves the list unless shown, and comes back."""
    org = api_org()
    kpi = org.post("/api/v1/kpis", {"name": "CAC", "unit": "€", "direction": "lower_is_better", "healthy_max": 300})
    page = open_page().page
    sign_in(page, org.email, path=f"/kpis/{kpi['id']}")
    expect(page.get_by_role("heading", level=1, name="CAC")).to_be_visible()
    check_accessibility(page, "KPI page with its Archive button")
    page.get_by_role("button", name="Archive").click()
    dialog = page.get_by_role("dialog", name="Archive this KPI?")
    check_accessibility(page, "KPI archive confirmation", within="[role=dialog]")  # its red button's contrast too
    dialog.get_by_role("button", name="Archive").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_text("Archived", exact=True)).to_be_visible()
    expect(page.get_by_role("form", name="Record a value")).to_have_count(0)
    assert org.get(f"/api/v1/kpis/{kpi['id']}")["archived"] is True
    check_accessibility(page, "archived KPI page")

    dismiss_notifications(page)
    page.get_by_role("link", name="All KPIs").click()
    expect(page.get_by_role("heading", level=1, name="KPIs")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("CAC"))).to_have_count(0)
    page.get_by_label("Show archived KPIs").check()
    row = page.get_by_role("row", name=re.compile("CAC"))
    expect(row).to_contain_text("Archived")

    row.get_by_role("link", name="CAC").click()
    page.get_by_role("button", name="Restore").click()
    expect(page.get_by_role("form", name="Record a value")).to_be_visible()
    assert org.get(f"/api/v1/kpis/{kpi['id']}")["archived"] is False
