"""Settings → Integrations in the browser (issue 14, point 2), at 1440 px and 390 px: data sources tried before
saving, run, failing visibly; SQL connections; Slack/Teams channels with a test message; team digests; single sign-on
for owners only. Every form shows the API's problems on its fields; axe runs on every view and dialog."""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import (
    AXE,
    PHONE,
    ApiOrg,
    ApiSession,
    OpenPage,
    Watched,
    assert_fits_width,
    check_accessibility,
    field,
    okr_setup,
    screenshot,
    sign_in,
)

WIDE = {"width": 1440, "height": 900}


class _Source(BaseHTTPRequestHandler):
    """A report (JSON), a published sheet (CSV) and a chat webhook (Slack) on this machine."""

    received: ClassVar[list[dict[str, Any]]] = []

    def do_GET(self) -> None:
        if self.path.startswith("/report.json"):
            body, kind = json.dumps({"data": {"pipeline": 9400}}).encode(), "application/json"
        else:
            body, kind = b"Month,MQLs\n2026-05,31\n2026-06,44\n", "text/csv"
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        self.received.append({"path": self.path, "body": self.rfile.read(length).decode()})
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def local_source() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Source)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def strict_accessibility(page: Page, view: str) -> None:
    """axe on the whole page (an open dialog included, with the page behind it): no violation of any impact, so a
    dialog's header counted as a second banner landmark fails too. With a dialog open, its own content is checked
    in full, and the page behind the dimming overlay for everything but contrast (it is not meant to be read then)."""
    dialog_open = page.get_by_role("dialog").count() > 0
    if dialog_open:
        check_accessibility(page, view, within='[role="dialog"]')
    else:
        check_accessibility(page, view)
    page.evaluate(AXE.read_text())
    result: dict[str, Any] = page.evaluate(
        "async (dimmed) => await axe.run(document, { resultTypes: ['violations'],"
        " rules: dimmed ? { 'color-contrast': { enabled: false } } : {} })",
        dialog_open,
    )
    assert not result["violations"], f"{view}: " + "; ".join(
        f"{v['impact']} {v['id']}: {[n['target'] for n in v['nodes'][:3]]}" for v in result["violations"]
    )


def forget_unconfigured_sso(watched: Watched) -> None:
    """The page asks for the single sign-on configuration; before there is one the API answers 404 (a handled
    answer: the section offers to configure it), which Chromium logs as a failed resource."""
    watched.problems[:] = [p for p in watched.problems if "status of 404" not in p]


def pick(scope: Page | Locator, page: Page, label: str, option: str) -> None:
    scope.get_by_role("combobox", name=re.compile(rf"^{re.escape(label)}( \*)?$")).click()
    page.get_by_role("option", name=option, exact=True).click()


def _open(open_page: OpenPage, org: ApiSession, viewport: dict[str, int]) -> tuple[Watched, Page]:
    watched = open_page(viewport=viewport)
    page = watched.page
    sign_in(page, org.email, path="/settings/integrations")
    expect(page.get_by_role("heading", name="Data sources", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="No data sources yet")).to_be_visible()
    expect(page.get_by_role("button", name="Save single sign-on")).to_be_visible()
    return watched, page


@pytest.mark.parametrize("viewport", [WIDE, PHONE], ids=["1440px", "390px"])
def test_a_data_source_is_tried_before_saving_runs_and_shows_its_failure(
    open_page: OpenPage, api_org: ApiOrg, local_source: str, viewport: dict[str, int]
) -> None:
    org = api_org()
    okr_setup(org, 2)
    watched, page = _open(open_page, org, viewport)
    forget_unconfigured_sso(watched)
    strict_accessibility(page, "settings: integrations")
    assert_fits_width(page, "integrations")

    page.get_by_role("button", name="Add data source").click()
    dialog = page.get_by_role("dialog", name="Add a data source")
    dialog.get_by_role("button", name="Add data source").click()  # nothing filled: the form's own checks
    expect(dialog.get_by_text("Give the source a label, e.g. crm-pipeline")).to_be_visible()
    expect(dialog.get_by_text("Choose the key result it feeds")).to_be_visible()
    field(dialog, "Label").fill("CRM Pipeline")  # type: ignore[arg-type]
    expect(dialog.get_by_text("Lower-case letters, digits and . _ : - only", exact=False)).to_be_visible()
    field(dialog, "Label").fill("crm-pipeline")  # type: ignore[arg-type]
    pick(dialog, page, "Key result it feeds", "Channel 01 leads")
    field(dialog, "URL").fill(f"{local_source}/report.json")  # type: ignore[arg-type]
    field(dialog, "JSONPath").fill("$[[[")  # type: ignore[arg-type]
    dialog.get_by_role("button", name="Try the source").click()
    # The API's 422 lands on the field it names.
    json_path = field(dialog, "JSONPath")  # type: ignore[arg-type]
    expect(json_path).to_have_attribute("aria-invalid", "true")
    expect(dialog.get_by_text("not a valid JSONPath expression", exact=False).first).to_be_visible()
    json_path.fill("$.data.pipeline")
    dialog.get_by_role("button", name="Try the source").click()
    expect(dialog.get_by_test_id("preview-result")).to_contain_text("A run now would record 9,400 leads")
    assert org.get("/api/v1/integrations")["items"] == []  # trying saved nothing
    strict_accessibility(page, "add data source dialog")
    assert_fits_width(page, "add data source dialog")
    dialog.get_by_role("button", name="Add data source").click()
    expect(dialog).to_be_hidden()

    card = page.get_by_test_id("data-source")
    expect(card).to_contain_text("crm-pipeline")
    expect(card).to_contain_text("Feeds Channel 01 leads")
    expect(card).to_contain_text("Waiting for its first pull")
    card.get_by_role("button", name="Run now").click()
    expect(card.get_by_test_id("run-result")).to_contain_text("Run recorded: 9,400")
    expect(card).to_contain_text("Working")
    expect(card.get_by_test_id("last-run")).to_contain_text("last value 9,400")

    # Edited to a path the report lacks: the next run fails, visibly, with the reason.
    card.get_by_role("button", name="Edit crm-pipeline").click()
    edit = page.get_by_role("dialog", name="Edit crm-pipeline")
    field(edit, "JSONPath").fill("$.data.missing")  # type: ignore[arg-type]
    edit.get_by_role("button", name="Save changes").click()
    expect(edit).to_be_hidden()
    card.get_by_role("button", name="Run now").click()
    expect(card).to_contain_text("Failing")
    expect(card).to_contain_text("the JSONPath $.data.missing matched nothing in the answer")
    card.get_by_role("button", name="Run log").click()
    runs = page.get_by_role("table", name="Runs")
    expect(runs.get_by_role("row")).to_have_count(3)
    expect(runs).to_contain_text("failed")
    expect(runs).to_contain_text("recorded")
    strict_accessibility(page, "run log dialog")
    page.get_by_role("button", name="Close dialog").click()
    kr = next(k for k in org.get("/api/v1/key-results")["items"] if k["title"] == "Channel 01 leads")
    assert (kr["current_value"], kr["data_source"], kr["data_source_status"]) == (9400, "crm-pipeline", "failing")
    if viewport is WIDE:
        screenshot(page, "integrations", docs=True)
    else:
        assert_fits_width(page, "integrations with a source")
        screenshot(page, "integrations-phone")
    forget_unconfigured_sso(watched)


@pytest.mark.parametrize("viewport", [WIDE, PHONE], ids=["1440px", "390px"])
def test_csv_and_sql_sources_chat_channels_and_team_digests(
    open_page: OpenPage, api_org: ApiOrg, local_source: str, viewport: dict[str, int]
) -> None:
    org = api_org()
    okr_setup(org, 1)
    org.post("/api/v1/teams", {"name": "Demand generation"})
    watched, page = _open(open_page, org, viewport)
    forget_unconfigured_sso(watched)

    # A published spreadsheet: the row picked by its month.
    page.get_by_role("button", name="Add data source").click()
    dialog = page.get_by_role("dialog", name="Add a data source")
    field(dialog, "Label").fill("mqls-sheet")  # type: ignore[arg-type]
    pick(dialog, page, "Key result it feeds", "Channel 01 leads")
    dialog.get_by_text("CSV", exact=True).click()
    field(dialog, "URL").fill(f"{local_source}/sheet.csv")  # type: ignore[arg-type]
    field(dialog, "Column").fill("MQLs")  # type: ignore[arg-type]
    pick(dialog, page, "Row", "The row where a column holds a value")
    dialog.get_by_role("button", name="Try the source").click()
    expect(dialog.get_by_text("The column to look in")).to_be_visible()
    field(dialog, "Match column").fill("Month")  # type: ignore[arg-type]
    field(dialog, "Match value").fill("2026-05")  # type: ignore[arg-type]
    dialog.get_by_role("button", name="Try the source").click()
    expect(dialog.get_by_test_id("preview-result")).to_contain_text("A run now would record 31 leads")
    # SQL needs a connection: the form says so, field by field.
    dialog.get_by_text("SQL", exact=True).click()
    dialog.get_by_role("button", name="Add data source").click()
    expect(dialog.get_by_text("Choose a SQL connection (add one below first)")).to_be_visible()
    expect(dialog.get_by_text("Write one SELECT returning one number")).to_be_visible()
    strict_accessibility(page, "add data source dialog (SQL)")
    page.get_by_role("button", name="Cancel").click()

    # A SQL connection to an address the operator does not allow: the API's reason on the field.
    page.get_by_role("button", name="Add SQL connection").click()
    conn = page.get_by_role("dialog", name="Add a SQL connection")
    field(conn, "Name").fill("Warehouse")  # type: ignore[arg-type]
    field(conn, "Connection string").fill("mysql://nope")  # type: ignore[arg-type]
    conn.get_by_role("button", name="Add connection").click()
    expect(conn.get_by_text("A PostgreSQL connection string", exact=False)).to_be_visible()
    field(conn, "Connection string").fill("postgresql://reader:secret@10.1.2.3:5432/warehouse")  # type: ignore[arg-type]
    conn.get_by_role("button", name="Add connection").click()
    expect(field(conn, "Connection string")).to_have_attribute("data-invalid", "true")  # type: ignore[arg-type]
    expect(conn.get_by_role("alert")).to_contain_text("private")
    strict_accessibility(page, "add SQL connection dialog")
    conn.get_by_role("button", name="Cancel").click()

    # A Slack channel from its preset, with a test message that really arrives.
    page.get_by_role("button", name="Add Slack channel").click()
    slack = page.get_by_role("dialog", name="Add a Slack channel")
    expect(slack).to_contain_text("key_result.status_changed")  # the preset's events
    slack.get_by_role("button", name="Add channel").click()
    expect(slack.get_by_text("Paste the channel's webhook URL")).to_be_visible()
    field(slack, "Webhook URL").fill(f"{local_source}/slack")  # type: ignore[arg-type]
    field(slack, "Channel").fill("#marketing-okrs")  # type: ignore[arg-type]
    strict_accessibility(page, "add Slack channel dialog")
    slack.get_by_role("button", name="Add channel").click()
    expect(slack).to_be_hidden()
    chat = page.get_by_test_id("chat-destination")
    expect(chat).to_contain_text("#marketing-okrs")
    chat.get_by_role("button", name="Send test message").click()
    expect(chat.get_by_test_id("test-message-result")).to_contain_text("Test message delivered · HTTP 200")
    sent = [item for item in _Source.received if item["path"] == "/slack"]
    assert sent and "text" in json.loads(sent[-1]["body"])  # Slack's shape, not the standard webhook JSON
    endpoint = org.get("/api/v1/webhook-endpoints")["items"][0]
    assert endpoint["format"] == "slack"

    # The team's weekly digest to that channel: scheduled, previewed, sent now.
    digest_form = page.get_by_role("form", name="Schedule a team digest")
    digest_form.get_by_role("button", name="Schedule digest").click()
    expect(digest_form.get_by_text("Choose a team")).to_be_visible()
    pick(digest_form, page, "Team", "Demand generation")
    pick(digest_form, page, "Send to", "Slack: #marketing-okrs")
    pick(digest_form, page, "Day", "Friday")
    digest_form.get_by_role("button", name="Schedule digest").click()
    row = page.get_by_test_id("team-digest")
    expect(row).to_contain_text("Fridays at 09:00")
    row.get_by_role("button", name="Preview").click()
    expect(page.get_by_test_id("digest-preview")).to_contain_text("At risk or off track")
    strict_accessibility(page, "digest preview dialog")
    page.get_by_role("button", name="Close dialog").click()
    row.get_by_role("button", name="Send now").click()
    expect(page.get_by_text("Demand generation's digest is on its way")).to_be_visible()
    [saved] = org.get("/api/v1/team-digests")["items"]
    assert (saved["weekday"], saved["hour"], saved["endpoint_id"]) == (5, 9, endpoint["id"])
    strict_accessibility(page, "settings: integrations with channels and digests")
    assert_fits_width(page, "integrations with channels and digests")
    forget_unconfigured_sso(watched)


@pytest.mark.parametrize("viewport", [WIDE, PHONE], ids=["1440px", "390px"])
def test_single_sign_on_is_an_owners_form_and_shows_the_apis_problems(
    open_page: OpenPage, api_org: ApiOrg, viewport: dict[str, int]
) -> None:
    org = api_org()
    watched, page = _open(open_page, org, viewport)
    form = page.get_by_role("form", name="Single sign-on provider")
    form.get_by_role("button", name="Save single sign-on").click()
    expect(form.get_by_text("The provider's issuer URL", exact=False)).to_be_visible()
    expect(form.get_by_text("Required when configuring single sign-on")).to_be_visible()
    field(form, "Issuer").fill("http://10.9.8.7/realms/acme")  # type: ignore[arg-type]
    field(form, "Client ID").fill("sightline")  # type: ignore[arg-type]
    field(form, "Client secret").fill("s3cret-value")  # type: ignore[arg-type]
    form.get_by_role("button", name="Save single sign-on").click()
    expect(field(form, "Issuer")).to_have_attribute("aria-invalid", "true")  # type: ignore[arg-type]
    expect(form.get_by_role("alert")).to_contain_text("private")
    field(form, "Issuer").fill("https://accounts.google.com")  # type: ignore[arg-type]
    form.get_by_label("Create a member at first sign-in", exact=False).check()
    form.get_by_role("button", name="Save single sign-on").click()
    expect(form.get_by_text("list at least one", exact=False)).to_be_visible()
    field(form, "Allowed email domains").fill("acme.com")  # type: ignore[arg-type]
    field(form, "Allowed email domains").press("Enter")  # type: ignore[arg-type]
    form.get_by_role("button", name="Save single sign-on").click()
    expect(page.get_by_text("/api/v1/auth/sso/callback")).to_be_visible()
    forget_unconfigured_sso(watched)
    saved = org.get("/api/v1/organisation/sso")
    assert (saved["issuer"], saved["allowed_domains"], saved["auto_create_members"]) == (
        "https://accounts.google.com",
        ["acme.com"],
        True,
    )
    assert "s3cret-value" not in page.content()
    strict_accessibility(page, "settings: single sign-on configured")
    assert_fits_width(page, "single sign-on")

    # An admin sees it and cannot change it; a member sees no integrations at all.
    for role, expected in (
        ("admin", "Only an owner can change single sign-on"),
        ("member", "Integrations are for admins"),
    ):
        email = f"{role}-{os.urandom(4).hex()}@example.test"
        org.post(
            "/api/v1/members",
            {"email": email, "name": f"A {role}", "role": role, "password": "correct horse battery staple"},
        )
        other = open_page(viewport=viewport).page
        sign_in(other, email, path="/settings/integrations")
        expect(other.get_by_text(expected)).to_be_visible()
        expect(other.get_by_role("button", name="Save single sign-on")).to_have_count(0)
        strict_accessibility(other, f"settings: integrations as {role}")
