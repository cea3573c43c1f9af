"""Mail-borne identity flows through a real SMTP server (aiosmtpd): what it received is read, its links followed."""

from __future__ import annotations

import email
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from fastapi import FastAPI

from sightline.mail.sender import MailSender
from tests.support import FixedClock, _no_server_errors, free_port

BASE_URL = "https://okr.example.test"


class Inbox:
    """aiosmtpd handler: every message it accepts, parsed."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content, policy=default_policy))  # type: ignore[arg-type]
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]

    def link(self, address: str, path: str) -> str:
        """The token of the link to `path` in the latest message to `address`."""
        messages = self.to(address)
        assert messages, f"no message to {address}"
        match = re.search(re.escape(BASE_URL + path) + r"\?token=([A-Za-z0-9_-]+)", messages[-1].get_content())
        assert match, messages[-1].get_content()
        return match.group(1)


@pytest.fixture
def inbox(app: FastAPI) -> Iterator[Inbox]:
    """A local SMTP server; the service's links point at BASE_URL and its mail goes to that server."""
    handler = Inbox()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    saved = app.state.settings
    app.state.settings = saved.model_copy(
        update={
            "public_base_url": BASE_URL,
            "smtp_url": type(saved.smtp_url)(f"smtp://127.0.0.1:{port}?starttls=false"),
        }
    )
    try:
        yield handler
    finally:
        app.state.settings = saved
        controller.stop()


async def deliver(app: FastAPI, now: datetime | None = None) -> int:
    """What the sender job does in one pass (at `now`, the test's clock, when given): every message due, the
    earlier tests' included (the test database is shared: a single batch may hold none of this test's)."""
    when = now or datetime.now(UTC)
    return await MailSender(app.state.session_factory, app.state.settings, clock=lambda: when).send_all_due()


@pytest.fixture
def real_now(clock: FixedClock) -> FixedClock:
    """The test's clock, started at the real time: sessions (checked against the database's clock) stay alive."""
    clock.now = datetime.now(UTC)
    return clock


def client_from(app: FastAPI, address: str | None = None) -> httpx.AsyncClient:
    """A client of the app seen from `address` (a fresh one by default: the throttles count per address)."""
    peer = address or f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250 + 1}"
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=(peer, 40000)),
        base_url="http://testserver",
        event_hooks={"response": [_no_server_errors]},
    )


@pytest.fixture
async def stranger(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with client_from(app) as client:
        yield client


def new_email(name: str = "person") -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}@example.test"
