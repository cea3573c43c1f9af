"""The trust issue in the web app, in a real browser against a real `sightline demo`: changing one's own password,
an admin resetting a member's password (shown once), the API keys' creator and last use, role pickers that offer
nothing above one's own role.

Each test works in its own organisation; every visited view is checked with axe-core, and every page fails its test on
a console error or a 5xx (see conftest.py).
"""

from __future__ import annotations

import os
import re

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
    field,
    screenshot,
    sign_in,
)

NEW_PASSWORD = "a brand new passphrase 2026"


def add_member(org: ApiSession, name: str, role: str) -> dict[str, str]:
    """A member with a known password, added by the owner through the API."""
    email = f"{name.split()[0].lower()}-{os.urandom(3).hex()}@example.test"
    member = org.post("/api/v1/members", {"name": name, "email": email, "role": role, "password": PASSWORD})
    return {"id": member["id"], "email": email, "name": name}


def sign_out(page: Page, name: str) -> None:
    page.get_by_role("button", name=f"Account: {name}").click()
    page.get_by_role("menuitem", name="Sign out").click()
    page.wait_for_url(re.compile(r"/sign-in"))


def test_change_own_password_then_sign_in_with_it(open_page: OpenPage, api_org: ApiOrg) -> None:
    org = api_org()
    # Another session of the same person (another browser): it must end with the change.
    other = open_page().page
    sign_in(other, org.email)

    page = open_page(viewport=PHONE).page
    sign_in(page, org.email)
    page.get_by_role("button", name="Account: Olivia Owner").click()
    page.get_by_role("menuitem", name="Your account").click()
    expect(page.get_by_role("heading", name="Your account", level=1)).to_be_visible()
    check_accessibility(page, "account")
    assert_fits_width(page, "account")

    # The rules are checked before anything is sent.
    field(page, "Current password").fill(PASSWORD)
    field(page, "New password").fill("too short")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_text("At least 12 characters (9 so far)")).to_be_visible()
    field(page, "New password").fill(NEW_PASSWORD)
    field(page, "Repeat the new password").fill(NEW_PASSWORD + "!")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_text("Type the new password again, exactly")).to_be_visible()
    check_accessibility(page, "account: password errors")

    field(page, "Repeat the new password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("status").filter(has_text="Password changed")).to_contain_text(
        "Your other sessions were signed out"
    )
    expect(field(page, "Current password")).to_have_value("")
    check_accessibility(page, "account: password changed")
    screenshot(page, "account-password-changed")

    # This browser stays signed in; the other one is sent to the sign-in screen.
    page.reload()
    expect(page.get_by_role("heading", name="Your account", level=1)).to_be_visible()
    other.reload()
    other.wait_for_url(re.compile(r"/sign-in"))

    # The old password no longer opens the door; the new one does.
    assert (
        httpx.post(f"{org.base_url}/api/v1/auth/login", json={"email": org.email, "password": PASSWORD}).status_code
        == 401
    )
    page.set_viewport_size({"width": 1280, "height": 860})
    sign_out(page, "Olivia Owner")
    sign_in(page, org.email, password=NEW_PASSWORD)
    expect(page.get_by_role("button", name="Account: Olivia Owner")).to_be_visible()


def test_admin_resets_a_members_password_and_the_member_signs_in_with_it(open_page: OpenPage, api_org: ApiOrg) -> None:
    org = api_org()
    admin = add_member(org, "Ada Admin", "admin")
    member = add_member(org, "Max Member", "member")
    # The member is signed in somewhere: the reset ends that session.
    member_page = open_page().page
    sign_in(member_page, member["email"])

    watched = open_page()
    page = watched.page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    sign_in(page, admin["email"], path="/settings/members")
    table = page.get_by_role("table", name="Members")
    expect(table).to_contain_text("Max Member")
    # Not offered for the owner (only that owner or the operator changes it), nor for oneself.
    expect(table.get_by_role("button", name=re.compile(r"^Reset password"))).to_have_count(1)
    expect(table.get_by_role("button", name="Reset password of Olivia Owner")).to_have_count(0)
    expect(table.get_by_role("button", name="Reset password of Ada Admin")).to_have_count(0)

    table.get_by_role("button", name="Reset password of Max Member").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("signed out everywhere")
    check_accessibility(page, "members: confirm reset", within="[role=dialog]")
    dialog.get_by_role("button", name="Reset password", exact=True).click()
    expect(dialog.get_by_role("status")).to_contain_text("cannot be shown again")
    shown = dialog.get_by_test_id("reset-password").inner_text().strip()
    assert len(shown) >= 10
    dialog.get_by_role("button", name="Copy password").click()
    expect(dialog.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("() => navigator.clipboard.readText()") == shown
    check_accessibility(page, "members: new password", within="[role=dialog]")
    screenshot(page, "members-password-reset")
    dialog.get_by_role("button", name="I have passed it on").click()
    expect(dialog).to_have_count(0)
    assert shown not in page.content()

    # The member's old session has ended; the shown password signs them in, the old one does not.
    member_page.reload()
    member_page.wait_for_url(re.compile(r"/sign-in"))
    assert (
        httpx.post(
            f"{org.base_url}/api/v1/auth/login", json={"email": member["email"], "password": PASSWORD}
        ).status_code
        == 401
    )
    sign_in(member_page, member["email"], password=shown)
    expect(member_page.get_by_role("button", name="Account: Max Member")).to_be_visible()


def test_api_keys_show_their_creator_and_last_use(open_page: OpenPage, api_org: ApiOrg) -> None:
    org = api_org()
    admin = add_member(org, "Ada Admin", "admin")
    created = org.post("/api/v1/api-keys", {"name": "HubSpot sync", "scopes": ["read"]})

    page = open_page().page
    sign_in(page, admin["email"], path="/settings/api-keys")
    row = page.get_by_role("table", name="API keys").get_by_role("row").filter(has_text="HubSpot sync")
    expect(row.get_by_test_id("api-key-creator")).to_have_text("Olivia Owner")
    expect(row).to_contain_text("never")
    check_accessibility(page, "settings: API keys with creator")

    # One call with the key, and the list says it was used just now.
    response = httpx.get(f"{org.base_url}/api/v1/me", headers={"Authorization": f"Bearer {created['secret']}"})
    assert response.status_code == 200
    page.reload()
    expect(row.get_by_test_id("api-key-creator")).to_have_text("Olivia Owner")
    expect(row).to_contain_text("just now")
    expect(row).not_to_contain_text("never")

    # A key the admin makes in the web app names the admin.
    page.get_by_role("button", name="Create API key").click()
    dialog = page.get_by_role("dialog")
    field(dialog, "Name").fill("Sheet export")  # type: ignore[arg-type]
    dialog.get_by_role("button", name="Create key").click()
    dialog.get_by_role("button", name="I have stored it").click()
    mine = page.get_by_role("table", name="API keys").get_by_role("row").filter(has_text="Sheet export")
    expect(mine.get_by_test_id("api-key-creator")).to_have_text("Ada Admin")


def test_an_admins_role_pickers_offer_no_owner(open_page: OpenPage, api_org: ApiOrg) -> None:
    org = api_org()
    admin = add_member(org, "Ada Admin", "admin")
    add_member(org, "Max Member", "member")

    page = open_page(viewport=PHONE).page
    sign_in(page, admin["email"], path="/settings/members")
    table = page.get_by_role("table", name="Members")
    expect(table).to_contain_text("Max Member")
    check_accessibility(page, "members as admin (phone)")
    assert_fits_width(page, "members as admin (phone)")

    # The owner's role is shown, not offered for change; the member's picker stops at admin.
    expect(table.get_by_role("combobox", name="Role of Olivia Owner")).to_have_count(0)
    table.get_by_role("combobox", name="Role of Max Member").click()
    options = page.get_by_role("listbox", name="Role of Max Member").get_by_role("option")
    expect(options).to_have_text(["Admin", "Member", "Viewer"])
    page.keyboard.press("Escape")

    # The same in the add-member dialog.
    page.get_by_role("button", name="Add member").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("combobox", name=re.compile(r"^Role")).click()
    expect(page.get_by_role("listbox").get_by_role("option")).to_have_text(["Admin", "Member", "Viewer"])
    page.keyboard.press("Escape")
    check_accessibility(page, "members: add as admin", within="[role=dialog]")

    # An owner's picker offers all four.
    owner_page = open_page().page
    sign_in(owner_page, org.email, path="/settings/members")
    owner_page.get_by_role("combobox", name="Role of Max Member").click()
    expect(owner_page.get_by_role("listbox", name="Role of Max Member").get_by_role("option")).to_have_text(
        ["Owner", "Admin", "Member", "Viewer"]
    )
