"""The mail sender job: claims due messages of every organisation and delivers them over SMTP (aiosmtplib), or,
without `SIGHTLINE_SMTP_URL`, writes them to the log ("the delivery log") and marks them `logged`.

A claim pushes the message's due time to the end of a lease, in one statement (SKIP LOCKED): several senders
never take the same message, and one that dies mid-send leaves it due again when the lease ends. Delivery is
therefore at least once. A failed attempt is retried with a doubling backoff until `SIGHTLINE_MAIL_MAX_ATTEMPTS`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from urllib.parse import parse_qs, unquote, urlsplit
from uuid import UUID

import aiosmtplib
import structlog
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sightline.clock import current_time
from sightline.config import Settings
from sightline.db.tenancy import scoped, set_tenant
from sightline.mail.models import MailMessage

log = structlog.get_logger("sightline.mail")
BATCH = 20
FIRST_RETRY_SECONDS, MAX_RETRY_SECONDS = 30.0, 3600.0
# Headers a queued message may add to the ones the sender writes.
EXTRA_HEADERS = frozenset({"List-Unsubscribe", "List-Unsubscribe-Post"})
_CLAIM = text("SELECT org_id, mail_id FROM mail_claim_due(:now, :lease_until, :limit)")


@dataclass(frozen=True)
class SmtpServer:
    """Where and how to send, from `smtp://user:password@host:587[?starttls=false]` or `smtps://…:465`."""

    hostname: str
    port: int
    username: str | None
    password: str | None
    use_tls: bool  # TLS from the first byte (smtps)
    start_tls: bool  # STARTTLS required (smtp, unless ?starttls=false for a local relay)

    @classmethod
    def from_url(cls, url: str) -> SmtpServer:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("give an smtp:// or smtps:// URL with a host")
        implicit = parts.scheme == "smtps"
        starttls = parse_qs(parts.query).get("starttls", ["true"])[-1].lower() not in ("false", "0", "no")
        return cls(
            hostname=parts.hostname,
            port=parts.port or (465 if implicit else 587),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            use_tls=implicit,
            start_tls=starttls and not implicit,
        )


def retry_delay(attempts: int) -> timedelta:
    """30 s after the first failed attempt, doubling, at most an hour."""
    return timedelta(seconds=min(FIRST_RETRY_SECONDS * 2 ** max(attempts - 1, 0), MAX_RETRY_SECONDS))


def _email(message: MailMessage, sender: str, now: datetime) -> EmailMessage:
    email = EmailMessage()  # its header policy refuses line breaks in headers (no header injection)
    email["From"] = sender
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email["Date"] = format_datetime(now)
    email["Message-ID"] = message_id(message.id, sender)
    for name, value in message.headers.items():
        if name in EXTRA_HEADERS:
            email[name] = value
    email.set_content(message.body_text)
    if message.body_html is not None:
        email.add_alternative(message.body_html, subtype="html")  # multipart/alternative: text, then HTML
    return email


def message_id(mail_id: UUID, sender: str) -> str:
    """The same for every attempt at one message (derived from its id): a retry after a crash between the
    server's acceptance and our record of it is recognisably the same message, not a second one."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    return f"<{mail_id}@{domain}>"


class MailSender:
    def __init__(
        self,
        factory: async_sessionmaker[AsyncSession],
        settings: Settings,
        *,
        clock: Callable[[], datetime] = current_time,
    ) -> None:
        self.factory = factory
        url = settings.smtp_url.get_secret_value()
        self.server = SmtpServer.from_url(url) if url else None
        self.sender = settings.mail_from
        self.timeout = settings.mail_timeout_seconds
        self.max_attempts = settings.mail_max_attempts
        self.poll_seconds = settings.mail_poll_seconds
        self.clock = clock
        # A claim outlives a send that hangs until its timeout; then the message is due again.
        self.lease = timedelta(seconds=max(60.0, settings.mail_timeout_seconds * 4))

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.send_all_due(stop)
            except Exception:  # logged; the loop must live on
                log.exception("mail_pass_failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.poll_seconds)

    async def send_all_due(self, stop: asyncio.Event | None = None) -> int:
        """Batch after batch until one comes back short (or `stop` is set): everything due now; how many were
        claimed. A failed attempt is due again only after its back-off, so this ends."""
        total = 0
        while True:
            claimed = await self.send_due()
            total += claimed
            if claimed < BATCH or (stop is not None and stop.is_set()):
                return total

    async def send_due(self) -> int:
        """Claim and deliver up to a batch of due messages; returns how many were claimed."""
        now = self.clock()
        async with self.factory() as session, session.begin():
            claimed = (
                await session.execute(_CLAIM, {"now": now, "lease_until": now + self.lease, "limit": BATCH})
            ).all()
        for row in claimed:
            await self._deliver(row.org_id, row.mail_id)
        return len(claimed)

    async def _deliver(self, org_id: UUID, mail_id: UUID) -> None:
        async with self.factory() as session, session.begin():
            await set_tenant(session, org_id)
            message = (
                await session.execute(scoped(MailMessage, org_id).where(MailMessage.id == mail_id))  # type: ignore[arg-type]
            ).scalar_one_or_none()
            if message is None or message.status != "pending":
                return
            session.expunge(message)
        error: str | None = None
        now = self.clock()
        if self.server is None:
            # No SMTP server: the delivery log. It holds the body (e.g. a verification link) on purpose, so an
            # operator can pass it on; see docs/security/abuse.md.
            log.warning(
                "mail_logged",
                mail_id=str(mail_id),
                org_id=str(org_id),
                kind=message.kind,
                to=message.to_address,
                subject=message.subject,
                body=message.body_text,
            )
        else:
            try:
                await aiosmtplib.send(
                    _email(message, self.sender, now),
                    hostname=self.server.hostname,
                    port=self.server.port,
                    username=self.server.username,
                    password=self.server.password,
                    use_tls=self.server.use_tls,
                    start_tls=self.server.start_tls,
                    timeout=self.timeout,
                )
            except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
                error = f"{type(exc).__name__}: {exc}"[:500]
        await self._record(org_id, mail_id, attempts=message.attempts, error=error)

    async def _record(self, org_id: UUID, mail_id: UUID, *, attempts: int, error: str | None) -> None:
        now = self.clock()
        if error is None:
            values = {"status": "logged" if self.server is None else "sent", "sent_at": now, "last_error": None}
            log.info("mail_delivered", mail_id=str(mail_id), org_id=str(org_id), status=values["status"])
        elif attempts >= self.max_attempts:
            values = {"status": "failed", "last_error": error}
            log.error("mail_failed", mail_id=str(mail_id), org_id=str(org_id), attempts=attempts, error=error)
        else:
            values = {"next_attempt_at": now + retry_delay(attempts), "last_error": error}
            log.warning("mail_retry", mail_id=str(mail_id), org_id=str(org_id), attempts=attempts, error=error)
        assignments = ", ".join(f"{column} = :{column}" for column in values)
        async with self.factory() as session, session.begin():
            await set_tenant(session, org_id)
            await session.execute(
                text(f"UPDATE mail_outbox SET {assignments} WHERE org_id = :org AND id = :id AND status = 'pending'"),
                {**values, "org": org_id, "id": mail_id},
            )
