"""Sign-up email verification through a real SMTP server (aiosmtpd): the link in the message is followed."""

from __future__ import annotations

import email
import hashlib
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any

import asyncpg
import httpx
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from fastapi import FastAPI
from structlog.testing import capture_logs
from tests.support import PASSWORD, free_port, make_client

from sightline.mail.sender import MailSender

# The test server takes AUTH without TLS (loopback only); aiosmtpd warns about that, rightly.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
BASE_URL = "https://okr.example.test"
Owner = tuple[httpx.AsyncClient, dict[str, Any]]
LINK = re.compile(re.escape(BASE_URL) + r"/verify-email\?token=([A-Za-z0-9_-]+)")


class Inbox:
    """aiosmtpd handler: every message it accepts, parsed."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content, policy=default_policy))  # type: ignore[arg-type]
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
    """The test server wants the URL's user and password (over plain SMTP on loopback, for the test only)."""
    good = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (b"sightline", b"s3cret")
    return AuthResult(success=good)


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    handler = Inbox()
    port = free_port()
    controller = Controller(
        handler, hostname="127.0.0.1", port=port, authenticator=authenticate, auth_required=True, auth_require_tls=False
    )
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


@pytest.fixture
def verifying(app: FastAPI, inbox: tuple[Inbox, int]) -> Iterator[Inbox]:
    """Verification on, links to BASE_URL, mail to the test's SMTP server (no TLS on loopback)."""
    saved = app.state.settings
    app.state.settings = saved.model_copy(
        update={
            "signup_verify_email": True,
            "public_base_url": BASE_URL,
            "smtp_url": type(saved.smtp_url)(f"smtp://sightline:s3cret@127.0.0.1:{inbox[1]}?starttls=false"),
        }
    )
    yield inbox[0]
    app.state.settings = saved


@pytest.fixture
async def owner(app: FastAPI, verifying: Inbox) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, Any]]]:
    async with make_client(app) as client:
        address = f"owner-{uuid.uuid4().hex[:8]}@example.test"
        response = await client.post(
            "/api/v1/signup",
            json={"organisation_name": "Verify Ltd", "name": "Vera Owner", "email": address, "password": PASSWORD},
        )
        assert response.status_code == 201, response.text
        yield client, response.json()


async def deliver(app: FastAPI) -> int:
    """Every message due, the earlier tests' included (one batch of the shared database may hold none of ours)."""
    return await MailSender(app.state.session_factory, app.state.settings).send_all_due()


def link_token(inbox: Inbox, address: str) -> str:
    messages = inbox.to(address)
    assert messages, f"no message to {address}"
    match = LINK.search(messages[-1].get_content())
    assert match, messages[-1].get_content()
    return match.group(1)


async def test_signup_waits_for_the_link_then_the_organisation_is_usable(
    app: FastAPI, owner: Owner, verifying: Inbox, owner_connection: asyncpg.Connection
) -> None:
    client, body = owner
    address = body["member"]["email"]
    assert body["email_verification_required"] is True

    me = await client.get("/api/v1/me")
    assert me.status_code == 200 and me.json()["email_verification_required"] is True
    for method, path, payload in (
        ("GET", "/api/v1/cycles", None),
        ("GET", "/api/v1/organisation", None),
        ("POST", "/api/v1/api-keys", {"name": "ci", "scopes": ["read"]}),
        ("POST", "/api/v1/members", {"email": "m@example.test", "name": "M", "role": "member"}),
    ):
        refused = await client.request(method, path, json=payload)
        assert refused.status_code == 403, (path, refused.text)
        assert refused.json()["type"] == "/problems/email-verification-required"

    # The message was written with the sign-up (acknowledged means kept), then sent by the job over SMTP.
    queued = await owner_connection.fetchrow("SELECT status, subject FROM mail_outbox WHERE to_address = $1", address)
    assert queued["status"] == "pending"
    assert await deliver(app) >= 1
    message = verifying.to(address)[-1]
    assert message["Subject"] == "Confirm your email address for Sightline"
    token = link_token(verifying, address)
    row = await owner_connection.fetchrow(
        "SELECT m.status, m.sent_at, v.token_hash FROM mail_outbox m JOIN email_verifications v "
        "ON v.org_id = m.org_id WHERE m.to_address = $1",
        address,
    )
    assert row["status"] == "sent" and row["sent_at"] is not None
    assert bytes(row["token_hash"]) == hashlib.sha256(token.encode()).digest()  # only the hash is stored
    stored = await owner_connection.fetchval("SELECT count(*) FROM email_verifications WHERE email = $1", address)
    assert stored == 1

    # The link works from a browser that is not signed in, once.
    async with make_client(app) as stranger:
        assert (await stranger.post("/api/v1/auth/verify-email", json={"token": token})).status_code == 204
        again = await stranger.post("/api/v1/auth/verify-email", json={"token": token})
        assert again.status_code == 422 and again.json()["errors"][0]["loc"] == ["body", "token"]

    assert (await client.get("/api/v1/cycles")).status_code == 200
    assert (await client.get("/api/v1/me")).json()["email_verification_required"] is False
    assert (await client.post("/api/v1/api-keys", json={"name": "ci", "scopes": ["read"]})).status_code == 201
    # A member an admin adds is verified by that act.
    added = await client.post(
        "/api/v1/members",
        json={"email": f"m-{uuid.uuid4().hex[:6]}@example.test", "name": "Mo", "role": "member", "password": PASSWORD},
    )
    assert added.status_code == 201, added.text
    async with make_client(app) as member:
        login = await member.post("/api/v1/auth/login", json={"email": added.json()["email"], "password": PASSWORD})
        assert login.status_code == 200, login.text
        assert (await member.get("/api/v1/cycles")).status_code == 200


async def test_signing_in_again_does_not_get_around_verification(
    app: FastAPI, owner: tuple[httpx.AsyncClient, dict[str, Any]]
) -> None:
    _, body = owner
    async with make_client(app) as other:
        login = await other.post("/api/v1/auth/login", json={"email": body["member"]["email"], "password": PASSWORD})
        assert login.status_code == 200, login.text
        refused = await other.get("/api/v1/cycles")
        assert refused.status_code == 403 and refused.json()["type"] == "/problems/email-verification-required"
        assert (await other.post("/api/v1/auth/logout")).status_code == 204


async def test_resend_is_throttled_and_replaces_the_earlier_link(
    app: FastAPI, owner: Owner, verifying: Inbox, owner_connection: asyncpg.Connection
) -> None:
    client, body = owner
    address = body["member"]["email"]
    await deliver(app)
    first = link_token(verifying, address)

    soon = await client.post("/api/v1/auth/verify-email/resend")
    assert soon.status_code == 429 and 1 <= int(soon.headers["Retry-After"]) <= 60

    await owner_connection.execute(
        "UPDATE email_verifications SET created_at = created_at - interval '2 minutes' WHERE email = $1", address
    )
    assert (await client.post("/api/v1/auth/verify-email/resend")).status_code == 202
    await deliver(app)
    second = link_token(verifying, address)
    assert second != first
    stale = await client.post("/api/v1/auth/verify-email", json={"token": first})
    assert stale.status_code == 422
    assert (await client.post("/api/v1/auth/verify-email", json={"token": second})).status_code == 204
    assert (await client.post("/api/v1/auth/verify-email/resend")).status_code == 409  # nothing left to verify

    # Five links a day at most, however the minutes are spaced.
    _, other = await _signup(app)
    for _ in range(4):
        await owner_connection.execute(
            "UPDATE email_verifications SET created_at = created_at - interval '2 minutes' WHERE email = $1",
            other["member"]["email"],
        )
        assert (await other["client"].post("/api/v1/auth/verify-email/resend")).status_code == 202
    await owner_connection.execute(
        "UPDATE email_verifications SET created_at = created_at - interval '2 minutes' WHERE email = $1",
        other["member"]["email"],
    )
    daily = await other["client"].post("/api/v1/auth/verify-email/resend")
    assert daily.status_code == 429 and int(daily.headers["Retry-After"]) > 3600
    await other["client"].aclose()


async def _signup(app: FastAPI) -> tuple[None, dict[str, Any]]:
    client = make_client(app)
    address = f"owner-{uuid.uuid4().hex[:8]}@example.test"
    response = await client.post(
        "/api/v1/signup",
        json={"organisation_name": "Second Ltd", "name": "Sam Owner", "email": address, "password": PASSWORD},
    )
    assert response.status_code == 201, response.text
    return None, {**response.json(), "client": client}


async def test_an_expired_or_unknown_link_is_refused(
    app: FastAPI, owner: Owner, verifying: Inbox, owner_connection: asyncpg.Connection
) -> None:
    client, body = owner
    address = body["member"]["email"]
    await deliver(app)
    token = link_token(verifying, address)
    await owner_connection.execute(
        "UPDATE email_verifications SET expires_at = now() - interval '1 second' WHERE email = $1", address
    )
    expired = await client.post("/api/v1/auth/verify-email", json={"token": token})
    assert expired.status_code == 422
    assert (await client.post("/api/v1/auth/verify-email", json={"token": "x" * 43})).status_code == 422
    assert (await client.post("/api/v1/auth/verify-email", json={"token": ""})).status_code == 422
    assert (await client.get("/api/v1/cycles")).status_code == 403


async def test_without_smtp_the_message_goes_to_the_delivery_log(
    app: FastAPI, owner: tuple[httpx.AsyncClient, dict[str, Any]], owner_connection: asyncpg.Connection
) -> None:
    _, body = owner
    address = body["member"]["email"]
    settings = app.state.settings.model_copy(update={"smtp_url": type(app.state.settings.smtp_url)("")})
    with capture_logs() as logs:
        await MailSender(app.state.session_factory, settings).send_all_due()
    logged = [entry for entry in logs if entry.get("event") == "mail_logged" and entry.get("to") == address]
    assert logged and LINK.search(logged[0]["body"])
    status = await owner_connection.fetchval("SELECT status FROM mail_outbox WHERE to_address = $1", address)
    assert status == "logged"


async def test_a_failed_delivery_is_kept_and_retried_later(
    app: FastAPI, verifying: Inbox, owner_connection: asyncpg.Connection
) -> None:
    await deliver(app)  # whatever earlier tests left due
    _, other = await _signup(app)
    address = other["member"]["email"]
    await other["client"].aclose()
    dead_port = free_port()  # nothing listens there
    settings = app.state.settings.model_copy(
        update={"smtp_url": type(app.state.settings.smtp_url)(f"smtp://127.0.0.1:{dead_port}?starttls=false")}
    )
    await MailSender(app.state.session_factory, settings).send_all_due()
    row = await owner_connection.fetchrow(
        "SELECT status, attempts, last_error, next_attempt_at - now() AS wait FROM mail_outbox WHERE to_address = $1",
        address,
    )
    assert row["status"] == "pending" and row["attempts"] == 1 and row["last_error"]
    assert timedelta(seconds=20) < row["wait"] <= timedelta(seconds=31)

    # Due again: the working server gets it.
    await owner_connection.execute("UPDATE mail_outbox SET next_attempt_at = now() WHERE to_address = $1", address)
    await deliver(app)
    assert verifying.to(address)
    row = await owner_connection.fetchrow("SELECT status, attempts FROM mail_outbox WHERE to_address = $1", address)
    assert row["status"] == "sent" and row["attempts"] == 2


async def test_turned_off_the_sign_up_is_usable_at_once(app: FastAPI, anon: httpx.AsyncClient) -> None:
    assert app.state.settings.signup_verify_email is False  # the suite's setting (conftest.py)
    response = await anon.post(
        "/api/v1/signup",
        json={
            "organisation_name": "Open Ltd",
            "name": "Otto Owner",
            "email": f"o-{uuid.uuid4().hex[:8]}@example.test",
            "password": PASSWORD,
        },
    )
    assert response.status_code == 201 and response.json()["email_verification_required"] is False
    assert (await anon.get("/api/v1/cycles")).status_code == 200
