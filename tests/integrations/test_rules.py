"""Pure rules of the integrations: numbers from sources, schedule and back-off, periods, digest slots, keys."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import pytest
from fastapi import FastAPI
from pydantic import ValidationError
from tests.support import Tenant, create

from sightline.config import DEV_SECRET_KEY, Settings
from sightline.crypto import SecretBox, SecretUnreadable
from sightline.integrations.connections import rotate_all_secrets
from sightline.integrations.digest import slot_passed, week_start
from sightline.integrations.runs import already_recorded, next_run_at, period_index
from sightline.integrations.sources import SourceError, parse_number, value_from_csv, value_from_json
from sightline.scoring import Cadence

T0 = datetime.fromisoformat("2026-07-01T00:00:00+02:00")
CYCLE_START = datetime.fromisoformat("2026-01-01T00:00:00+01:00")


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        pytest.param(9400, 9400.0, id="json-number"),
        pytest.param("9400", 9400.0, id="digits"),
        pytest.param("9,400", 9400.0, id="thousands-comma"),
        pytest.param("9 400", 9400.0, id="thousands-space"),
        pytest.param("1,234.5", 1234.5, id="grouped-with-decimals"),
        pytest.param("1.234,5", 1234.5, id="european-grouping"),
        pytest.param("12,5", 12.5, id="decimal-comma"),
        pytest.param("€ 12,500.50", 12500.5, id="currency-symbol"),
        pytest.param("100 USD", 100.0, id="currency-code-after"),
        pytest.param("45 %", 45.0, id="percent"),
        pytest.param("-3.5", -3.5, id="negative"),
    ],
)
def test_numbers_are_read_as_spreadsheets_write_them(raw: Any, value: float) -> None:
    assert parse_number(raw) == value


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("12k", id="scaled-suffix-is-not-guessed"),
        pytest.param("n/a", id="text"),
        pytest.param("", id="empty"),
        pytest.param(True, id="boolean"),
        pytest.param(None, id="null"),
        pytest.param([1], id="list"),
        pytest.param(1e16, id="beyond-a-check-in-value"),
    ],
)
def test_what_is_not_a_number_is_refused_with_the_reason(raw: Any) -> None:
    with pytest.raises(SourceError):
        parse_number(raw)


def test_a_json_path_must_select_exactly_one_value() -> None:
    body = b'{"rows": [{"month": "2026-05", "mqls": 1180}, {"month": "2026-06", "mqls": "1,350"}]}'
    assert value_from_json(body, "$.rows[-1].mqls") == 1350
    assert value_from_json(body, "$.rows[?(@.month == '2026-05')].mqls") == 1180
    with pytest.raises(SourceError, match="matched 2 values"):
        value_from_json(body, "$.rows[*].mqls")
    with pytest.raises(SourceError, match="not JSON"):
        value_from_json(b"<html>", "$.a")


def test_a_csv_cell_by_column_and_row_number_or_matching_row() -> None:
    body = b"Month,MQLs\n2026-04,900\n2026-05,1180\n\n2026-06,1350\n"
    assert value_from_csv(body, column="MQLs") == 1350  # the last row by default
    assert value_from_csv(body, column="mqls", row=1) == 900
    assert value_from_csv(body, column="MQLs", row=-2) == 1180
    assert value_from_csv(body, column="MQLs", match_column="Month", match_value="2026-05") == 1180
    assert value_from_csv(b"Month;MQLs\n2026-06;1350\n", column="MQLs") == 1350  # semicolons
    for kwargs, reason in (
        ({"column": "SQLs"}, "no column 'SQLs'"),
        ({"column": "MQLs", "row": 9}, "row 9 does not exist"),
        ({"column": "MQLs", "match_column": "Month", "match_value": "2027-01"}, "no row has"),
    ):
        with pytest.raises(SourceError, match=reason):
            value_from_csv(body, **kwargs)


@pytest.mark.parametrize(
    ("schedule", "failures", "wait"),
    [
        pytest.param("hourly", 0, timedelta(hours=1), id="hourly-on-schedule"),
        pytest.param("hourly", 1, timedelta(hours=1), id="first-failure-waits-one-interval"),
        pytest.param("hourly", 2, timedelta(hours=2), id="second-failure-doubles"),
        pytest.param("hourly", 5, timedelta(hours=16), id="fifth-failure-16-hours"),
        pytest.param("hourly", 20, timedelta(days=7), id="capped-at-a-week"),
        pytest.param("daily", 3, timedelta(days=4), id="daily-third-failure-four-days"),
        pytest.param("weekly", 4, timedelta(days=7), id="weekly-never-beyond-its-interval"),
    ],
)
def test_the_next_pull_backs_off_after_repeated_failures(schedule: str, failures: int, wait: timedelta) -> None:
    assert next_run_at(schedule=schedule, ran_at=T0, consecutive_failures=failures) == T0 + wait


def test_the_period_of_a_pull_is_the_key_results_cadence_period_from_the_cycle_start() -> None:
    assert period_index(cycle_start=CYCLE_START, cadence=Cadence.monthly, moment=T0) == 6
    assert period_index(cycle_start=CYCLE_START, cadence=Cadence.weekly, moment=T0) == 25
    same = {"cycle_start": CYCLE_START, "cadence": Cadence.monthly, "now": T0 + timedelta(days=1)}
    assert already_recorded(value=5, current_value=5, last_check_in_at=T0, **same)
    assert not already_recorded(value=6, current_value=5, last_check_in_at=T0, **same)
    assert not already_recorded(value=5, current_value=5, last_check_in_at=None, **same)
    later = {**same, "now": T0 + timedelta(days=31)}
    assert not already_recorded(value=5, current_value=5, last_check_in_at=T0, **later)


def test_a_digest_slot_is_a_weekday_and_hour_in_the_organisations_zone() -> None:
    wednesday = datetime.fromisoformat("2026-07-01T10:00:00+02:00")
    assert week_start(now=wednesday, time_zone="Europe/Berlin").isoformat() == "2026-06-29"
    assert slot_passed(now=wednesday, time_zone="Europe/Berlin", weekday=1, hour=9)
    assert not slot_passed(now=wednesday, time_zone="Europe/Berlin", weekday=5, hour=9)
    # 07:30 UTC is 09:30 in Berlin but 03:30 in New York.
    monday = datetime.fromisoformat("2026-07-06T07:30:00+00:00")
    assert slot_passed(now=monday, time_zone="Europe/Berlin", weekday=1, hour=9)
    assert not slot_passed(now=monday, time_zone="America/New_York", weekday=1, hour=9)


def test_secrets_rotate_to_a_new_key_and_an_unknown_key_is_reported() -> None:
    old, new = SecretBox.new_key(), SecretBox.new_key()
    token = SecretBox([old]).encrypt("Bearer crm-token")
    rotated = SecretBox([new, old]).rotate(token)
    assert SecretBox([new]).decrypt(rotated) == "Bearer crm-token"
    with pytest.raises(SecretUnreadable, match="rotate-secrets"):
        SecretBox([new]).decrypt(token)


def test_production_refuses_the_public_development_key() -> None:
    with pytest.raises(ValidationError, match="SIGHTLINE_SECRET_KEY"):
        Settings(env="production", secret_key=DEV_SECRET_KEY)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="SIGHTLINE_SECRET_KEY"):
        Settings(env="production", secret_key=f"{SecretBox.new_key()},{DEV_SECRET_KEY}")
    assert Settings(env="production", secret_key=SecretBox.new_key()).env == "production"
    with pytest.raises(ValidationError, match="32 bytes"):
        Settings(secret_key="not-a-key")


async def test_rotate_secrets_re_encrypts_every_stored_credential(
    app: FastAPI, tenant: Tenant, owner_connection: asyncpg.Connection
) -> None:
    connection = await create(
        tenant.client, "/api/v1/sql-connections", {"name": "CRM", "dsn": "postgresql://ro:pw@db.example.com/crm"}
    )

    async def stored() -> str:
        value: str = await owner_connection.fetchval(
            "SELECT dsn_encrypted FROM sql_connections WHERE id = $1", uuid.UUID(connection["id"])
        )
        return value

    new, suite_key = SecretBox.new_key(), app.state.settings.encryption_keys()[0]
    factory = app.state.session_factory
    assert await rotate_all_secrets(factory, box=SecretBox([new, suite_key])) >= 1
    assert SecretBox([new]).decrypt(await stored()) == "postgresql://ro:pw@db.example.com/crm"
    # And back to the key the rest of the suite runs with.
    await rotate_all_secrets(factory, box=SecretBox([suite_key, new]))
    assert SecretBox([suite_key]).decrypt(await stored()) == "postgresql://ro:pw@db.example.com/crm"
