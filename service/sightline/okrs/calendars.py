"""Calendars: an organisation's settings and a cycle's bounds in its time zone, for many cycles at once.

Every read of an objective or key result needs one (expected progress, staleness, status gaps), so they come
in one statement whatever the number of cycles, as plain rows, with the settings parsed once per text.
"""

from __future__ import annotations

from typing import cast
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from sightline.db.rows import fetch_rows
from sightline.identity.schemas import OrganisationSettings
from sightline.okrs.derive import Calendar
from sightline.okrs.models import Cycle


async def load_calendars(session: AsyncSession, *, org_id: UUID, cycle_ids: set[UUID]) -> dict[UUID, Calendar]:
    """Calendars (settings + bounds) for several cycles in one statement, whatever their number (the
    organisation's settings come joined: every read of an objective needs them). The cycles are plain rows
    with the model's attributes (callers only read them); the settings are parsed once per settings text."""
    if not cycle_ids:
        return {}
    rows = await fetch_rows(session, _CALENDAR_ROWS, org_id, list(cycle_ids))
    return {row.id: Calendar.of(settings_of(row.settings_text), cast(Cycle, row)) for row in rows}


_CALENDAR_ROWS = """
    SELECT c.*, g.settings::text AS settings_text FROM cycles c JOIN orgs g ON g.org_id = c.org_id
    WHERE c.org_id = $1 AND c.id = ANY($2::uuid[])
"""
_SETTINGS: dict[str, OrganisationSettings] = {}  # bounded: see `settings_of`
_SETTINGS_KEPT = 256


def settings_of(text: str) -> OrganisationSettings:
    """An organisation's settings from their stored json text; parsing and validating them costs more than the
    statement that read them, and they change rarely: kept per text (a change is a new text). Never mutated."""
    settings = _SETTINGS.get(text)
    if settings is None:
        if len(_SETTINGS) >= _SETTINGS_KEPT:
            _SETTINGS.clear()
        settings = _SETTINGS[text] = OrganisationSettings.model_validate_json(text)
    return settings
