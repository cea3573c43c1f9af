"""@mentions resolved to active members of the same organisation; Markdown returned as sanitised HTML."""

from __future__ import annotations

import uuid
from html.parser import HTMLParser

import asyncpg
from fastapi import FastAPI

from tests.comments.helpers import comment, mention, targets
from tests.support import Tenant


async def _mentioned(connection: asyncpg.Connection, comment_id: str) -> set[str]:
    rows = await connection.fetch("SELECT user_id FROM comment_mentions WHERE comment_id = $1", uuid.UUID(comment_id))
    return {str(row["user_id"]) for row in rows}


async def test_mentions_resolve_to_members_of_the_organisation_only(
    app: FastAPI, signup, tenant: Tenant, owner_connection: asyncpg.Connection
) -> None:
    made = await targets(tenant.client)
    _, ann = await tenant.member_client(app, "member")
    await tenant.client.patch(f"/api/v1/members/{ann}", json={"name": "Ann Lee"})
    _, gone = await tenant.member_client(app, "member")
    assert (await tenant.client.delete(f"/api/v1/members/{gone}")).status_code == 204
    stranger = await signup("Another Org")
    body = (
        f"Thanks {mention('Annie', ann)} and {mention('Olive', tenant.owner_id)}, again {mention('Ann', ann)}; "
        f"{mention('Gone', gone)}, {mention('Spy', stranger.owner_id)}, {mention('Nobody', str(uuid.uuid4()))} "
        f"and `{mention('Code', ann)}`"
    )
    written = await comment(tenant.client, made.objective["id"], body)
    assert written["mentions"] == [
        {"user_id": ann, "name": "Ann Lee"},
        {"user_id": tenant.owner_id, "name": "Olive Owner"},
    ]
    html = written["body_html"]
    assert f'<span class="mention" data-user-id="{ann}">@Ann Lee</span>' in html
    assert f'<span class="mention" data-user-id="{tenant.owner_id}">@Olive Owner</span>' in html
    # Unknown, removed and foreign ids stay plain text and say nothing about whom they name.
    assert "@Gone, @Spy, @Nobody" in html
    for hidden in (gone, stranger.owner_id):
        assert hidden not in html
    assert f"<code>@[Code](user:{ann})</code>" in html
    assert await _mentioned(owner_connection, written["id"]) == {ann, tenant.owner_id}
    # The body is kept as written.
    assert (await tenant.client.get(f"/api/v1/comments/{written['id']}")).json()["body"] == body


async def test_an_edit_replaces_the_mentions(
    app: FastAPI, tenant: Tenant, owner_connection: asyncpg.Connection
) -> None:
    made = await targets(tenant.client)
    _, ann = await tenant.member_client(app, "member")
    _, bob = await tenant.member_client(app, "member")
    written = await comment(tenant.client, made.key_result["id"], f"Ask {mention('Ann', ann)}", "key_result")
    assert [m["user_id"] for m in written["mentions"]] == [ann]
    edited = await tenant.client.patch(
        f"/api/v1/comments/{written['id']}", json={"body": f"Ask {mention('Bob', bob)}"}, headers={"If-Match": '"1"'}
    )
    assert [m["user_id"] for m in edited.json()["mentions"]] == [bob]
    assert await _mentioned(owner_connection, written["id"]) == {bob}


async def test_at_most_fifty_people_in_one_comment(tenant: Tenant) -> None:
    made = await targets(tenant.client)
    crowd = " ".join(mention(f"P{i}", str(uuid.uuid4())) for i in range(51))
    refused = await tenant.client.post(
        "/api/v1/comments", json={"target_type": "objective", "target_id": made.objective["id"], "body": crowd}
    )
    assert refused.status_code == 422 and refused.json()["errors"][0]["loc"] == ["body", "body"]
    fifty = " ".join(mention(f"P{i}", str(uuid.uuid4())) for i in range(50))
    assert (await comment(tenant.client, made.objective["id"], fifty))["mentions"] == []


ATTACKS = (
    "<script>alert(1)</script>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](java&#x73;cript:alert(1))",
    "[click](<javascript:alert(1)>)",
    "<javascript:alert(1)>",
    "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[vb](vbscript:msgbox(1))",
    "[file](file:///etc/passwd)",
    '<img src=x onerror="alert(1)">',
    "![pixel](https://tracker.example/p.gif)",
    '<a href="https://evil.example" onclick="steal()">x</a>',
    "<iframe src=https://evil.example></iframe>",
    '[x](https://ok.example "title" onmouseover=alert(1))',
)


class _Tags(HTMLParser):
    """Every element of an HTML fragment, with its attributes, as a browser's parser would see them."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))


def elements(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(html)
    return parser.elements


async def test_markdown_comes_back_as_sanitised_html(tenant: Tenant) -> None:
    made = await targets(tenant.client)
    written = await comment(tenant.client, made.objective["id"], "\n\n".join(ATTACKS))
    assert written["body"] == "\n\n".join(ATTACKS)  # stored as written
    found = elements(written["body_html"])
    assert {tag for tag, _ in found} == {"p", "a"}  # no script, img, iframe: raw HTML is text
    links = [attrs for tag, attrs in found if tag == "a"]
    # The one link left is the image's, turned into a plain https link (no image is loaded from a comment).
    assert links == [{"href": "https://tracker.example/p.gif", "rel": "nofollow noopener"}]
    assert not any(name.startswith("on") for _, attrs in found for name in attrs)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in written["body_html"]


async def test_allowed_links_are_kept_with_nofollow_noopener(tenant: Tenant) -> None:
    made = await targets(tenant.client)
    body = "See [the brief](https://docs.example/brief?v=2), <https://a.example> and [mail](mailto:team@example.test)"
    written = await comment(tenant.client, made.objective["id"], body)
    html = written["body_html"]
    assert '<a href="https://docs.example/brief?v=2" rel="nofollow noopener">the brief</a>' in html
    assert '<a href="https://a.example" rel="nofollow noopener">https://a.example</a>' in html
    assert '<a href="mailto:team@example.test" rel="nofollow noopener">mail</a>' in html
    assert [attrs["href"] for tag, attrs in elements(html) if tag == "a"] == [
        "https://docs.example/brief?v=2",
        "https://a.example",
        "mailto:team@example.test",
    ]
    others = await comment(tenant.client, made.objective["id"], "[rel](../admin) and [ftp](ftp://files.example)")
    assert [tag for tag, _ in elements(others["body_html"])] == ["p"]
