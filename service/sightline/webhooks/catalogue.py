"""The catalogue of event types a webhook endpoint can subscribe to, with a JSON Schema per type.

Register every event type the service writes here (a test scans the code for types missing from it).
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from functools import cache
from typing import Any
from uuid import UUID

from pydantic import BaseModel

from sightline.alignment.schemas import AlignmentCreated, AlignmentPublic
from sightline.comments.schemas import CommentPublic
from sightline.errors import FieldError, Invalid
from sightline.identity.invitation_schemas import InvitationPublic
from sightline.identity.schemas import ApiKeyPublic, MemberPublic, OrganisationPublic
from sightline.identity.security_events import AccessEvent
from sightline.initiatives.schemas import InitiativePublic, SpendEntryPublic
from sightline.insights.schemas import KeyResultGradePublic, TeamReviewPublic
from sightline.integrations.schemas import (
    IntegrationPublic,
    SqlConnectionPublic,
    SsoConfigPublic,
    TeamDigestContent,
    TeamDigestPublic,
)
from sightline.kpis.schemas import KpiPublic, KpiValuePublic
from sightline.okrs.reminders import CheckInOverdue
from sightline.okrs.schemas import (
    CheckInPublic,
    CyclePublic,
    KeyResultPublic,
    ObjectivePublic,
    ObjectiveRollupPublic,
    TeamPublic,
)
from sightline.planning.carry_over_schemas import CarryOverResult
from sightline.planning.template_schemas import TemplatePublic
from sightline.webhooks.schemas import EndpointPublic, EventType, ObjectReference, PingData


@dataclass(frozen=True)
class EventKind:
    type: str
    description: str
    data: builtins.type[BaseModel]
    # True when the event describes a change: `data.previous` then holds the changed fields' old values.
    has_previous: bool = False


class ObjectiveClosed(BaseModel):
    id: UUID
    state: str
    score: float | None


CATALOGUE: tuple[EventKind, ...] = (
    EventKind("team.created", "A team was created.", TeamPublic),
    EventKind("team.updated", "A team was renamed, moved, or its lead or members changed.", TeamPublic, True),
    EventKind("team.archived", "A team was archived.", ObjectReference),
    EventKind("cycle.created", "A cycle was created.", CyclePublic),
    EventKind("cycle.updated", "A cycle's name, dates or parent changed.", CyclePublic, True),
    EventKind("cycle.activated", "A cycle moved from planning to active.", CyclePublic, True),
    EventKind("cycle.closed", "A cycle was closed.", CyclePublic, True),
    EventKind("cycle.deleted", "An empty cycle in planning was deleted (data: the cycle as it was).", CyclePublic),
    EventKind(
        "cycle.carried_over",
        "Objectives and key results were carried over into this cycle (data: what was created and skipped; each copy "
        "also has its own created event).",
        CarryOverResult,
    ),
    EventKind("objective.created", "An objective was created.", ObjectivePublic),
    EventKind("objective.updated", "An objective was edited.", ObjectivePublic, True),
    EventKind("objective.archived", "An objective was archived.", ObjectReference),
    EventKind(
        "objective.closed", "An objective was closed with its cycle, with its final score.", ObjectiveClosed, True
    ),
    EventKind(
        "objective.status_changed",
        "An objective's rolled-up status changed: through a check-in or edit anywhere below it, a link made or "
        "removed, a settings change, or the passage of time.",
        ObjectiveRollupPublic,
        True,
    ),
    EventKind("key_result.created", "A key result was created.", KeyResultPublic),
    EventKind("key_result.updated", "A key result was edited.", KeyResultPublic, True),
    EventKind(
        "key_result.status_changed",
        "A key result's status changed, through a check-in, an edit or the passage of time.",
        KeyResultPublic,
        True,
    ),
    EventKind("key_result.archived", "A key result was archived.", ObjectReference),
    EventKind(
        "key_result.graded",
        "Closing its cycle graded a key result: final value, score, hit or not.",
        KeyResultGradePublic,
    ),
    EventKind("team_review.created", "A team recorded its review (notes and decisions).", TeamReviewPublic),
    EventKind(
        "key_result.checkin_overdue",
        "A key result has had no check-in within its cadence period plus 2 days of grace; sent once per overdue "
        "period.",
        CheckInOverdue,
    ),
    EventKind("check_in.created", "A check-in (or a correction of one) was recorded.", CheckInPublic),
    EventKind("alignment.created", "An objective was aligned to a parent objective or key result.", AlignmentCreated),
    EventKind("alignment.deleted", "An alignment link was removed (data: the link as it was).", AlignmentPublic),
    EventKind("initiative.created", "An initiative (campaign, program, project, task) was created.", InitiativePublic),
    EventKind("initiative.updated", "An initiative was edited.", InitiativePublic, True),
    EventKind("initiative.linked", "An initiative's linked key results or shares changed.", InitiativePublic, True),
    EventKind("initiative.deleted", "An initiative was deleted (data: the initiative as it was).", InitiativePublic),
    EventKind("initiative.spend_recorded", "Spend was recorded on an initiative.", SpendEntryPublic),
    EventKind("kpi.created", "A KPI was created.", KpiPublic),
    EventKind("kpi.updated", "A KPI was edited, archived or restored.", KpiPublic, True),
    EventKind(
        "kpi.value_recorded",
        "A value was recorded on a KPI; every key result following it got it as a check-in (source kpi).",
        KpiValuePublic,
    ),
    EventKind(
        "kpi.status_changed",
        "A KPI's status (healthy, warning, critical) changed: through a new latest value or a change of its range.",
        KpiPublic,
        True,
    ),
    EventKind("template.created", "An objective template was saved (from an objective or described).", TemplatePublic),
    EventKind("template.deleted", "An objective template was deleted (data: as it was).", TemplatePublic),
    EventKind(
        "comment.created",
        "A comment (or a reply) was written on an objective, key result or check-in; `mentions` lists the members "
        "it mentions.",
        CommentPublic,
    ),
    EventKind(
        "comment.updated", "A comment's body was edited (the previous body is in its revisions).", CommentPublic, True
    ),
    EventKind(
        "comment.deleted",
        "A comment was deleted (data: the comment as it was). With replies it stays as a tombstone.",
        CommentPublic,
    ),
    EventKind("endpoint.created", "A webhook endpoint was created.", EndpointPublic),
    EventKind("endpoint.updated", "A webhook endpoint was edited, enabled or disabled by hand.", EndpointPublic, True),
    EventKind("endpoint.secret_rotated", "A webhook endpoint's signing secret was rotated.", EndpointPublic),
    EventKind(
        "endpoint.secret_revealed",
        "An admin read a webhook endpoint's signing secret (GET …/secret); never the secret.",
        EndpointPublic,
    ),
    EventKind("endpoint.deleted", "A webhook endpoint was deleted (data: the endpoint as it was).", EndpointPublic),
    EventKind(
        "endpoint.disabled",
        "A webhook endpoint was disabled automatically: it answered 410 Gone, or failed every attempt for days.",
        EndpointPublic,
    ),
    EventKind("webhook.ping", "A test event, sent only to the endpoint pinged.", PingData),
    EventKind(
        "team.digest",
        "A team's weekly digest (at risk, status changes, check-ins due); sent only to the endpoint of its team "
        "digest (POST /team-digests), never to other subscribers.",
        TeamDigestContent,
    ),
    EventKind("team_digest.created", "A team digest was scheduled to an endpoint.", TeamDigestPublic),
    EventKind("team_digest.updated", "A team digest's weekly slot moved.", TeamDigestPublic),
    EventKind("team_digest.deleted", "A team digest was stopped (data: as it was).", TeamDigestPublic),
    EventKind("integration.created", "An integration now pulls a key result's values.", IntegrationPublic),
    EventKind("integration.updated", "An integration was edited, disabled or re-enabled.", IntegrationPublic, True),
    EventKind("integration.deleted", "An integration was deleted (data: as it was).", IntegrationPublic),
    EventKind(
        "integration.failing",
        "An integration's pull failed after working (or from its first run); see last_error. Sent once per run of "
        "failures.",
        IntegrationPublic,
        True,
    ),
    EventKind("integration.recovered", "A failing integration pulled successfully again.", IntegrationPublic, True),
    EventKind("sql_connection.created", "A SQL connection was registered.", SqlConnectionPublic),
    EventKind(
        "sql_connection.updated", "A SQL connection was renamed or its connection string replaced.", SqlConnectionPublic
    ),
    EventKind("sql_connection.deleted", "A SQL connection was deleted (data: as it was).", SqlConnectionPublic),
    EventKind("sso.configured", "Single sign-on was configured or changed.", SsoConfigPublic),
    EventKind("sso.removed", "Single sign-on was removed (data: as it was).", SsoConfigPublic),
    EventKind(
        "sso.member_provisioned", "A member was created at their first single sign-on (allowed domain).", MemberPublic
    ),
    EventKind("member.created", "A member was added by an admin.", MemberPublic),
    EventKind(
        "invitation.created",
        "An admin invited a person by email (a new invitation to the same email revokes the open one); never the "
        "link's token. Admins read it.",
        InvitationPublic,
    ),
    EventKind("invitation.revoked", "An admin revoked an open invitation. Admins read it.", InvitationPublic),
    EventKind(
        "invitation.accepted",
        "The invited person accepted (actor: the new member; `member.created` follows). Admins read it.",
        InvitationPublic,
    ),
    EventKind("member.updated", "A member was renamed or their role changed.", MemberPublic, True),
    EventKind(
        "member.removed",
        "A member was removed: sessions ended, API keys they made revoked (data: as they were).",
        MemberPublic,
    ),
    EventKind(
        "member.password_changed", "A member changed their own password; their other sessions ended.", MemberPublic
    ),
    EventKind(
        "member.password_reset",
        "An admin (or the operator, actor `operator:cli`) gave a member a new password; their sessions ended.",
        MemberPublic,
    ),
    EventKind(
        "member.signed_in",
        "A member signed in (password, single sign-on or second factor); a session started. Admins and the member "
        "read it.",
        AccessEvent,
    ),
    EventKind(
        "member.sign_in_failed",
        "A sign-in as this member failed (wrong password or second factor); never the password. Attempts the "
        "throttle refused are logged by the service only. Admins and the member read it.",
        AccessEvent,
    ),
    EventKind("member.signed_out", "A member ended their session. Admins and the member read it.", AccessEvent),
    EventKind(
        "organisation.updated", "The organisation was renamed or its settings changed.", OrganisationPublic, True
    ),
    EventKind("api_key.created", "An API key was created (never its secret).", ApiKeyPublic),
    EventKind("api_key.updated", "An API key's scopes were capped to its creator's new role.", ApiKeyPublic, True),
    EventKind("api_key.revoked", "An API key was revoked, by hand or with its creator's removal.", ApiKeyPublic, True),
    EventKind("mfa.enrolled", "A member turned on an authenticator app (second factor).", MemberPublic),
    EventKind("mfa.replaced", "A member replaced their authenticator app with a new one.", MemberPublic),
    EventKind("mfa.removed", "A member turned their authenticator app and recovery codes off.", MemberPublic),
    EventKind(
        "mfa.recovery_codes_renewed", "A member made new recovery codes; the old ones stopped working.", MemberPublic
    ),
    EventKind(
        "session.ended", "A member ended one of their sessions from the session list (data: the member).", MemberPublic
    ),
)
BY_TYPE: dict[str, EventKind] = {kind.type: kind for kind in CATALOGUE}
FAMILIES: frozenset[str] = frozenset(kind.type.split(".", 1)[0] for kind in CATALOGUE)


def is_known(type_or_family: str) -> bool:
    """An exact catalogue type, or a family pattern such as `objective.*`."""
    if type_or_family.endswith(".*"):
        return type_or_family[:-2] in FAMILIES
    return type_or_family in BY_TYPE


def check_types(types: list[str] | None, field: str) -> list[str] | None:
    """422 naming each unknown type; the list comes back without duplicates, in its order."""
    if types is None:
        return None
    errors = [
        FieldError((*field.split("."), index), f"unknown event type {name!r}; see GET /api/v1/event-types")
        for index, name in enumerate(types)
        if not is_known(name)
    ]
    if errors:
        raise Invalid(errors=errors)
    return list(dict.fromkeys(types))


def _payload_schema(kind: EventKind) -> dict[str, Any]:
    data = kind.data.model_json_schema(ref_template="#/$defs/{model}")
    defs = data.pop("$defs", {})
    if kind.has_previous:
        data.setdefault("properties", {})["previous"] = {
            "type": "object",
            "description": "The fields that changed, with their values before the change",
        }
    schema: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": kind.type,
        "type": "object",
        "required": ["id", "type", "timestamp", "data"],
        "properties": {
            "id": {"type": "string", "format": "uuid", "description": "The event id, also in `webhook-id`"},
            "type": {"const": kind.type},
            "timestamp": {"type": "string", "format": "date-time", "description": "When the event happened"},
            "data": data,
        },
    }
    if defs:
        schema["$defs"] = defs
    return schema


@cache
def event_types() -> tuple[EventType, ...]:
    return tuple(
        EventType(type=kind.type, description=kind.description, schema_=_payload_schema(kind)) for kind in CATALOGUE
    )
