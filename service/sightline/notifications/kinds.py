"""The kinds of notification, the channels a member chooses among, and each kind's default
(docs/decisions/people-notification-defaults.md)."""

from __future__ import annotations

from typing import Literal

Kind = Literal["mentioned", "comment_on_owned", "key_result_status", "objective_status"]
Channel = Literal["in_app", "email", "daily_digest", "off"]

KINDS: tuple[Kind, ...] = ("mentioned", "comment_on_owned", "key_result_status", "objective_status")
CHANNELS: tuple[Channel, ...] = ("in_app", "email", "daily_digest", "off")

# Someone addressing you by name reaches you now; the rest waits in the inbox.
DEFAULTS: dict[Kind, Channel] = {
    "mentioned": "email",
    "comment_on_owned": "in_app",
    "key_result_status": "in_app",
    "objective_status": "in_app",
}

DESCRIPTIONS: dict[Kind, str] = {
    "mentioned": "someone mentioned you in a comment",
    "comment_on_owned": "a comment on an objective or key result you own (or a check-in of one)",
    "key_result_status": "a key result you own changed status",
    "objective_status": "an objective you own changed status",
}
