"""API shapes of invitations and of "forgot password"."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field, field_validator

from sightline.identity.passwords import NewPassword, personal_rule
from sightline.identity.schemas import Me, Role
from sightline.inputs import Email, Name, StrictInput
from sightline.timestamps import UtcDateTime

Token = Field(min_length=1, max_length=200, description="The `token` of the link in the message")


class InvitationCreate(StrictInput):
    email: Email
    role: Role = Field("member", description="At most the inviter's own role; `owner` only by an owner")
    team_id: UUID | None = Field(None, description="A team the person joins when they accept")


class InvitationPublic(BaseModel):
    id: UUID
    email: str
    role: Role
    team_id: UUID | None
    invited_by: UUID
    created_at: UtcDateTime
    sent_at: UtcDateTime = Field(description="When the latest link was sent (a resend moves it)")
    expires_at: UtcDateTime


class InvitationToken(StrictInput):
    token: str = Token


class InvitationPreview(BaseModel):
    """What the accept page shows before the person decides."""

    organisation_name: str
    email: str
    role: Role
    sign_in: Literal["password", "sso"] = Field(
        description="`password`: accept with a name and a password; `sso`: accept with a name, then sign in "
        "through the organisation's single sign-on"
    )
    expires_at: UtcDateTime


class InvitationAccept(StrictInput):
    token: str = Token
    name: Name
    password: NewPassword | None = Field(
        None, description="Required unless the organisation signs in through single sign-on (then refused)"
    )

    # Declared after the field it compares with (the email and organisation name are checked by the service).
    _personal = field_validator("password")(personal_rule(("name",)))


class InvitationAccepted(BaseModel):
    sign_in: Literal["session", "sso"] = Field(
        description="`session`: signed in (the session cookie is set) and `me` is given; `sso`: the member exists "
        "and signs in at `sso_start_url`"
    )
    me: Me | None = None
    sso_start_url: str | None = None


class PasswordResetRequest(StrictInput):
    email: Email
    organisation_id: UUID | None = Field(
        None, description="Only this organisation; without it, every organisation where the email is a member"
    )


class PasswordResetConfirm(StrictInput):
    token: str = Token
    new_password: NewPassword
