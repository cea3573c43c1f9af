"""Issue 18 in the web app, in Chromium against a real `sightline demo`: "Forgot password?" on the sign-in page asks
for an email and says the same thing whatever the email; the link the email carries (`/reset-password?token=…`, read
from the server's mail outbox) sets a new password with the strength meter, sends the person to sign in, and works
once; the old password stops working. Each page passes axe (see conftest.py)."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.conftest import PHONE, ApiOrg, OpenPage, assert_fits_width, check_accessibility, field, sign_in
from tests.e2e.mail_links import latest_link, mails_to

NEW_PASSWORD = "lantern orbit meadow quartz"


def ask_for_link(page: Page, email: str) -> str:
    """On the forgot-password page: ask for a link for `email`; returns the confirmation shown."""
    field(page, "Email").fill(email)
    page.get_by_role("button", name="Send the link").click()
    status = page.get_by_role("status").filter(has_text="Check your email")
    expect(status).to_be_visible()
    return status.inner_text().replace(email, "<email>")


def test_forgot_password_answers_the_same_for_any_email(open_page: OpenPage, api_org: ApiOrg) -> None:
    org = api_org()
    page = open_page().page
    page.goto("/sign-in")
    field(page, "Email").fill(org.email)
    page.get_by_role("link", name="Forgot password?").click()
    page.wait_for_url(re.compile(r"/forgot-password"))
    expect(page.get_by_role("heading", name="Forgot your password?", level=1)).to_be_visible()
    # The email typed on the sign-in page comes along.
    expect(field(page, "Email")).to_have_value(org.email)
    check_accessibility(page, "forgot password")

    known = ask_for_link(page, org.email)
    check_accessibility(page, "forgot password, sent")
    page.get_by_role("button", name="Ask again").click()
    unknown_email = "nobody-here@example.test"
    unknown = ask_for_link(page, unknown_email)
    assert known == unknown, (known, unknown)
    # Only the known email got a message.
    assert len(mails_to(org.base_url, org.email)) == 1
    assert mails_to(org.base_url, unknown_email) == []


def test_reset_link_sets_a_new_password_once(open_page: OpenPage, api_org: ApiOrg) -> None:
    org = api_org()
    assert org.client.post("/api/v1/password-reset", json={"email": org.email}).status_code == 202
    link = latest_link(org.base_url, org.email, "/reset-password")
    page = open_page().page
    page.goto(link)
    expect(page.get_by_role("heading", name="Set a new password", level=1)).to_be_visible()

    # Two different passwords are caught before the API is asked.
    field(page, "New password").fill(NEW_PASSWORD)
    expect(page.get_by_test_id("password-strength")).to_be_visible()
    field(page, "Repeat the new password").fill(NEW_PASSWORD + "x")
    page.get_by_role("button", name="Set the password").click()
    expect(page.get_by_text("The two passwords differ")).to_be_visible()
    # A password the house rules refuse: the API's reason shows under the field.
    field(page, "New password").fill("short")
    field(page, "Repeat the new password").fill("short")
    page.get_by_role("button", name="Set the password").click()
    expect(field(page, "New password")).to_have_attribute("data-invalid", "true")
    check_accessibility(page, "reset password")

    field(page, "New password").fill(NEW_PASSWORD)
    field(page, "Repeat the new password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set the password").click()
    page.wait_for_url(re.compile(r"/sign-in$"))
    expect(page.get_by_text("Your password is set. Sign in with it.")).to_be_visible()

    # The old password no longer opens the account; the new one does.
    field(page, "Email").fill(org.email)
    field(page, "Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert").filter(has_text="Could not sign in")).to_be_visible()
    sign_in(page, org.email, NEW_PASSWORD)
    expect(page).to_have_url(re.compile(r"/scoreboard"))

    # The link worked once.
    used = open_page().page
    used.goto(link)
    field(used, "New password").fill(NEW_PASSWORD + " again")
    field(used, "Repeat the new password").fill(NEW_PASSWORD + " again")
    used.get_by_role("button", name="Set the password").click()
    alert = used.get_by_role("alert").filter(has_text="This link does not work")
    expect(alert).to_contain_text("already used")
    expect(used.get_by_role("link", name="Ask for a new link")).to_be_visible()
    check_accessibility(used, "reset password, dead link")


def test_pages_on_a_phone_and_a_link_without_token(open_page: OpenPage) -> None:
    page = open_page(viewport=PHONE).page
    page.goto("/forgot-password")
    expect(page.get_by_role("heading", name="Forgot your password?", level=1)).to_be_visible()
    assert_fits_width(page, "forgot password")
    page.goto("/reset-password")
    expect(page.get_by_role("alert")).to_contain_text("This link is incomplete")
    expect(page.get_by_role("link", name="Ask for a new link")).to_be_visible()
    expect(page.get_by_role("button", name="Set the password")).to_have_count(0)
    assert_fits_width(page, "reset password without a token")
    check_accessibility(page, "reset password without a token")
