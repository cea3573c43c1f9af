"""Who may read which events of the audit log.

Everyone in the organisation reads the history of its goals. Events that describe admin-only configuration
(webhook endpoints and digests, integrations, SQL connections, single sign-on, API keys, invitations) are read
by admins only, like the configuration itself. A person's security events (sign-ins, failed sign-ins, sign-outs,
password changes and resets, second factor, sessions) are read by admins and by that person, signed in
with a session (an API key acts for its maker, but a read-only integration has no business with the
maker's sign-ins). Hidden events are left out of lists and answer 404 on their own, as if absent.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import and_, false, func, or_, true
from sqlmodel import col

from sightline.auth import Principal
from sightline.events.models import Event

ADMIN_FAMILIES = frozenset(
    {"endpoint", "webhook", "team_digest", "integration", "sql_connection", "sso", "api_key", "invitation"}
)
# Member events everyone reads: the member list is open to every role.
PUBLIC_MEMBER_TYPES = frozenset({"member.created", "member.updated", "member.removed"})
# Families that are about one person's credentials, whatever their name.
PERSONAL_FAMILIES = frozenset({"session", "mfa", "auth"})


def family(event_type: str) -> str:
    return event_type.split(".", 1)[0]


def is_admin_only(event_type: str) -> bool:
    return family(event_type) in ADMIN_FAMILIES


def is_personal(event_type: str) -> bool:
    name = family(event_type)
    return (name == "member" and event_type not in PUBLIC_MEMBER_TYPES) or name in PERSONAL_FAMILIES


def _self(principal: Principal) -> UUID | None:
    """The member whose own security events this credential reads: a person's session only."""
    return principal.user_id if principal.session_id is not None and principal.api_key_id is None else None


def can_read(principal: Principal, *, type: str, object_type: str, object_id: UUID, actor: str) -> bool:
    if "admin" in principal.scopes:
        return True
    if is_admin_only(type):
        return False
    if is_personal(type):
        me = _self(principal)
        return me is not None and _own(object_type, object_id, actor, me)
    return True


def _own(object_type: str, object_id: UUID, actor: str, me: UUID) -> bool:
    # A member event about me, or one of my sessions that I ended (`session.ended`: object is the session).
    return (object_type == "member" and object_id == me) or (object_type == "session" and actor == f"user:{me}")


def readable(principal: Principal) -> Any:
    """The SQL condition of `can_read` for lists."""
    if "admin" in principal.scopes:
        return true()
    event_family = func.split_part(col(Event.type), ".", 1)
    personal = or_(
        and_(event_family == "member", col(Event.type).not_in(sorted(PUBLIC_MEMBER_TYPES))),
        event_family.in_(sorted(PERSONAL_FAMILIES)),
    )
    me = _self(principal)
    own = (
        false()
        if me is None
        else or_(
            and_(col(Event.object_type) == "member", col(Event.object_id) == me),
            and_(col(Event.object_type) == "session", col(Event.actor) == f"user:{me}"),
        )
    )
    return and_(event_family.not_in(sorted(ADMIN_FAMILIES)), or_(~personal, own))
