"""API shapes of notifications and preferences."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from sightline.notifications.kinds import Channel, Kind


class NotificationPublic(BaseModel):
    id: UUID
    kind: Kind
    object_type: str = Field(description="What it is about: objective, key_result, check_in, comment or team")
    object_id: UUID
    title: str = Field(description="The objective or key result it concerns")
    summary: str = Field(description="One line for the inbox")
    path: str = Field(description="Where the web app shows it")
    event_id: UUID
    actor: str
    created_at: datetime
    read_at: datetime | None


class NotificationPage(BaseModel):
    items: list[NotificationPublic]
    next_cursor: str | None
    unread_count: int = Field(description="The member's unread notifications, whatever the filter")


class UnreadCount(BaseModel):
    unread_count: int


class Preferences(BaseModel):
    """The channel of each kind: in_app (inbox only), email (inbox and an email now), daily_digest, off."""

    model_config = ConfigDict(extra="forbid")
    mentioned: Channel
    comment_on_owned: Channel
    key_result_status: Channel
    objective_status: Channel
    check_in_due: Channel
    team_weekly_summary: Channel


class PreferencesUpdate(BaseModel):
    """Kinds to change; the others keep their channel."""

    model_config = ConfigDict(extra="forbid")
    mentioned: Channel | None = None
    comment_on_owned: Channel | None = None
    key_result_status: Channel | None = None
    objective_status: Channel | None = None
    check_in_due: Channel | None = None
    team_weekly_summary: Channel | None = None
