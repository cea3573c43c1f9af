"""The kinds of notification, the channels a member chooses among, and each kind's default
(docs/decisions/people-notification-defaults.md)."""

from __future__ import annotations

from typing import Literal

Kind = Literal[
    "mentioned", "comment_on_owned", "key_result_status", "objective_status", "check_in_due", "team_weekly_summary"
]
Channel = Literal["in_app", "email", "daily_digest", "off"]

KINDS: tuple[Kind, ...] = (
    "mentioned",
    "comment_on_owned",
    "key_result_status",
    "objective_status",
    "check_in_due",
    "team_weekly_summary",
)
CHANNELS: tuple[Channel, ...] = ("in_app", "email", "daily_digest", "off")

# Someone addressing you by name reaches you now, and so do the two nudges meant to be read away from the app
# (a check-in falling due, the week of your team); the rest waits in the inbox.
DEFAULTS: dict[Kind, Channel] = {
    "mentioned": "email",
    "comment_on_owned": "in_app",
    "key_result_status": "in_app",
    "objective_status": "in_app",
    "check_in_due": "email",
    "team_weekly_summary": "email",
}

DESCRIPTIONS: dict[Kind, str] = {
    "mentioned": "someone mentioned you in a comment",
    "comment_on_owned": "a comment on an objective or key result you own (or a check-in of one)",
    "key_result_status": "a key result you own changed status",
    "objective_status": "an objective you own changed status",
    "check_in_due": "a check-in of a key result you own falls due",
    "team_weekly_summary": "the weekly summary of your team",
}
