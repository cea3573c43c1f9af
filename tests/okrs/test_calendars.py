"""Calendars (okrs/calendars.py): an organisation's settings parsed once per stored text, never stale."""

from __future__ import annotations

import json

from sightline.identity.schemas import OrganisationSettings
from sightline.okrs import calendars
from sightline.okrs.calendars import settings_of


def test_settings_are_parsed_once_per_text_and_a_change_is_a_new_text() -> None:
    text = OrganisationSettings().model_dump_json()
    first = settings_of(text)
    assert settings_of(text) is first  # the same text: the parsed settings kept
    changed = json.dumps({**json.loads(text), "time_zone": "Asia/Tokyo"})
    assert settings_of(changed).time_zone == "Asia/Tokyo" != first.time_zone


def test_the_kept_settings_are_bounded() -> None:
    base = json.loads(OrganisationSettings().model_dump_json())
    for gap in range(calendars._SETTINGS_KEPT + 10):
        settings_of(json.dumps({**base, "on_track_gap": round(0.01 + gap / 10_000, 4)}))
    assert len(calendars._SETTINGS) <= calendars._SETTINGS_KEPT
