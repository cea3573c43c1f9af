"""Issue 18 in the web app, in Chromium against a real `sightline demo`: comments on the objective page and in a
key result's panel — write with @mention autocomplete (type @ and part of a name, pick with Enter), the body the API
rendered and sanitised, a reply indented under its comment, an edit marked "(edited)", an admin deleting another
member's comment, and a deleted comment with a reply kept as a tombstone. Each view passes axe."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import (
    PASSWORD,
    ApiOrg,
    OpenPage,
    check_accessibility,
    dismiss_notifications,
    field,
    okr_setup,
    sign_in,
)


def comment(scope: Page | Locator, text: str) -> Locator:
    return scope.get_by_role("article", name=re.compile(r"^Comment by ")).filter(has_text=text)


def test_objective_comments_with_mentions_replies_edits_and_deletes(open_page: OpenPage, api_org: ApiOrg) -> None:
    org = api_org()
    jane = org.post(
        "/api/v1/members", {"name": "Jane Doe", "email": f"jane-{org.email}", "role": "member", "password": PASSWORD}
    )
    _, objective = okr_setup(org, 1)
    # Another member's comment, with raw HTML the API shows as text.
    jane_client = org.client.__class__(base_url=org.base_url, headers={"Origin": org.base_url}, timeout=10)
    login = jane_client.post("/api/v1/auth/login", json={"email": f"jane-{org.email}", "password": PASSWORD})
    assert login.status_code == 200, login.text
    posted = jane_client.post(
        "/api/v1/comments",
        json={"target_type": "objective", "target_id": objective["id"], "body": "Jane here <script>x()</script>"},
    )
    assert posted.status_code == 201, posted.text
    jane_client.close()

    page = open_page().page
    sign_in(page, org.email, path=f"/objectives/{objective['id']}")
    section = page.get_by_role("region", name=re.compile(r"^Comments \("))
    expect(section.get_by_role("heading", name="Comments (1)")).to_be_visible()
    expect(comment(section, "Jane here")).to_contain_text("<script>x()</script>")
    # The other member's comment: an admin may delete it, not edit it.
    expect(comment(section, "Jane here").get_by_role("button", name=re.compile("^Edit"))).to_have_count(0)

    box = field(section, "Write a comment")
    box.click()
    box.press_sequentially("Great start @Ja")
    suggestions = section.get_by_role("listbox", name="Members to mention")
    expect(suggestions.get_by_role("option")).to_have_text(["Jane Doe"])
    check_accessibility(page, "comments with mention suggestions")
    box.press("Enter")
    expect(suggestions).to_be_hidden()
    expect(box).to_have_value(f"Great start @[Jane Doe](user:{jane['id']}) ")
    box.press_sequentially("what moved it?")
    section.get_by_role("button", name="Comment", exact=True).click()
    mine = comment(section, "Great start")
    expect(mine.locator("span.mention")).to_have_text("@Jane Doe")
    expect(box).to_have_value("")

    # A reply, one level in, under the comment it answers.
    mine.get_by_role("button", name="Reply to Olivia Owner").click()
    field(section, "Reply to Olivia Owner").fill("Replying to myself")
    section.get_by_role("button", name="Reply", exact=True).click()
    reply = comment(section, "Replying to myself")
    expect(reply).to_be_visible()
    assert reply.evaluate("(node) => getComputedStyle(node.parentElement).borderLeftStyle") == "solid"
    expect(reply.get_by_role("button", name=re.compile("^Reply"))).to_have_count(0)

    # Edit one's own comment: marked "(edited)".
    mine.get_by_role("button", name="Edit your comment").click()
    edit_box = field(section, "Edit your comment")
    edit_box.fill("Great start, well done")
    section.get_by_role("button", name="Save").click()
    edited = comment(section, "Great start, well done")
    expect(edited).to_contain_text("(edited)")
    check_accessibility(page, "objective comments")

    # An admin deletes another member's comment; a deleted comment with a reply stays as a tombstone.
    dismiss_notifications(page)
    comment(section, "Jane here").get_by_role("button", name=re.compile("^Delete")).click()
    page.get_by_role("dialog").get_by_role("button", name="Delete comment").click()
    expect(comment(section, "Jane here")).to_have_count(0)
    edited.get_by_role("button", name=re.compile("^Delete")).click()
    page.get_by_role("dialog").get_by_role("button", name="Delete comment").click()
    expect(section.get_by_text("This comment was deleted.")).to_be_visible()
    expect(comment(section, "Replying to myself")).to_be_visible()
    expect(section.get_by_role("heading", name="Comments (1)")).to_be_visible()
    check_accessibility(page, "objective comments with a tombstone")


def test_key_result_panel_comments(open_page: OpenPage, api_org: ApiOrg) -> None:
    org = api_org()
    _, objective = okr_setup(org, 1)
    page = open_page().page
    sign_in(page, org.email, path=f"/objectives/{objective['id']}")
    card = page.get_by_test_id("key-result")
    # A writer's card opens on "Check in" (the page waits for the person's permissions before it draws the card).
    expect(card.get_by_role("tab", name="Check in")).to_have_attribute("aria-selected", "true")
    tab = card.get_by_role("tab", name="Comments")
    tab.click()
    expect(tab).to_have_attribute("aria-selected", "true")
    thread = card.get_by_role("region", name=re.compile(r"^Comments on Channel 01 leads"))
    expect(thread.get_by_text("No comments yet.")).to_be_visible()
    field(thread, "Write a comment").fill("Where do the **leads** come from?")
    thread.get_by_role("button", name="Comment", exact=True).click()
    expect(comment(thread, "Where do the").locator("strong")).to_have_text("leads")
    expect(thread.get_by_role("heading", name="Comments on Channel 01 leads (1)")).to_be_visible()
    # The objective's own thread does not show the key result's comment.
    expect(page.get_by_role("region", name="Comments (0)").get_by_text("No comments yet.")).to_be_visible()
    check_accessibility(page, "key result comments")
