"""API shapes of the identity domain."""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Any, Literal
from uuid import UUID
from zoneinfo import available_timezones

from pydantic import BaseModel, Field, StringConstraints, field_validator, model_validator

from sightline.identity.passwords import GivenPassword, NewPassword, personal_rule
from sightline.inputs import Email, IsoAwareDateTime, Name, StrictInput
from sightline.timestamps import UtcDateTime

Role = Literal["owner", "admin", "member", "viewer"]
Scope = Literal["read", "write", "admin"]
Cadence = Literal["weekly", "biweekly", "monthly", "quarterly"]


CurrencyCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]


def _unique_currencies(value: list[str] | None) -> list[str] | None:
    return None if value is None else sorted(set(value))


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())  # scans the zoneinfo files: once per process, not per read


def _known_zone(value: str | None) -> str | None:
    if value is not None and value not in _zones():
        raise ValueError("not an IANA time zone such as Europe/Berlin")
    return value


class OrganisationSettings(BaseModel):
    """Per-organisation settings; the status thresholds follow docs/concepts.md."""

    on_track_gap: float = Field(0.10, ge=0, le=1, description="Gap of progress behind pace still on track")
    at_risk_gap: float = Field(0.25, ge=0, le=1, description="Gap up to which a result is at risk")
    low_confidence: int = Field(3, ge=0, le=10, description="Confidence at or below this turns on_track into at_risk")
    default_cadence: Cadence = "weekly"
    currency: str = Field("EUR", pattern=r"^[A-Z]{3}$", description="The organisation's currency (ISO 4217)")
    accepted_currencies: list[CurrencyCode] = Field(
        default_factory=list,
        max_length=20,
        description="Further currencies initiatives may use besides `currency`; any other is refused",
    )
    time_zone: str = "Europe/Berlin"
    low_ambition_threshold: float = Field(
        0.0, ge=-1, le=10, description="A key result whose ambition is at or below this is flagged low_ambition"
    )
    fiscal_year_start_month: int = Field(
        1, ge=1, le=12, description="The month the organisation's fiscal year starts (1 = January): cycle presets"
    )
    mfa_required_for_admins: bool = Field(
        False, description="Admins and owners must use a second factor (changed by an owner, recently signed in)"
    )

    _zone = field_validator("time_zone")(lambda cls, value: _known_zone(value))
    _currencies = field_validator("accepted_currencies")(lambda cls, value: _unique_currencies(value))


class OrganisationSettingsUpdate(StrictInput):
    on_track_gap: float | None = Field(None, ge=0, le=1)
    at_risk_gap: float | None = Field(None, ge=0, le=1)
    low_confidence: int | None = Field(None, ge=0, le=10)
    default_cadence: Cadence | None = None
    currency: str | None = Field(None, pattern=r"^[A-Z]{3}$")
    accepted_currencies: list[CurrencyCode] | None = Field(None, max_length=20, description="Replaces the list")
    time_zone: str | None = None
    low_ambition_threshold: float | None = Field(None, ge=-1, le=10)
    fiscal_year_start_month: int | None = Field(None, ge=1, le=12)
    mfa_required_for_admins: bool | None = None

    _zone = field_validator("time_zone")(lambda cls, value: _known_zone(value))
    _currencies = field_validator("accepted_currencies")(lambda cls, value: _unique_currencies(value))


class OrganisationPublic(BaseModel):
    id: UUID
    name: str
    settings: OrganisationSettings
    created_at: UtcDateTime


class OrganisationUpdate(StrictInput):
    name: Name | None = None
    settings: OrganisationSettingsUpdate | None = None


class SignupRequest(StrictInput):
    organisation_name: Name
    name: Name
    email: Email
    password: NewPassword
    another_organisation: bool = Field(
        False,
        description="Create the organisation even though this email already has an account (in another "
        "organisation); without it such a sign-up is a 409 of type email-exists",
    )

    # Declared after the fields it compares with (pydantic validates in order).
    _personal = field_validator("password")(personal_rule(("email", "name", "organisation_name")))


class LoginRequest(StrictInput):
    email: Email
    password: GivenPassword
    organisation_id: UUID | None = Field(
        None,
        description="Needed only when the email and password open several organisations (a 409 of type "
        "organisation-choice lists them by id and name)",
    )


class MemberPublic(BaseModel):
    id: UUID
    email: str
    name: str
    role: Role
    active: bool
    created_at: UtcDateTime


class MemberCreate(StrictInput):
    email: Email
    name: Name
    role: Role = "member"
    password: NewPassword | None = Field(None, description="Initial password; generated and returned once if omitted")

    _personal = field_validator("password")(personal_rule(("email", "name")))


class MemberCreated(MemberPublic):
    initial_password: str | None = Field(None, description="Shown once when the password was generated")


class MemberUpdate(StrictInput):
    name: Name | None = None
    role: Role | None = None


class PasswordChange(StrictInput):
    current_password: GivenPassword
    new_password: NewPassword


class PasswordReset(BaseModel):
    password: str = Field(description="The member's new password, generated: shown only in this response")


class Me(BaseModel):
    organisation: OrganisationPublic
    member: MemberPublic | None = Field(description="The signed-in person; for an API key, the admin who made it")
    auth: Literal["session", "api_key"]
    scopes: list[str]
    email_verification_required: bool = Field(
        False,
        description="The person signed up and has not yet followed the link sent to their email address: until "
        "then other calls answer 403 `email-verification-required`",
    )


TotpCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")]
RecoveryCodeInput = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class MfaStatus(BaseModel):
    totp_enabled: bool
    recovery_codes_left: int
    required: bool = Field(description="The organisation requires a second factor for this person's role")


class TotpEnrolment(BaseModel):
    secret: str = Field(description="Base32, for typing into the app by hand; valid for 15 minutes")
    otpauth_uri: str
    qr_svg: str = Field(description="The otpauth URI as a QR code (SVG)")


class TotpConfirm(StrictInput):
    code: TotpCode


class RecoveryCodes(BaseModel):
    recovery_codes: list[str] = Field(description="Each works once; shown only in this response")


SecondFactor = Literal["totp", "recovery_code"]
SECOND_FACTORS: list[SecondFactor] = ["totp", "recovery_code"]


class MfaChallenge(BaseModel):
    mfa_required: Literal[True] = True
    methods: list[SecondFactor] = Field(default_factory=lambda: list(SECOND_FACTORS))


class MfaSignIn(StrictInput):
    code: TotpCode | None = None
    recovery_code: RecoveryCodeInput | None = None

    @model_validator(mode="after")
    def _one(self) -> MfaSignIn:
        if (self.code is None) == (self.recovery_code is None):
            raise ValueError("send either code or recovery_code")
        return self


class Reauthenticate(StrictInput):
    password: GivenPassword | None = None
    code: TotpCode | None = None

    @model_validator(mode="after")
    def _one(self) -> Reauthenticate:
        if (self.password is None) == (self.code is None):
            raise ValueError("send either password or code")
        return self


class SessionPublic(BaseModel):
    id: UUID
    current: bool = Field(description="The session this request came with")
    created_at: UtcDateTime
    last_seen_at: UtcDateTime | None = Field(description="To the minute")
    user_agent: str | None
    address: str | None = Field(description="The client address at sign-in")


class ApiKeyCreate(StrictInput):
    name: Name
    scopes: list[Scope] = Field(min_length=1, max_length=3)
    expires_at: IsoAwareDateTime | None = Field(
        None, description="When the key stops working: in the future, at most two years ahead; none: until revoked"
    )

    @field_validator("scopes")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        return sorted(set(value))


class MemberReference(BaseModel):
    id: UUID
    name: str


class ApiKeyPublic(BaseModel):
    id: UUID
    name: str
    prefix: str = Field(description="First characters of the secret, to recognise the key")
    scopes: list[Scope] = Field(description="Never more than its creator's role allows: capped when they are demoted")
    created_by: MemberReference | None = Field(
        description="The member who made it; the key works only while they are an active member"
    )
    created_at: UtcDateTime
    last_used_at: UtcDateTime | None
    revoked_at: UtcDateTime | None
    expires_at: UtcDateTime | None = Field(description="Refused from then on, like a revoked key; null: no expiry")


class ApiKeyCreated(ApiKeyPublic):
    secret: str = Field(description="The key itself: shown only in this response, store it now")


def organisation_public(org: Any) -> OrganisationPublic:
    return OrganisationPublic(
        id=org.org_id,
        name=org.name,
        settings=OrganisationSettings.model_validate(org.settings),
        created_at=org.created_at,
    )


def member_public(user: Any) -> MemberPublic:
    return MemberPublic(
        id=user.id,
        email=user.email,
        name=user.name,
        role=user.role,
        active=user.deactivated_at is None,
        created_at=user.created_at,
    )


def api_key_public(key: Any, creator: Any | None) -> ApiKeyPublic:
    return ApiKeyPublic(
        id=key.id,
        name=key.name,
        prefix=key.prefix,
        scopes=key.scopes,
        created_by=MemberReference(id=creator.id, name=creator.name) if creator is not None else None,
        created_at=key.created_at,
        last_used_at=key.last_used_at,
        revoked_at=key.revoked_at,
        expires_at=key.expires_at,
    )
