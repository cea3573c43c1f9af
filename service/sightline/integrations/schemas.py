"""API shapes of the integrations domain: integrations and their runs, SQL connections, team digests, SSO."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, Field, StringConstraints, field_validator

from sightline.inputs import LongText, Name, StrictInput
from sightline.okrs.schemas import SourceLabel
from sightline.scoring import Status
from sightline.timestamps import UtcDateTime

Schedule = Literal["hourly", "daily", "weekly"]
IntegrationStatus = Literal["pending", "ok", "failing", "disabled"]
RunOutcome = Literal["recorded", "unchanged", "failed", "skipped"]
Url = Annotated[str, StringConstraints(min_length=1, max_length=2048, pattern=r"^https?://[^\s\x00-\x1F\x7F-\x9F]+$")]
HeaderName = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")]
HeaderValue = Annotated[str, StringConstraints(min_length=1, max_length=4096, pattern=r"^[^\x00-\x1F\x7F]+$")]
CsvName = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^[^\x00-\x1F\x7F-\x9F]+$")]
Query = Annotated[str, StringConstraints(min_length=1, max_length=10_000, pattern=r"^[^\x00]+$")]
Domain = Annotated[
    str,
    StringConstraints(
        min_length=3, max_length=253, pattern=r"^([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,63}$", to_lower=True
    ),
]
SCHEDULE_DESCRIPTION = "How often the worker pulls: hourly, daily or weekly (from the last run)"


# Sources -----------------------------------------------------------------------------------------
class HttpSourceInput(StrictInput):
    kind: Literal["http"]
    url: Url = Field(description="https:// (http:// and internal addresses only when the operator allows)")
    format: Literal["json", "csv"] = "json"
    json_path: Annotated[str, StringConstraints(min_length=1, max_length=500)] | None = Field(
        None, description="JSON: a JSONPath selecting exactly one value, e.g. $.data.total or $.rows[-1].mqls"
    )
    csv_column: CsvName | None = Field(None, description="CSV: the header of the column holding the value")
    csv_row: Annotated[int, Field(ge=-100_000, le=100_000)] | None = Field(
        None, description="CSV: 1-based data row; negative counts from the end; default -1 (the last row)"
    )
    csv_match_column: CsvName | None = Field(None, description="CSV: pick the row whose column ...")
    csv_match_value: Annotated[str, StringConstraints(max_length=200)] | None = Field(None, description="... is this")
    headers: dict[HeaderName, HeaderValue] | None = Field(
        None,
        max_length=10,
        description="Request headers, e.g. Authorization; stored encrypted and never shown again (the names are). "
        "On update, omit to keep the stored ones, {} to remove them",
    )


class SqlSourceInput(StrictInput):
    kind: Literal["sql"]
    connection_id: UUID = Field(description="A registered SQL connection (POST /sql-connections)")
    query: Query = Field(
        description="One read-only SELECT returning one row with one number; may use $1 (the moment of the pull), "
        "$2 and $3 (start and end of the key result's cycle; for a KPI, its cadence period up to the pull) as "
        "timestamptz"
    )


SourceInput = Annotated[HttpSourceInput | SqlSourceInput, Field(discriminator="kind")]


class HttpSourcePublic(BaseModel):
    kind: Literal["http"]
    url: str
    format: Literal["json", "csv"]
    json_path: str | None
    csv_column: str | None
    csv_row: int | None
    csv_match_column: str | None
    csv_match_value: str | None
    header_names: list[str] = Field(description="Names of the stored headers (their values are never shown)")


class SqlSourcePublic(BaseModel):
    kind: Literal["sql"]
    connection_id: UUID
    query: str


SourcePublic = Annotated[HttpSourcePublic | SqlSourcePublic, Field(discriminator="kind")]


# Integrations ------------------------------------------------------------------------------------
class IntegrationCreate(StrictInput):
    name: SourceLabel = Field(description="Also the `source` of the check-ins it writes, e.g. crm-pipeline")
    key_result_id: UUID | None = Field(
        None, description="The key result whose values it pulls (one integration per key result); or `kpi_id`"
    )
    kpi_id: UUID | None = Field(
        None, description="The KPI whose values it pulls (one integration per KPI); give it or `key_result_id`"
    )
    schedule: Schedule = Field("daily", description=SCHEDULE_DESCRIPTION)
    enabled: bool = True
    source: SourceInput


class IntegrationUpdate(StrictInput):
    name: SourceLabel | None = None
    schedule: Schedule | None = None
    enabled: bool | None = Field(None, description="Re-enabling schedules a run right away and clears the back-off")
    source: SourceInput | None = Field(None, description="Replaces the source (keep headers by omitting them)")


class IntegrationPublic(BaseModel):
    id: UUID
    name: str
    key_result_id: UUID | None = Field(description="The key result it feeds (null when it feeds a KPI)")
    kpi_id: UUID | None = Field(description="The KPI it feeds (null when it feeds a key result)")
    schedule: Schedule
    enabled: bool
    source: SourcePublic
    status: IntegrationStatus = Field(description="pending (never ran), ok, failing (see last_error), disabled")
    next_run_at: UtcDateTime | None = Field(description="When the worker pulls next (later while backing off)")
    last_run_at: UtcDateTime | None
    last_success_at: UtcDateTime | None
    last_value: float | None
    last_error: str | None
    failing_since: UtcDateTime | None
    consecutive_failures: int
    version: int
    created_at: UtcDateTime
    updated_at: UtcDateTime


class IntegrationRunPublic(BaseModel):
    id: UUID
    integration_id: UUID
    trigger: Literal["schedule", "manual"]
    triggered_by: str
    started_at: UtcDateTime
    duration_ms: int
    outcome: RunOutcome = Field(
        description="recorded (a check-in, or a KPI value, was written), unchanged (same value already recorded "
        "this period), failed (see error), skipped (the key result takes no check-ins now, or the KPI no values, "
        "see error)"
    )
    value: float | None
    check_in_id: UUID | None = Field(description="The check-in written (a key result's run, when recorded)")
    kpi_value_id: UUID | None = Field(description="The KPI value written (a KPI's run, when recorded)")
    error: str | None


class PullPreviewInput(StrictInput):
    key_result_id: UUID | None = Field(
        None, description="The key result the source would feed (its cycle gives $2 and $3); or `kpi_id`"
    )
    kpi_id: UUID | None = Field(
        None, description="The KPI the source would feed ($2 and $3: its cadence period up to now)"
    )
    integration_id: UUID | None = Field(
        None, description="When editing: an HTTP source without `headers` is tried with this integration's saved ones"
    )
    source: SourceInput


class PullPreview(BaseModel):
    ok: bool = Field(description="Whether the source gave one usable number")
    value: float | None = Field(description="The number a run would record")
    error: str | None = Field(description="Why the pull failed, as a run would record it")
    duration_ms: int
    current_value: float | None = Field(
        description="The key result's current value (null before any check-in), or the KPI's latest value"
    )
    would_skip: str | None = Field(
        description="Set when the key result takes no check-in now, or the KPI no value (a run would be skipped), "
        "and why"
    )


# SQL connections ---------------------------------------------------------------------------------
Dsn = Annotated[str, StringConstraints(min_length=1, max_length=2000, pattern=r"^postgres(ql)?://[^\x00-\x1F\x7F]+$")]


class SqlConnectionCreate(StrictInput):
    name: Name
    description: LongText = ""
    dsn: Dsn = Field(
        description="postgresql://user:password@host:5432/database (stored encrypted, never shown again); use a "
        "read-only role. TLS with the server's certificate and name verified (`sslmode=verify-full`) unless "
        "`allow_weak_tls` is set"
    )
    allow_weak_tls: bool = Field(
        False,
        description="Accept an explicit weaker `sslmode` in the string (`disable`, `prefer`, `require`, `verify-ca`); "
        "without it only `verify-full` (also the default) is accepted",
    )


class SqlConnectionUpdate(StrictInput):
    name: Name | None = None
    description: LongText | None = None
    dsn: Dsn | None = None
    allow_weak_tls: bool | None = None


class SqlConnectionPublic(BaseModel):
    id: UUID
    name: str
    description: str
    host: str
    port: int | None
    database: str
    username: str
    sslmode: str | None = Field(
        description="The TLS mode in force (`verify-full` unless the string names another); null for a connection "
        "saved before this was recorded, until its string is saved again"
    )
    allow_weak_tls: bool = Field(description="Whether a weaker `sslmode` than `verify-full` is accepted")
    tls_warning: str | None = Field(
        description="Set when the connection does not verify the server (its data and password may be read or "
        "changed on the way)"
    )
    version: int
    created_at: UtcDateTime
    updated_at: UtcDateTime


class ConnectionCheck(BaseModel):
    ok: bool
    error: str | None = Field(description="Why connecting or `SELECT 1` failed")


# Team digests ------------------------------------------------------------------------------------
class TeamDigestCreate(StrictInput):
    team_id: UUID
    endpoint_id: UUID = Field(description="A webhook endpoint, typically of format slack or teams")
    weekday: Annotated[int, Field(ge=1, le=7)] = Field(1, description="1 = Monday … 7 = Sunday")
    hour: Annotated[int, Field(ge=0, le=23)] = Field(9, description="Hour of the day in the organisation's zone")


class TeamDigestUpdate(StrictInput):
    weekday: Annotated[int, Field(ge=1, le=7)] | None = None
    hour: Annotated[int, Field(ge=0, le=23)] | None = None


class TeamDigestPublic(BaseModel):
    id: UUID
    team_id: UUID
    endpoint_id: UUID
    weekday: int
    hour: int
    last_sent_at: UtcDateTime | None
    version: int
    created_at: UtcDateTime
    updated_at: UtcDateTime


class DigestKeyResult(BaseModel):
    id: UUID
    title: str
    objective_id: UUID
    status: Status
    current_value: float
    target_value: float
    unit: str
    latest_confidence: int | None
    owner_id: UUID
    owner_name: str


class DigestStatusChange(BaseModel):
    key_result_id: UUID
    title: str
    from_status: Status
    to_status: Status
    changed_at: UtcDateTime


class DigestDueCheckIn(BaseModel):
    key_result_id: UUID
    title: str
    owner_id: UUID
    owner_name: str
    due_at: UtcDateTime = Field(description="Last check-in (or cycle start) plus the cadence period and 2 days")
    overdue: bool


class TeamDigestContent(BaseModel):
    team_id: UUID
    team_name: str
    week_start: date = Field(description="Monday of the week the digest covers the past of")
    since: UtcDateTime = Field(description="Status changes since then (7 days before the digest)")
    at_risk: list[DigestKeyResult] = Field(description="At risk or off track now")
    status_changes: list[DigestStatusChange]
    due_check_ins: list[DigestDueCheckIn] = Field(description="Overdue, or due within the next 7 days")


class DigestSent(BaseModel):
    event_id: UUID
    delivery_id: UUID = Field(description="In the endpoint's delivery log")
    digest: TeamDigestContent


# Single sign-on ----------------------------------------------------------------------------------
class SsoConfigInput(StrictInput):
    issuer: Url = Field(description="The provider's issuer URL (its /.well-known/openid-configuration is read)")
    client_id: Annotated[str, StringConstraints(min_length=1, max_length=500, pattern=r"^[\x21-\x7e]+$")]
    client_secret: (
        Annotated[str, StringConstraints(min_length=1, max_length=2000, pattern=r"^[\x20-\x7e]+$")] | None
    ) = Field(None, description="Stored encrypted, never shown; required the first time, omit to keep")
    allowed_domains: list[Domain] = Field(
        default_factory=list,
        max_length=50,
        description="Email domains that may sign in without an email_verified claim, and get members created",
    )
    default_role: Literal["viewer", "member"] = Field("member", description="Role of members created at sign-in")
    auto_create_members: bool = Field(False, description="Create a member at first sign-in (allowed domains only)")
    sso_required: bool = Field(False, description="Refuse password sign-in to everyone but owners")
    owner_sign_in: bool = Field(
        False,
        description="Let owners sign in through the provider too; when off they sign in with their password only",
    )
    enabled: bool = True

    @field_validator("allowed_domains")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        return sorted(set(value))


class SsoConfigPublic(BaseModel):
    issuer: str
    client_id: str
    allowed_domains: list[str]
    default_role: Literal["viewer", "member"]
    auto_create_members: bool
    sso_required: bool
    owner_sign_in: bool
    enabled: bool
    redirect_uri: str = Field(description="Register this redirect URI with the provider")
    sign_in_url: str = Field(description="Where people start signing in (link it from your intranet)")
    version: int
    created_at: UtcDateTime
    updated_at: UtcDateTime
