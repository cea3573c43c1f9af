"""API shapes of the webhooks domain: endpoints, secrets, deliveries, the event-type catalogue."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field, StringConstraints

from sightline.inputs import IsoDateTime, LongText, StrictInput
from sightline.timestamps import UtcDateTime

DeliveryStatus = Literal["pending", "paused", "succeeded", "failed"]
EndpointFormat = Literal["standard", "slack", "teams"]
FORMAT_DESCRIPTION = (
    "standard: the signed Standard Webhooks JSON; slack / teams: the same events as short readable messages "
    "(Slack incoming webhook `text`, Teams Adaptive Card) with a link back to the web app"
)
EVENT_TYPE_PATTERN = r"^[a-z_]+\.(\*|[a-z_]+)$"
EventTypeName = Annotated[str, StringConstraints(min_length=3, max_length=100, pattern=EVENT_TYPE_PATTERN)]
Url = Annotated[str, StringConstraints(min_length=1, max_length=2048, pattern=r"^[^\s\x00-\x1F\x7F-\x9F]+$")]


class EndpointCreate(StrictInput):
    url: Url = Field(description="https:// (http:// only when the operator allows)")
    format: EndpointFormat = Field("standard", description=FORMAT_DESCRIPTION)
    description: LongText = ""
    event_types: list[EventTypeName] | None = Field(
        None,
        min_length=1,
        max_length=100,
        description="Types (`check_in.created`) or families (`objective.*`) from GET /event-types; null for all",
    )
    enabled: bool = True


class EndpointUpdate(StrictInput):
    url: Url | None = None
    format: EndpointFormat | None = None
    description: LongText | None = None
    event_types: list[EventTypeName] | None = Field(
        None, min_length=1, max_length=100, description="Send null to receive every event type"
    )
    enabled: bool | None = Field(None, description="Re-enabling resumes the deliveries paused while disabled")


class EndpointPublic(BaseModel):
    id: UUID
    url: str
    format: EndpointFormat
    description: str
    event_types: list[str] | None = Field(description="null: every event type")
    enabled: bool
    disabled_reason: str | None
    disabled_at: UtcDateTime | None
    failing_since: UtcDateTime | None = Field(description="Start of the current run of failed attempts")
    last_success_at: UtcDateTime | None
    last_failure_at: UtcDateTime | None
    previous_secret_expires_at: UtcDateTime | None = Field(
        description="Until then the secret replaced by the last rotation still signs alongside the new one"
    )
    version: int
    created_at: UtcDateTime
    updated_at: UtcDateTime


class EndpointCreated(EndpointPublic):
    secret: str = Field(description="The signing secret (`whsec_…`); admins can reveal it again later")


class EndpointSecret(BaseModel):
    secret: str
    previous_secret: str | None = Field(description="Still signing until `previous_secret_expires_at`")
    previous_secret_expires_at: UtcDateTime | None


class DeliveryPublic(BaseModel):
    id: UUID
    endpoint_id: UUID
    event_id: UUID = Field(description="Also the `webhook-id` header: de-duplicate by it")
    event_type: str
    status: DeliveryStatus = Field(
        description="pending (waiting for an attempt), paused (endpoint disabled), succeeded, failed (gave up)"
    )
    attempts: int
    next_attempt_at: UtcDateTime | None
    last_attempt_at: UtcDateTime | None
    latency_ms: int | None
    response_status: int | None
    response_excerpt: str | None = Field(description="At most the first 1 KiB of the response body")
    error: str | None = Field(description="Why the last attempt failed without an HTTP answer (or was refused)")
    delivered_at: UtcDateTime | None
    version: int
    created_at: UtcDateTime


class RecoverRequest(StrictInput):
    since: IsoDateTime = Field(
        description="Redeliver every delivery of this endpoint that failed and was created since (with an offset)"
    )


class RecoverResult(BaseModel):
    redelivered: int


class EventType(BaseModel):
    type: str
    description: str
    schema_: dict[str, Any] = Field(alias="schema", description="JSON Schema of the whole payload body")

    model_config = {"populate_by_name": True}


class EventTypeList(BaseModel):
    items: list[EventType]


class PingData(BaseModel):
    endpoint_id: UUID
    message: str


class ObjectReference(BaseModel):
    """The object of an archiving event: its id (read the object through the API for the rest)."""

    id: UUID
