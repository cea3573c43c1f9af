"""Pure rules of the webhooks: signatures, secrets, the retry schedule, payloads, the event catalogue."""

from __future__ import annotations

import base64
import random
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

import orjson
import pytest
from standardwebhooks import Webhook

from sightline.webhooks import payload
from sightline.webhooks.catalogue import BY_TYPE, check_types, is_known
from sightline.webhooks.schedule import next_attempt, parse_retry_after
from sightline.webhooks.signing import new_secret, sign, signing_secrets, webhook_headers

NOW = datetime(2026, 7, 1, 12, tzinfo=UTC)
SCHEDULE = (0.0, 5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0)
SERVICE = Path(__file__).resolve().parents[2] / "service" / "sightline"


def test_secrets_are_whsec_and_at_least_24_random_bytes() -> None:
    secrets = {new_secret() for _ in range(50)}
    assert len(secrets) == 50
    for secret in secrets:
        assert secret.startswith("whsec_")
        assert 24 <= len(base64.b64decode(secret.removeprefix("whsec_"))) <= 64


def test_our_signature_is_the_standard_one() -> None:
    secret, body = new_secret(), b'{"type":"check_in.created"}'
    ours = sign(secret, message_id="msg_1", timestamp=1_782_907_200, body=body)
    theirs = Webhook(secret).sign("msg_1", datetime.fromtimestamp(1_782_907_200, UTC), body.decode())
    assert ours == theirs and ours.startswith("v1,")


def test_headers_carry_id_integer_timestamp_and_space_separated_signatures() -> None:
    new, old = new_secret(), new_secret()
    headers = webhook_headers([new, old], message_id="evt", now=NOW, body=b"{}")
    assert headers["webhook-id"] == "evt"
    assert headers["webhook-timestamp"] == str(int(NOW.timestamp()))
    first, second = headers["webhook-signature"].split(" ")
    assert first == sign(new, message_id="evt", timestamp=int(NOW.timestamp()), body=b"{}")
    assert second == sign(old, message_id="evt", timestamp=int(NOW.timestamp()), body=b"{}")


@pytest.mark.parametrize(
    ("now", "count"),
    [
        pytest.param(NOW - timedelta(seconds=1), 2, id="before-the-overlap-ends-both"),
        pytest.param(NOW, 1, id="at-the-end-only-the-new"),
        pytest.param(NOW + timedelta(days=3), 1, id="long-after-only-the-new"),
    ],
)
def test_the_previous_secret_signs_only_until_its_expiry(now: datetime, count: int) -> None:
    assert len(signing_secrets("whsec_new", "whsec_old", NOW, now=now)) == count
    assert signing_secrets("whsec_new", None, None, now=now) == ["whsec_new"]


@pytest.mark.parametrize(
    ("attempts", "nominal"),
    [(1, 5), (2, 300), (3, 1800), (4, 7200), (5, 18000), (6, 36000), (7, 36000)],
    ids=["1st-then-5s", "2nd-then-5min", "3rd-then-30min", "4th-then-2h", "5th-then-5h", "6th-then-10h", "7th-10h"],
)
def test_the_schedule_is_exponential_with_20_percent_jitter(attempts: int, nominal: float) -> None:
    rng = random.Random(attempts)
    delays = [
        (next_attempt(attempts=attempts, schedule=SCHEDULE, attempted_at=NOW, rng=rng).at or NOW) - NOW
        for _ in range(200)
    ]
    assert all(timedelta(seconds=nominal * 0.8) <= d <= timedelta(seconds=nominal * 1.2) for d in delays)
    assert len(set(delays)) > 100  # jittered, so retries of many deliveries do not stampede together


def test_after_the_eighth_attempt_there_is_no_next() -> None:
    assert next_attempt(attempts=8, schedule=SCHEDULE, attempted_at=NOW).at is None


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        pytest.param("120", timedelta(seconds=120), id="seconds"),
        pytest.param("Wed, 01 Jul 2026 14:00:00 GMT", timedelta(hours=2), id="http-date"),
        pytest.param("Wed, 01 Jul 2026 11:00:00 GMT", timedelta(0), id="date-in-the-past-means-now"),
        pytest.param("9999999", timedelta(hours=24), id="capped-at-a-day"),
        pytest.param("soon", None, id="unreadable-ignored"),
        pytest.param(None, None, id="absent"),
    ],
)
def test_retry_after_is_read_as_seconds_or_http_date(header: str | None, expected: timedelta | None) -> None:
    assert parse_retry_after(header, now=NOW) == expected


def test_retry_after_only_ever_delays() -> None:
    soon = next_attempt(attempts=3, schedule=SCHEDULE, attempted_at=NOW, retry_after=timedelta(seconds=1)).at
    assert soon is not None and soon - NOW >= timedelta(seconds=1800 * 0.8)


def test_the_payload_is_the_object_with_what_changed_and_stable_bytes() -> None:
    event_id, object_id = UUID(int=1), UUID(int=2)
    before = {"id": str(object_id), "status": "on_track", "title": "Leads"}
    after = {"id": str(object_id), "status": "at_risk", "title": "Leads"}
    body = payload.body(
        event_id=event_id,
        type="key_result.status_changed",
        occurred_at=datetime(2026, 7, 1, 14, tzinfo=UTC).astimezone(),
        object_id=object_id,
        before=before,
        after=after,
    )
    assert orjson.loads(body) == {
        "id": str(event_id),
        "type": "key_result.status_changed",
        "timestamp": "2026-07-01T14:00:00Z",
        "data": {**after, "previous": {"status": "on_track"}},
    }
    again = payload.body(
        event_id=event_id,
        type="key_result.status_changed",
        occurred_at=datetime(2026, 7, 1, 14, tzinfo=UTC),
        object_id=object_id,
        before=before,
        after=after,
    )
    assert again == body  # the same bytes every attempt
    archived = payload.body(
        event_id=event_id, type="objective.archived", occurred_at=NOW, object_id=object_id, before=None, after=None
    )
    assert orjson.loads(archived)["data"] == {"id": str(object_id)}


def test_every_event_type_the_service_writes_is_in_the_catalogue() -> None:
    written: set[str] = set()
    for path in SERVICE.rglob("*.py"):
        written |= set(re.findall(r'type="([a-z_]+\.[a-z_]+)"', path.read_text()))
    written |= {"cycle.activated", "cycle.closed"}  # built with an f-string in okrs/cycles.py
    assert written, "the scan found nothing: update the pattern"
    missing = sorted(written - set(BY_TYPE))
    assert not missing, f"register these event types in sightline/webhooks/catalogue.py: {missing}"


def test_filters_name_catalogue_types_or_families() -> None:
    assert is_known("check_in.created") and is_known("key_result.*") and is_known("endpoint.disabled")
    assert not is_known("check_in.deleted") and not is_known("nothing.*") and not is_known("*")
    assert check_types(None, "body.event_types") is None
    assert check_types(["objective.*", "objective.*"], "body.event_types") == ["objective.*"]
