"""Chat-ready endpoints (Slack, Teams) receive short readable messages; team digests go out weekly or on demand."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import asyncpg
import orjson
import pytest
from fastapi import FastAPI
from tests.integrations.conftest import BASE_URL
from tests.integrations.support import key_result
from tests.support import FixedClock, StatementCounter, Tenant, create
from tests.webhook_receiver import LocalReceiver

from sightline.integrations import chat
from sightline.integrations.runs import Fetchers
from sightline.webhooks.dispatcher import Dispatcher
from sightline.worker import digest_all

AT_RISK = "Pipeline KR is now at risk: 9,400 / 18,000, confidence 4 — Marketing"


async def _pipeline_at_risk(tenant: Tenant) -> dict[str, Any]:
    """18,000 by the end of September; 9,400 with confidence 4 on 1 July is at risk (pace says 66 %)."""
    kr = await key_result(tenant.client, team="Marketing", start="2026-01-01", end="2026-09-30")
    await create(tenant.client, "/api/v1/check-ins", {"key_result_id": kr["id"], "value": 9400, "confidence": 4})
    return kr


async def test_a_slack_endpoint_receives_a_readable_message_for_a_status_change(
    tenant: Tenant, clock: FixedClock, fetchers: Fetchers, receiver: LocalReceiver, dispatcher: Dispatcher
) -> None:
    endpoint = await create(
        tenant.client,
        "/api/v1/webhook-endpoints",
        {"url": receiver.url, "format": "slack", "event_types": ["key_result.status_changed"]},
    )
    assert endpoint["format"] == "slack"
    kr = await _pipeline_at_risk(tenant)
    assert await dispatcher.drain() == 1
    [request] = receiver.received
    body = orjson.loads(request.body)
    assert body == {
        "text": f"{AT_RISK}\n<{BASE_URL}/objectives/{kr['objective_id']}|Open in Sightline>",
        "unfurl_links": False,
    }
    assert request.headers["content-type"] == "application/json"
    assert request.headers["webhook-signature"].startswith("v1,")  # still signed, like every delivery
    [delivery] = (await tenant.client.get(f"/api/v1/webhook-endpoints/{endpoint['id']}/deliveries")).json()["items"]
    assert delivery["status"] == "succeeded" and delivery["event_type"] == "key_result.status_changed"


async def test_a_teams_endpoint_receives_an_adaptive_card_and_a_ping_is_readable_too(
    tenant: Tenant, clock: FixedClock, fetchers: Fetchers, receiver: LocalReceiver, dispatcher: Dispatcher
) -> None:
    endpoint = await create(
        tenant.client,
        "/api/v1/webhook-endpoints",
        {"url": receiver.url, "format": "teams", "event_types": ["key_result.status_changed"]},
    )
    kr = await _pipeline_at_risk(tenant)
    await dispatcher.drain()
    card = orjson.loads(receiver.received[0].body)["attachments"][0]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert card["content"]["body"][0]["text"] == AT_RISK
    assert card["content"]["actions"][0]["url"] == f"{BASE_URL}/objectives/{kr['objective_id']}"
    pinged = await tenant.client.post(f"/api/v1/webhook-endpoints/{endpoint['id']}/ping")
    assert pinged.json()["status"] == "succeeded"
    ping = orjson.loads(receiver.received[1].body)
    assert ping["summary"] == "Ping from Sightline: this endpoint receives events."
    # Back to the standard format: the signed JSON of the event again.
    patched = await tenant.client.patch(f"/api/v1/webhook-endpoints/{endpoint['id']}", json={"format": "standard"})
    assert patched.json()["format"] == "standard"


async def test_a_weekly_team_digest_goes_to_its_endpoint_now_and_on_schedule(
    app: FastAPI,
    tenant: Tenant,
    clock: FixedClock,
    fetchers: Fetchers,
    receiver: LocalReceiver,
    dispatcher: Dispatcher,
    owner_connection: asyncpg.Connection,
) -> None:
    kr = await _pipeline_at_risk(tenant)
    await create(  # never checked in: overdue since the cycle's first week
        tenant.client,
        "/api/v1/key-results",
        {"objective_id": kr["objective_id"], "title": "Webinar signups", "target_value": 500, "cadence": "weekly"},
    )
    team_id = await owner_connection.fetchval(
        "SELECT o.team_id FROM objectives o WHERE o.id = $1", uuid.UUID(kr["objective_id"])
    )
    endpoint = await create(
        tenant.client,
        "/api/v1/webhook-endpoints",
        {"url": receiver.url, "format": "slack", "event_types": ["cycle.closed"]},
    )
    # Wednesday 1 July: this week's Monday 09:00 slot has passed, so the schedule starts next week.
    digest = await create(
        tenant.client, "/api/v1/team-digests", {"team_id": str(team_id), "endpoint_id": endpoint["id"]}
    )
    assert (digest["weekday"], digest["hour"]) == (1, 9)
    assert await digest_all(app.state.session_factory, now=clock.now) == 0

    sent = await tenant.client.post(f"/api/v1/team-digests/{digest['id']}/send")
    assert sent.status_code == 202, sent.text
    content = sent.json()["digest"]
    assert [item["title"] for item in content["at_risk"]] == ["Pipeline KR"]
    assert [(c["from_status"], c["to_status"]) for c in content["status_changes"]] == [("no_data", "at_risk")]
    # Pipeline KR was checked in today (next due in a month); Webinar signups never was.
    assert [(d["title"], d["overdue"]) for d in content["due_check_ins"]] == [("Webinar signups", True)]
    assert await dispatcher.drain() == 1
    text = orjson.loads(receiver.received[0].body)["text"]
    lines = text.split("\n")
    assert lines[0] == "Weekly digest — Marketing: 1 at risk or off track, 1 status changes, 1 check-ins due"
    assert lines[1] == "• Pipeline KR is at risk: 9,400 / 18,000, confidence 4"
    assert lines[2] == "• Pipeline KR: without data → at risk (2026-07-01)"
    assert lines[3] == "• Check-in overdue since 2026-01-10: Webinar signups (Olive Owner)"
    assert lines[-1] == f"<{BASE_URL}/scoreboard|Open in Sightline>"

    # Monday 6 July, 09:00 in Berlin: the schedule sends it, once.
    clock.set("2026-07-06T09:00:00+02:00")
    assert await digest_all(app.state.session_factory, now=clock.now - timedelta(minutes=1)) == 0
    assert await digest_all(app.state.session_factory, now=clock.now) == 1
    assert await digest_all(app.state.session_factory, now=clock.now + timedelta(hours=3)) == 0
    assert await dispatcher.drain() == 1
    assert len(receiver.received) == 2
    preview = await tenant.client.get(f"/api/v1/teams/{team_id}/digest")
    assert preview.status_code == 200 and preview.json()["team_name"] == "Marketing"


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        pytest.param(9400.0, "9,400", id="thousands-grouped"),
        pytest.param(12.5, "12.5", id="decimals-kept"),
        pytest.param(1234.567, "1,234.57", id="two-decimals-at-most"),
        pytest.param(-3, "-3", id="negative"),
        pytest.param(None, "?", id="missing"),
    ],
)
def test_numbers_in_messages_read_like_a_person_writes_them(value: Any, shown: str) -> None:
    assert chat.number(value) == shown


def test_slack_text_escapes_what_slack_would_read_as_markup() -> None:
    message = chat.Message("R&D <internal> KR is now done")
    assert chat.slack_body(message, "https://x/y")["text"].startswith("R&amp;D &lt;internal&gt; KR is now done")


async def test_a_digest_takes_a_bounded_number_of_statements(
    app: FastAPI, tenant: Tenant, clock: FixedClock, owner_connection: asyncpg.Connection
) -> None:
    kr = await _pipeline_at_risk(tenant)
    team_id = await owner_connection.fetchval(
        "SELECT team_id FROM objectives WHERE id = $1", uuid.UUID(kr["objective_id"])
    )

    async def statements() -> int:
        with StatementCounter(app) as counter:
            assert (await tenant.client.get(f"/api/v1/teams/{team_id}/digest")).status_code == 200
        return counter.count

    small = await statements()
    for n in range(5):
        more = await create(
            tenant.client,
            "/api/v1/key-results",
            {"objective_id": kr["objective_id"], "title": f"KR {n}", "target_value": 100},
        )
        await create(tenant.client, "/api/v1/check-ins", {"key_result_id": more["id"], "value": 1, "confidence": 2})
    assert await statements() == small
