"""The demo's own webhook receiver: `POST /demo/webhook-receiver`, installed by `sightline demo` only.

It stands for the integrator's side of a webhook: it verifies each delivery's Standard Webhooks signature
with the secrets of the demo organisation's endpoints that point at it (read at each request, so a rotation in
the web app keeps working), refuses a bad or stale signature, and answers 200 with a one-line receipt, which the
delivery log shows as the response. It keeps no payload. `sightline serve` never installs it.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from datetime import datetime, timedelta
from uuid import UUID

import structlog
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from sightline.clock import current_time
from sightline.db.tenancy import set_tenant
from sightline.errors import BadRequest, Unauthorized
from sightline.webhooks.signing import sign, signing_secrets

RECEIVER_PATH = "/demo/webhook-receiver"
# The Standard Webhooks recommendation: a signature older or newer than this is refused (replays).
TOLERANCE = timedelta(minutes=5)

log = structlog.get_logger("sightline.demo")

_SECRETS = text("""
    SELECT secret, previous_secret, previous_secret_expires_at FROM webhook_endpoints
    WHERE org_id = :org AND url = :url
""")


def verify(secrets: Sequence[str], *, headers: dict[str, str], body: bytes, now: datetime) -> str:
    """The delivery's `webhook-id` when one of its `v1` signatures is one of `secrets`' over exactly `body`, at
    a timestamp within TOLERANCE of `now`; BadRequest when a header is missing, Unauthorized otherwise."""
    message_id, stamp, signatures = (
        headers.get(h, "") for h in ("webhook-id", "webhook-timestamp", "webhook-signature")
    )
    if not (message_id and stamp and signatures):
        raise BadRequest("webhook-id, webhook-timestamp and webhook-signature are required (Standard Webhooks)")
    try:
        timestamp = int(stamp)
    except ValueError as exc:
        raise BadRequest("webhook-timestamp is not a Unix time in seconds") from exc
    if abs(now.timestamp() - timestamp) > TOLERANCE.total_seconds():
        raise Unauthorized("webhook-timestamp is more than five minutes away from now (a replay?)")
    expected = {sign(secret, message_id=message_id, timestamp=timestamp, body=body) for secret in secrets}
    given = signatures.split(" ")
    if not any(hmac.compare_digest(g, e) for g in given for e in expected):
        raise Unauthorized("no signature matches the secret of an endpoint pointing here")
    return message_id


def install_demo_receiver(app: FastAPI, *, org_id: UUID, url: str) -> None:
    """Add the receiver to `app` (before it starts): deliveries to `url` from the organisation `org_id`."""

    async def receive(request: Request) -> JSONResponse:
        body = await request.body()
        now = current_time()
        async with request.app.state.session_factory() as session, session.begin():
            await set_tenant(session, org_id)
            rows = (await session.execute(_SECRETS, {"org": org_id, "url": url})).all()
        secrets = [
            key
            for row in rows
            for key in signing_secrets(row.secret, row.previous_secret, row.previous_secret_expires_at, now=now)
        ]
        message_id = verify(secrets, headers=dict(request.headers), body=body, now=now)
        log.info("demo webhook received", webhook_id=message_id, bytes=len(body))
        return JSONResponse({"received": message_id, "signature": "verified"})

    app.add_api_route(
        RECEIVER_PATH,
        receive,
        methods=["POST"],
        include_in_schema=False,
        summary="The demo's webhook receiver (sightline demo only)",
    )
