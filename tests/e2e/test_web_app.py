"""The web app in a real browser against a real `sightline serve`: the issue's acceptance paths.

Each test works in its own organisation. Every visited view is checked with axe-core, and every page fails its test
on a console error or a 5xx (see conftest.py).
"""

from __future__ import annotations

import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import httpx
from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import (
    PASSWORD,
    PHONE,
    ApiOrg,
    OpenPage,
    assert_fits_width,
    check_accessibility,
    cycle_dates,
    dismiss_notifications,
    field,
    okr_setup,
    open_chart,
    screenshot,
    sign_in,
)


def pick(scope: Page | Locator, page: Page, label: str, option: str) -> None:
    """Choose `option` in the Mantine select (a combobox) labelled `label` inside `scope`."""
    scope.get_by_role("combobox", name=re.compile(rf"^{re.escape(label)}( \*)?$")).click()
    page.get_by_role("option", name=option, exact=True).click()


def test_new_user_builds_okrs_and_checks_in_through_the_ui(open_page: OpenPage) -> None:
    page = open_page().page
    page.goto("/sign-up")
    check_accessibility(page, "sign-up")
    field(page, "Organisation").fill("Northwind Marketing")
    field(page, "Your name").fill("Nina North")
    field(page, "Work email").fill("nina@northwind.example")
    field(page, "Password").fill(PASSWORD)
    page.get_by_role("button", name="Create organisation").click()
    expect(page.get_by_role("heading", name="Start with a cycle")).to_be_visible()
    check_accessibility(page, "scoreboard without cycles")

    # A team for the team objective.
    page.get_by_role("link", name="Settings", exact=True).click()
    page.get_by_role("tab", name="Teams").click()
    expect(page.get_by_role("heading", name="No teams yet")).to_be_visible()
    page.get_by_role("button", name="New team").click()
    dialog = page.get_by_role("dialog")
    field(dialog, "Name").fill("Marketing")  # type: ignore[arg-type]
    dialog.get_by_role("button", name="Create team").click()
    expect(page.get_by_role("cell", name="Marketing", exact=True)).to_be_visible()

    # The cycle.
    page.get_by_role("link", name="Scoreboard", exact=True).click()
    page.get_by_role("button", name="New cycle").click()
    start, end = cycle_dates()
    dialog = page.get_by_role("dialog")
    field(dialog, "Name").fill("FY2026")  # type: ignore[arg-type]
    field(dialog, "First day").fill(start)  # type: ignore[arg-type]
    field(dialog, "Last day").fill(end)  # type: ignore[arg-type]
    dialog.get_by_role("button", name="Create cycle").click()
    expect(page.get_by_role("heading", name="No objectives in FY2026 yet")).to_be_visible()

    # The company objective.
    page.get_by_role("button", name="New objective").first.click()
    dialog = page.get_by_role("dialog")
    field(dialog, "Objective").fill("Grow revenue 30 %")  # type: ignore[arg-type]
    dialog.get_by_text("Company", exact=True).click()
    dialog.get_by_role("button", name="Create objective").click()
    expect(page.get_by_test_id("objective-title")).to_have_text("Grow revenue 30 %")

    # The team objective.
    page.get_by_role("link", name="Scoreboard", exact=True).click()
    page.get_by_role("button", name="New objective").click()
    dialog = page.get_by_role("dialog")
    field(dialog, "Objective").fill("Make marketing the engine of pipeline")  # type: ignore[arg-type]
    pick(dialog, page, "Team", "Marketing")
    dialog.get_by_role("button", name="Create objective").click()
    expect(page.get_by_test_id("objective-title")).to_have_text("Make marketing the engine of pipeline")
    check_accessibility(page, "objective page without key results")

    # A key result with a stretch and last period's value (the seed example of docs/concepts.md).
    page.get_by_role("button", name="Add key result").click()
    dialog = page.get_by_role("dialog")
    field(dialog, "Key result").fill("Marketing-sourced leads")  # type: ignore[arg-type]
    field(dialog, "Unit").fill("leads")  # type: ignore[arg-type]
    field(dialog, "Start").fill("0")  # type: ignore[arg-type]
    field(dialog, "Target").fill("18000")  # type: ignore[arg-type]
    field(dialog, "Stretch").fill("24000")  # type: ignore[arg-type]
    field(dialog, "Previous period").fill("12000")  # type: ignore[arg-type]
    dialog.get_by_role("button", name="Create key result").click()
    card = page.get_by_test_id("key-result")
    expect(card.get_by_role("heading", name="Marketing-sourced leads")).to_be_visible()
    expect(card.get_by_text("stretch 24,000 leads")).to_be_visible()
    expect(card.get_by_text("last period 12,000 leads")).to_be_visible()

    # Two check-ins: half the target, then beyond it (score 0.7 + 0.3 × 3,000/6,000 = 0.85).
    for value, confidence, current, score in (
        ("9000", "7", "9,000 leads", "0.35"),
        ("21000", "8", "21,000 leads", "0.85"),
    ):
        field(page, "New value").fill(value)
        field(page, "Confidence (0–10)").fill(confidence)
        field(page, "Note").fill(f"Pipeline review: {value}")
        card.get_by_role("button", name="Check in", exact=True).click()
        expect(card.get_by_test_id("kr-current")).to_have_text(current)
        expect(card.get_by_test_id("kr-score")).to_have_text(score)
        dismiss_notifications(page)
    expect(page.get_by_test_id("objective-score")).to_have_text("0.85")
    card.get_by_role("tab", name=re.compile("^History")).click()
    expect(card.get_by_test_id("checkin-history").locator("tbody tr")).to_have_count(2)
    check_accessibility(page, "objective page: history")
    open_chart(card)
    check_accessibility(page, "objective page: chart")
    screenshot(page, "new-user-objective")

    # The scoreboard shows both objectives, the team one done with score 0.85 under Marketing.
    page.get_by_role("link", name="Scoreboard", exact=True).click()
    expect(page.get_by_test_id("count-all")).to_have_text("2")
    marketing = page.get_by_role("region", name="Marketing")
    row = marketing.get_by_test_id("scoreboard-row")
    expect(row.get_by_role("link")).to_have_text("Make marketing the engine of pipeline")
    expect(row.get_by_text("0.85")).to_be_visible()
    expect(row.get_by_text("Done", exact=True)).to_be_visible()
    expect(page.get_by_test_id("count-done")).to_have_text("1")
    check_accessibility(page, "scoreboard")
    screenshot(page, "new-user-scoreboard")

    # Sign out ends the session: a deep link asks for sign-in again.
    page.get_by_role("button", name=re.compile("^Account")).click()
    page.get_by_role("menuitem", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.goto("/my-check-ins")
    expect(page).to_have_url(re.compile(r"/sign-in\?next=%2Fmy-check-ins$"))
    check_accessibility(page, "sign-in")


def test_second_editor_sees_a_conflict_instead_of_overwriting(open_page: OpenPage, api_org: ApiOrg) -> None:
    org = api_org()
    _, objective = okr_setup(org, key_results=1)
    first, second = open_page().page, open_page().page
    for page in (first, second):
        sign_in(page, org.email, path=f"/objectives/{objective['id']}")
        expect(page.get_by_test_id("objective-title")).to_have_text("Win the mid-market")
        page.get_by_role("button", name="Edit", exact=True).click()

    field(first, "Objective").fill("Win the mid-market in DACH")
    first.get_by_role("button", name="Save objective").click()
    expect(first.get_by_test_id("objective-title")).to_have_text("Win the mid-market in DACH")

    field(second, "Objective").fill("Win the enterprise segment")
    second.get_by_role("button", name="Save objective").click()
    conflict = second.get_by_test_id("edit-conflict")
    expect(conflict).to_be_visible()
    expect(conflict).to_contain_text("Win the mid-market in DACH")
    check_accessibility(second, "objective page: edit conflict")
    assert org.get(f"/api/v1/objectives/{objective['id']}")["title"] == "Win the mid-market in DACH"

    # Re-applying on top of their version is a deliberate second step, with the new ETag.
    second.get_by_role("button", name="Edit their version").click()
    expect(field(second, "Objective")).to_have_value("Win the mid-market in DACH")
    field(second, "Objective").fill("Win the mid-market in DACH and Benelux")
    second.get_by_role("button", name="Save objective").click()
    expect(second.get_by_test_id("objective-title")).to_have_text("Win the mid-market in DACH and Benelux")
    assert org.get(f"/api/v1/objectives/{objective['id']}")["version"] == objective["version"] + 2


def test_api_key_secret_is_shown_once_and_settings_views(open_page: OpenPage, api_org: ApiOrg) -> None:
    org = api_org()
    page = open_page().page
    sign_in(page, org.email, path="/settings")
    for tab in ("Organisation", "Members", "Teams", "Cycles", "API keys"):
        page.get_by_role("tab", name=tab).click()
        expect(page.get_by_role("tab", name=tab)).to_have_attribute("aria-selected", "true")
        page.get_by_role("status").filter(has_text="Loading").wait_for(state="detached")
        check_accessibility(page, f"settings: {tab}")

    page.get_by_role("button", name="Create API key").click()
    dialog = page.get_by_role("dialog")
    field(dialog, "Name").fill("HubSpot sync")  # type: ignore[arg-type]
    dialog.get_by_role("button", name="Create key").click()
    secret = page.get_by_test_id("api-key-secret").inner_text().strip()
    assert secret.startswith("sl_")
    expect(dialog.get_by_role("button", name="Copy key")).to_be_visible()
    check_accessibility(page, "settings: new API key")
    screenshot(page, "api-key-created", docs=True)

    # The key works, and its secret never comes back: not after closing, not after a reload.
    assert httpx.get(f"{org.base_url}/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    dialog.get_by_role("button", name="I have stored it").click()
    expect(page.get_by_role("table", name="API keys")).to_contain_text("HubSpot sync")
    assert secret not in page.content()
    page.reload()
    expect(page.get_by_role("table", name="API keys")).to_contain_text("HubSpot sync")
    assert secret not in page.content()
    assert secret[:12] not in page.content() or secret[:12] in page.get_by_role("table").inner_text()


def test_my_check_ins_saves_ten_values_in_one_batch(open_page: OpenPage, api_org: ApiOrg) -> None:
    org = api_org()
    _, objective = okr_setup(org, key_results=10)
    page = open_page().page
    writes: list[str] = []
    page.on("request", lambda request: request.method == "POST" and writes.append(request.url))
    sign_in(page, org.email, path="/my-check-ins")
    rows = page.get_by_test_id("my-checkin-row")
    expect(rows).to_have_count(10)
    check_accessibility(page, "my check-ins")

    for index in range(10):
        row = rows.nth(index)
        field(row, "Value").fill(str(100 * (index + 1)))  # type: ignore[arg-type]
        field(row, "Confidence").fill(str(index % 11))  # type: ignore[arg-type]
    field(rows.nth(0), "Note").fill("Webinar week")  # type: ignore[arg-type]
    screenshot(page, "my-check-ins-ten")
    writes.clear()
    page.get_by_role("button", name="Save 10 check-ins").click()
    expect(page.get_by_text("Saved 10 check-ins")).to_be_visible()
    assert [url.split("/api/v1/")[1] for url in writes] == ["check-ins:batch"]

    saved = org.get(f"/api/v1/objectives/{objective['id']}")["key_results"]
    by_title = {kr["title"]: kr for kr in saved}
    # Rows are ordered by status, then title; the value typed in each row belongs to that row's key result.
    for index in range(10):
        title = rows.nth(index).locator("legend").inner_text()
        assert by_title[title]["current_value"] == 100 * (index + 1)
        assert by_title[title]["latest_confidence"] == index % 11
    expect(page.get_by_role("button", name=re.compile("^Save"))).to_be_disabled()


def test_views_work_at_phone_width(open_page: OpenPage, api_org: ApiOrg) -> None:
    org = api_org()
    _, objective = okr_setup(org, key_results=3)
    kr = org.get(f"/api/v1/objectives/{objective['id']}")["key_results"][0]
    org.post("/api/v1/check-ins", {"key_result_id": kr["id"], "value": 40, "confidence": 6})
    page = open_page(viewport=PHONE).page
    sign_in(page, org.email)
    for path, view in (
        ("/scoreboard", "scoreboard"),
        (f"/objectives/{objective['id']}", "objective"),
        ("/my-check-ins", "my-check-ins"),
        ("/settings/members", "settings"),
        ("/no-such-page", "not-found"),
    ):
        page.goto(path)
        page.get_by_role("heading", level=1).first.wait_for()
        page.get_by_role("status").filter(has_text="Loading").first.wait_for(state="detached")
        assert_fits_width(page, f"{view} at 390 px")
        check_accessibility(page, f"{view} at 390 px")
        screenshot(page, f"phone-{view}")
    # The navigation lives behind the burger on a phone, and works from the keyboard.
    page.get_by_role("button", name="Toggle navigation").focus()
    page.keyboard.press("Enter")
    page.get_by_role("link", name="My check-ins").click()
    expect(page.get_by_role("heading", name="My check-ins")).to_be_visible()


def test_initiatives_create_link_and_record_spend(open_page: OpenPage, api_org: ApiOrg) -> None:
    org = api_org()
    _, objective = okr_setup(org, key_results=1)
    org.post("/api/v1/initiatives", {"title": "Trade fair stand", "kind": "campaign", "planned_budget": "8000"})
    page = open_page().page
    sign_in(page, org.email, path="/initiatives")
    table = page.get_by_role("table", name="Initiatives")
    expect(table.get_by_text("Unaligned")).to_have_count(1)
    check_accessibility(page, "initiatives")

    page.get_by_role("button", name="New initiative").click()
    dialog = page.get_by_role("dialog")
    field(dialog, "Title").fill("Spring webinar series")  # type: ignore[arg-type]
    field(dialog, "Planned budget").fill("12,000")  # type: ignore[arg-type]
    field(dialog, "Key results it moves").click()  # type: ignore[arg-type]
    page.get_by_role("option", name="Win the mid-market › Channel 01 leads").click()
    page.keyboard.press("Escape")
    dialog.get_by_role("button", name="Create initiative").click()
    expect(table.get_by_role("row").filter(has_text="Spring webinar series")).to_contain_text("€0.00 of €12,000")

    table.get_by_role("button", name="Spring webinar series").click()
    drawer = page.get_by_role("dialog", name="Spring webinar series")
    field(drawer, "Amount").fill("2500")  # type: ignore[arg-type]
    field(drawer, "Note").fill("Speaker fees")  # type: ignore[arg-type]
    drawer.get_by_role("button", name="Record spend").click()
    expect(drawer.get_by_test_id("spend-entries")).to_contain_text("€2,500")
    check_accessibility(page, "initiative drawer")
    page.keyboard.press("Escape")
    expect(table.get_by_role("row").filter(has_text="Spring webinar series")).to_contain_text("€2,500 of €12,000")
    expect(page.get_by_test_id("unallocated-spend")).to_have_text("€0.00")

    page.get_by_label("Only unaligned work").check()
    expect(table.get_by_role("row")).to_have_count(2)  # the header and the trade fair
    expect(table).to_contain_text("Trade fair stand")

    page.goto(f"/objectives/{objective['id']}")
    expect(page.get_by_test_id("objective-initiatives")).to_contain_text("€2,500 here")
    saved = org.get("/api/v1/initiatives", linked="true")["items"]
    assert [(i["title"], i["actual_spend"]) for i in saved] == [("Spring webinar series", "2500.00")]


class _Receiver(BaseHTTPRequestHandler):
    received: ClassVar[list[dict[str, str]]] = []

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length).decode()
        self.received.append({"id": self.headers.get("webhook-id", ""), "body": body})
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


def test_webhook_endpoint_secret_ping_and_delivery_log(open_page: OpenPage, api_org: ApiOrg) -> None:
    org = api_org()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    try:
        page = open_page().page
        sign_in(page, org.email, path="/settings/webhooks")
        expect(page.get_by_role("heading", name="No webhook endpoints yet")).to_be_visible()
        check_accessibility(page, "settings: webhooks")
        page.get_by_role("button", name="Add endpoint").click()
        dialog = page.get_by_role("dialog")
        field(dialog, "URL").fill(url)  # type: ignore[arg-type]
        field(dialog, "Description").fill("Team chat bot")  # type: ignore[arg-type]
        dialog.get_by_role("button", name="Add endpoint").click()
        secret = page.get_by_test_id("webhook-secret").inner_text().strip()
        assert secret.startswith("whsec_")
        check_accessibility(page, "settings: new webhook endpoint")
        dialog.get_by_role("button", name="Done").click()
        assert secret not in page.content()

        card = page.get_by_test_id("webhook-endpoint")
        card.get_by_role("button", name="Send test ping").click()
        expect(card.get_by_test_id("ping-result")).to_contain_text("Delivered · HTTP 200")
        assert any("webhook.ping" in item["body"] for item in _Receiver.received)
        check_accessibility(page, "settings: webhook ping result")
        card.get_by_role("button", name="Delivery log").click()
        log = page.get_by_role("table", name="Deliveries")
        expect(log).to_contain_text("webhook.ping")
        check_accessibility(page, "webhook delivery log", within='[role="dialog"]')
        screenshot(page, "webhook-delivery-log")
        page.get_by_role("button", name="Close dialog").click()

        card.get_by_role("button", name="Disable").click()
        expect(card.get_by_text("Disabled", exact=True)).to_be_visible()
        assert org.get("/api/v1/webhook-endpoints")["items"][0]["enabled"] is False
    finally:
        server.shutdown()
        server.server_close()
