"""Issue 18 in the web app, in Chromium against a real `sightline demo`: Settings → Members → "Invite by email"
(email, role, team), the open invitations with resend (a new link; the earlier one stops working) and revoke, and
the accept page (`/accept-invitation?token=…`, the link read from the server's mail outbox) showing the invitation
and taking a name and a password, then landing signed in as the new member, in the team. Each page passes axe."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.conftest import (
    PHONE,
    ApiOrg,
    OpenPage,
    assert_fits_width,
    check_accessibility,
    dismiss_notifications,
    field,
    sign_in,
)
from tests.e2e.mail_links import latest_link, superuser_fetch

INVITEE_PASSWORD = "pebble harbour violet compass"


def invite(page: Page, email: str, role: str, team: str | None = None) -> None:
    page.get_by_role("button", name="Invite by email").click()
    dialog = page.get_by_role("dialog", name="Invite by email")
    field(dialog, "Email").fill(email)
    field(dialog, "Role").click()
    page.get_by_role("option", name=role, exact=True).click()
    if team:
        field(dialog, "Team").click()
        page.get_by_role("option", name=team, exact=True).click()
    check_accessibility(page, "invite dialog", within="[role=dialog]")
    dialog.get_by_role("button", name="Send the invitation").click()
    expect(dialog).to_be_hidden()


def test_invite_resend_revoke_and_accept(open_page: OpenPage, api_org: ApiOrg) -> None:
    org = api_org("Harbour Foods")
    team = org.post("/api/v1/teams", {"name": "Field marketing"})
    page = open_page().page
    sign_in(page, org.email, path="/settings/members")
    expect(page.get_by_text("No open invitations")).to_be_visible()

    invitee, other = "ines-invited@example.test", "oscar-other@example.test"
    invite(page, invitee, "Admin", "Field marketing")
    invite(page, other, "Viewer")
    table = page.get_by_role("table", name="Open invitations")
    expect(table.get_by_role("row")).to_have_count(3)  # the header and two invitations
    row = table.get_by_role("row").filter(has_text=invitee)
    expect(row).to_contain_text("admin")
    expect(row).to_contain_text("Field marketing")
    check_accessibility(page, "members with invitations")

    # Resend: a new link; the first one stops working.
    first_link = latest_link(org.base_url, invitee, "/accept-invitation")
    # One resend a minute: the first link was sent two minutes ago (moved back in the database, not waited for).
    superuser_fetch(
        org.base_url,
        "UPDATE invitations SET sent_at = sent_at - interval '2 minutes' WHERE email = $1 RETURNING id",
        invitee,
    )
    row.get_by_role("button", name=f"Resend the invitation of {invitee}").click()
    expect(page.get_by_text(f"A new link is on its way to {invitee}")).to_be_visible()
    link = latest_link(org.base_url, invitee, "/accept-invitation")
    assert link != first_link

    # Revoke the other one: it leaves the list.
    dismiss_notifications(page)
    table.get_by_role("button", name=f"Revoke the invitation of {other}").click()
    expect(table.get_by_role("row").filter(has_text=other)).to_have_count(0)
    expect(table.get_by_role("row")).to_have_count(2)

    stale = open_page(viewport=PHONE).page
    stale.goto(first_link)
    expect(stale.get_by_role("alert").filter(has_text="This invitation link does not work")).to_contain_text(
        "not valid"
    )
    assert_fits_width(stale, "accept invitation, dead link")
    check_accessibility(stale, "accept invitation, dead link")

    guest = open_page().page
    guest.goto(link)
    expect(guest.get_by_role("heading", name="Join Harbour Foods", level=1)).to_be_visible()
    facts = guest.get_by_role("table", name="The invitation")
    expect(facts).to_contain_text(invitee)
    expect(facts).to_contain_text("admin")
    field(guest, "Your name").fill("Ines Invited")
    field(guest, "Password").fill(INVITEE_PASSWORD)
    expect(guest.get_by_test_id("password-strength")).to_be_visible()
    check_accessibility(guest, "accept invitation")
    guest.get_by_role("button", name="Accept and sign in").click()
    guest.wait_for_url(re.compile(r"/scoreboard"))
    expect(guest.get_by_role("button", name="Account: Ines Invited")).to_be_visible()

    # The new member is an admin of the organisation, in the team; the invitation is no longer open.
    members = org.get("/api/v1/members", limit=200)["items"]
    joined = next(m for m in members if m["email"] == invitee)
    assert joined["role"] == "admin"
    assert joined["id"] in org.get(f"/api/v1/teams/{team['id']}")["member_ids"]
    page.reload()
    expect(page.get_by_text("No open invitations")).to_be_visible()
