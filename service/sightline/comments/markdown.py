"""A comment's Markdown, rendered to HTML that is safe to insert into a page, and the mentions it holds.

CommonMark with raw HTML off (tags are shown as text), links kept only for http, https and mailto (any other
destination stays literal text) and marked `rel="nofollow noopener"`, images shown as links (no remote image
loads from a comment). A mention is written `@[Name](user:<uuid>)` (what the web client's autocomplete inserts,
docs/decisions/comments-mention-syntax.md): rendered as a mention of the member's current name when the
comment resolved that member, as the plain text "@Name" otherwise. Mentions inside code are code, not mentions.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any
from uuid import UUID

from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

MENTION = re.compile(r"@\[([^\[\]\n]{1,200})\]\(user:([0-9a-fA-F-]{32,36})\)")
SAFE_LINK = re.compile(r"^(https?:|mailto:)", re.IGNORECASE)
LINK_REL = "nofollow noopener"


def _mention_rule(state: StateInline, silent: bool) -> bool:
    if state.src[state.pos] != "@":
        return False
    match = MENTION.match(state.src, state.pos, state.posMax)
    if match is None:
        return False
    try:
        user_id = UUID(match.group(2))
    except ValueError:
        return False
    if not silent:
        token = state.push("mention", "", 0)
        token.meta = {"user_id": user_id, "label": match.group(1)}
    state.pos = match.end()
    return True


def _render_mention(self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
    meta = tokens[idx].meta
    names: Mapping[UUID, str] = env.get("mentions", {})
    name = names.get(meta["user_id"])
    if name is None:  # not a member this comment mentions: the text as a reader would say it
        return escape(f"@{meta['label']}")
    return f'<span class="mention" data-user-id="{meta["user_id"]}">@{escape(name)}</span>'


def _render_link_open(self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
    tokens[idx].attrSet("rel", LINK_REL)
    rendered: str = self.renderToken(tokens, idx, options, env)
    return rendered


def _build() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False})
    md.disable("image")
    md.validateLink = lambda url: SAFE_LINK.match(url.strip()) is not None  # type: ignore[method-assign]
    md.inline.ruler.before("link", "mention", _mention_rule)
    md.add_render_rule("mention", _render_mention)
    md.add_render_rule("link_open", _render_link_open)
    return md


_MD = _build()


def render(body: str, mentions: Mapping[UUID, str]) -> str:
    """The body as sanitised HTML; `mentions` maps each member the comment mentions to their name."""
    html: str = _MD.render(body, {"mentions": mentions})
    return html


def mentioned_ids(body: str) -> list[UUID]:
    """Every member id the body mentions (outside code), in order of first appearance, once each."""
    found: dict[UUID, None] = {}
    for block in _MD.parse(body):
        for token in block.children or ():
            if token.type == "mention":
                found.setdefault(token.meta["user_id"], None)
    return list(found)
