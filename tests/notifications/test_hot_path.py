"""The producer costs nothing for events it does not handle: a check-in that changes no status issues no
statement about notifications (the rows are filtered on type in Python first)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from sqlalchemy import event

from tests.support import Tenant, create

from .helpers import owned_by


class Statements:
    def __init__(self, app: FastAPI) -> None:
        self.engine = app.state.engine.sync_engine
        self.texts: list[str] = []

    def _on_execute(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self.texts.append(statement)

    def __enter__(self) -> Statements:
        event.listen(self.engine, "before_cursor_execute", self._on_execute)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._on_execute)


async def test_a_check_in_without_a_status_change_issues_no_notification_statement(
    app: FastAPI, tenant: Tenant
) -> None:
    _, ann = await tenant.member_client(app, "member")
    _, kr = await owned_by(tenant.client, ann)
    await create(tenant.client, "/api/v1/check-ins", {"key_result_id": kr["id"], "value": 50})
    with Statements(app) as first:  # a status change: the producer works (the listener sees its statements)
        await create(tenant.client, "/api/v1/check-ins", {"key_result_id": kr["id"], "value": 100})
    assert any("INSERT INTO notifications" in s for s in first.texts)
    with Statements(app) as same:  # the same value again: no status moves
        await create(tenant.client, "/api/v1/check-ins", {"key_result_id": kr["id"], "value": 100})
    assert any("INSERT INTO events" in s for s in same.texts)
    assert not [s for s in same.texts if "notification" in s.lower()]
