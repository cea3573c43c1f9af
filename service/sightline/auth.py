"""Who is acting: the principal every service receives, its permissions, and the recent sign-in rule.

Plain types, no HTTP: the request's credential is resolved into a `Principal` at the edge
(`sightline.identity.credentials`), and jobs build one for their own account.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from sightline.config import Settings
from sightline.errors import Forbidden

ROLE_SCOPES: dict[str, frozenset[str]] = {
    "viewer": frozenset({"read"}),
    "member": frozenset({"read", "write"}),
    "admin": frozenset({"read", "write", "admin"}),
    "owner": frozenset({"read", "write", "admin", "owner"}),
}
# Giving someone one of these roles (adding, inviting or promoting them) is a sensitive action.
PRIVILEGED_ROLES = frozenset({"admin", "owner"})


@dataclass(frozen=True)
class Principal:
    org_id: UUID
    scopes: frozenset[str]
    user_id: UUID | None = None
    role: str | None = None
    session_id: UUID | None = None
    api_key_id: UUID | None = None
    # A background job acting on its own account (e.g. "integration:<id>"), not a person or a key.
    system_actor: str | None = None
    # Sessions: the last sign-in or re-authentication (recent sign-in for sensitive actions).
    authenticated_at: datetime | None = None

    @property
    def actor(self) -> str:
        if self.system_actor is not None:
            return self.system_actor
        return f"api_key:{self.api_key_id}" if self.api_key_id else f"user:{self.user_id}"

    def require(self, scope: str) -> None:
        if scope not in self.scopes:
            raise Forbidden(f"this credential lacks the '{scope}' permission")

    def require_role_within_own(self, role: str | None, doing: str) -> None:
        """The one rule for roles (members and invitations): nobody grants, changes or takes away a role above
        their own credential's permissions, so only an owner makes, changes or removes an owner. `doing` names
        the refused action for the message ("invite someone as", …)."""
        if role is not None and not ROLE_SCOPES[role] <= self.scopes:
            raise Forbidden(f"you cannot {doing} {role}: that is above your own role")


class RecentSignInRequired(Forbidden):
    slug, title = "recent-sign-in-required", "Recent sign-in required"


def require_recent_sign_in(principal: Principal, *, now: datetime, settings: Settings) -> None:
    """403 unless the session signed in or re-authenticated within SIGHTLINE_REAUTH_MINUTES. API keys pass: they
    never hold owner powers and cannot re-authenticate."""
    if principal.session_id is None:
        return
    fresh = principal.authenticated_at is not None and now - principal.authenticated_at <= timedelta(
        minutes=settings.reauth_minutes
    )
    if not fresh:
        raise RecentSignInRequired(
            f"this action needs a sign-in from the last {settings.reauth_minutes} minutes: confirm your password "
            "or code with POST /api/v1/auth/reauthenticate, then try again"
        )
