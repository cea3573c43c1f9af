"""Issue 18 in the web app, in Chromium against a real `sightline demo`: the notification bell (its unread count from
the API, the inbox newest first with "Load more", a click marking one read and opening what it is about, "Mark all
read", Escape closing it), the notification preferences page (every member; only the changed kinds are sent) and the
admins' mail delivery log. Each view passes axe; the bell and the preferences fit 390 px."""

from __future__ import annotations

import re
from uuid import UUID

import httpx
from playwright.sync_api import Page, expect

from tests.e2e.conftest import (
    PASSWORD,
    PHONE,
    ApiOrg,
    ApiSession,
    OpenPage,
    assert_fits_width,
    check_accessibility,
    dismiss_notifications,
    okr_setup,
    screenshot,
    sign_in,
)
from tests.e2e.mail_links import superuser_fetch


def add_member(org: ApiSession, name: str = "Jane Doe") -> tuple[dict, httpx.Client]:
    """A member of `org` and an API client signed in as them."""
    email = f"{name.split()[0].lower()}-{org.email}"
    member = org.post("/api/v1/members", {"name": name, "email": email, "role": "member", "password": PASSWORD})
    client = httpx.Client(base_url=org.base_url, headers={"Origin": org.base_url}, timeout=10)
    login = client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200, login.text
    return member, client


def post_comment(client: httpx.Client, objective_id: str, body: str) -> None:
    posted = client.post("/api/v1/comments", json={"target_type": "objective", "target_id": objective_id, "body": body})
    assert posted.status_code == 201, posted.text


def bell(page: Page):
    return page.get_by_role("button", name=re.compile(r"^Notifications"))


def test_bell_inbox_marks_read_and_navigates(open_page: OpenPage, api_org: ApiOrg) -> None:
    org = api_org()
    _, objective = okr_setup(org, 1)
    _, jane = add_member(org)
    # A mention of the owner (`mentioned`), then a comment on the owner's objective (`comment_on_owned`).
    post_comment(jane, objective["id"], f"Can you look, @[Olivia Owner](user:{org.member_id})?")
    post_comment(jane, objective["id"], "The numbers moved this week")
    assert org.get("/api/v1/me/notifications/unread-count") == {"unread_count": 2}

    page = open_page().page
    sign_in(page, org.email)
    expect(bell(page)).to_have_accessible_name("Notifications, 2 unread")
    expect(page.get_by_test_id("notification-badge")).to_have_text("2")
    check_accessibility(page, "scoreboard with the bell")

    bell(page).click()
    inbox = page.get_by_role("dialog", name="Notifications", exact=True)
    expect(inbox).to_be_visible()
    items = inbox.get_by_test_id("notification")
    expect(items).to_have_count(2)
    # Newest first, both unread.
    expect(items.nth(0)).to_contain_text("Jane Doe commented")
    expect(items.nth(1)).to_contain_text("Jane Doe mentioned you")
    expect(inbox.locator("[data-unread=true]")).to_have_count(2)
    check_accessibility(page, "notification inbox", within="[role=dialog]")
    screenshot(page, "notification-inbox", full_page=False)
    # Escape closes it and gives the focus back to the bell.
    page.keyboard.press("Escape")
    expect(inbox).to_be_hidden()
    expect(bell(page)).to_be_focused()

    # A click marks it read and opens what it is about; the count drops.
    bell(page).click()
    inbox.get_by_test_id("notification").filter(has_text="mentioned you").click()
    page.wait_for_url(f"**/objectives/{objective['id']}")
    expect(inbox).to_be_hidden()
    expect(bell(page)).to_have_accessible_name("Notifications, 1 unread")
    page_items = org.get("/api/v1/me/notifications")["items"]
    assert [item["read_at"] is None for item in page_items] == [True, False]

    bell(page).click()
    expect(inbox.locator("[data-unread=true]")).to_have_count(1)
    inbox.get_by_role("button", name="Mark all read").click()
    expect(bell(page)).to_have_accessible_name("Notifications, none unread")
    expect(page.get_by_test_id("notification-badge")).to_have_count(0)
    expect(inbox.locator("[data-unread=true]")).to_have_count(0)
    assert org.get("/api/v1/me/notifications/unread-count") == {"unread_count": 0}
    jane.close()


def test_inbox_loads_more_and_fits_a_phone(open_page: OpenPage, api_org: ApiOrg) -> None:
    org = api_org()
    _, objective = okr_setup(org, 1)
    _, jane = add_member(org)
    for index in range(22):
        post_comment(jane, objective["id"], f"Update number {index + 1:02d}")
    jane.close()
    assert org.get("/api/v1/me/notifications/unread-count") == {"unread_count": 22}

    page = open_page(viewport=PHONE).page
    sign_in(page, org.email)
    expect(bell(page)).to_have_accessible_name("Notifications, 22 unread")
    bell(page).click()
    inbox = page.get_by_role("dialog", name="Notifications", exact=True)
    items = inbox.get_by_test_id("notification")
    expect(items).to_have_count(20)
    expect(items.first).to_contain_text("Update number 22")
    assert_fits_width(page, "notification inbox at 390 px")
    check_accessibility(page, "notification inbox on a phone", within="[role=dialog]")
    inbox.get_by_role("button", name="Load more").click()
    expect(items).to_have_count(22)
    expect(items.last).to_contain_text("Update number 01")
    expect(inbox.get_by_role("button", name="Load more")).to_have_count(0)


def test_preferences_page_saves_only_the_changed_kinds(open_page: OpenPage, api_org: ApiOrg) -> None:
    org = api_org()
    _, jane = add_member(org)
    page = open_page().page
    sign_in(page, f"jane-{org.email}", path="/settings/notifications")
    form = page.get_by_role("form", name="Notifications")
    mention = form.get_by_role("combobox", name="Channel for: Someone mentions you in a comment")
    expect(mention).to_have_value("In the app and by email")
    expect(form.get_by_role("button", name="Save")).to_be_disabled()
    check_accessibility(page, "notification preferences")
    screenshot(page, "notification-preferences")

    # Meanwhile another client turns mentions off: the page sends only what it changed, so that stays.
    assert jane.put("/api/v1/me/notification-preferences", json={"mentioned": "off"}).status_code == 200
    form.get_by_role("combobox", name="Channel for: A comment on an objective or key result you own").click()
    page.get_by_role("option", name="Off", exact=True).click()
    form.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Notification settings saved")).to_be_visible()
    expect(form.get_by_role("button", name="Save")).to_be_disabled()
    saved = jane.get("/api/v1/me/notification-preferences").json()
    assert saved["comment_on_owned"] == "off"
    assert saved["mentioned"] == "off"
    assert saved["key_result_status"] == "in_app"
    # The page shows what the server answered, the other client's change included.
    expect(mention).to_have_value("Off")

    # Still there after a reload: read back from the server.
    dismiss_notifications(page)
    page.reload()
    expect(
        page.get_by_role("combobox", name="Channel for: A comment on an objective or key result you own")
    ).to_have_value("Off")
    jane.close()


def test_preferences_page_fits_a_phone(open_page: OpenPage, api_org: ApiOrg) -> None:
    org = api_org()
    page = open_page(viewport=PHONE).page
    sign_in(page, org.email, path="/settings/notifications")
    expect(page.get_by_role("form", name="Notifications")).to_be_visible()
    assert_fits_width(page, "notification preferences at 390 px")
    check_accessibility(page, "notification preferences on a phone")


def test_admin_reads_the_mail_log_and_a_member_does_not(open_page: OpenPage, api_org: ApiOrg) -> None:
    org = api_org()
    _, objective = okr_setup(org, 1)
    _, jane = add_member(org)
    # A mention emails the owner at once (the default for `mentioned`); the demo has no SMTP, so it is logged.
    post_comment(jane, objective["id"], f"Your call, @[Olivia Owner](user:{org.member_id})")
    queued = next(m for m in org.get("/api/v1/mail/messages")["items"] if m["kind"] == "notification.mentioned")
    assert queued["to"] == org.email and queued["status"] == "pending" and queued["body_text"] is None
    # This server's sender job does not run in its process (conftest.py): do what it does without SMTP, log it.
    superuser_fetch(
        org.base_url,
        "UPDATE mail_outbox SET status = 'logged', attempts = attempts + 1, sent_at = now() WHERE id = $1",
        UUID(queued["id"]),
    )
    messages = org.get("/api/v1/mail/messages")["items"]
    mention = next(m for m in messages if m["id"] == queued["id"])
    assert mention["status"] == "logged" and mention["body_text"]

    page = open_page().page
    sign_in(page, org.email, path="/settings/organisation")
    page.get_by_role("tab", name="Mail log").click()
    page.wait_for_url("**/settings/mail")
    log = page.get_by_role("table", name="Mail delivery log")
    expect(log.get_by_role("row")).to_have_count(len(messages) + 1)
    row = log.get_by_role("row").filter(has_text=mention["subject"])
    expect(row).to_contain_text(org.email)
    expect(row).to_contain_text("Logged")
    check_accessibility(page, "mail log")
    row.get_by_role("button", name=mention["subject"]).click()
    panel = page.get_by_role("dialog", name=mention["subject"])
    expect(panel.get_by_test_id("mail-body")).to_have_text(mention["body_text"].strip())
    check_accessibility(page, "a logged message", within="[role=dialog]")
    screenshot(page, "mail-log-message")
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    page.set_viewport_size(PHONE)
    # Laid out afresh at phone width (a resize leaves the page a frame behind).
    page.reload()
    expect(log).to_be_visible()
    assert_fits_width(page, "mail log at 390 px")
    check_accessibility(page, "mail log on a phone")

    # A member sees no mail log tab, the page says it is the admins', and the API refuses them.
    member = open_page().page
    sign_in(member, f"jane-{org.email}", path="/settings/notifications")
    expect(member.get_by_role("tab", name="Notifications")).to_be_visible()
    expect(member.get_by_role("tab", name="Mail log")).to_have_count(0)
    member.goto("/settings/mail")
    expect(member.get_by_role("heading", name="The mail log is for admins")).to_be_visible()
    assert jane.get("/api/v1/mail/messages").status_code == 403
    jane.close()


def test_a_reminder_opens_its_key_result_and_a_summary_its_team(open_page: OpenPage, api_org: ApiOrg) -> None:
    """The paths the scheduled notifications carry: `/my-check-ins?key_result=` marks that row and puts the cursor
    in its value; `/review?team=` opens the review on that team rather than the person's own."""
    org = api_org()
    _, objective = okr_setup(org, 3)
    asked = org.get(f"/api/v1/objectives/{objective['id']}")["key_results"][2]
    org.post("/api/v1/teams", {"name": "Brand"})
    field_marketing = org.post("/api/v1/teams", {"name": "Field marketing"})

    page = open_page().page
    sign_in(page, org.email)
    page.goto(f"/my-check-ins?key_result={asked['id']}")
    row = page.locator('[data-testid="my-checkin-row"][data-focused="true"]')
    expect(row).to_have_count(1)
    expect(row).to_contain_text(asked["title"])
    expect(row.get_by_label("Value")).to_be_focused()
    check_accessibility(page, "my check-ins opened by a reminder")

    page.goto(f"/review?team={field_marketing['id']}")
    expect(page.get_by_role("combobox", name="Team")).to_have_value("Field marketing")
