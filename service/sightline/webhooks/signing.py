"""Standard Webhooks signing: `whsec_` secrets and `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` signatures.

https://www.standardwebhooks.com: the receiver verifies with the `standardwebhooks` packages.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32  # the scheme asks for 24 to 64 random bytes
# After a rotation the old secret keeps signing alongside the new one for this long.
ROTATION_OVERLAP = timedelta(hours=24)


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def sign(secret: str, *, message_id: str, timestamp: int, body: bytes) -> str:
    """One `v1,…` signature of exactly these body bytes."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signing_secrets(
    secret: str, previous_secret: str | None, previous_expires_at: datetime | None, *, now: datetime
) -> list[str]:
    """The current secret, and the previous one while its overlap after a rotation lasts."""
    if previous_secret is not None and previous_expires_at is not None and now < previous_expires_at:
        return [secret, previous_secret]
    return [secret]


def webhook_headers(secrets_: Sequence[str], *, message_id: str, now: datetime, body: bytes) -> dict[str, str]:
    """The Standard Webhooks headers of one attempt (several signatures are space-separated)."""
    timestamp = int(now.timestamp())
    signature = " ".join(sign(s, message_id=message_id, timestamp=timestamp, body=body) for s in secrets_)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature,
        "content-type": "application/json",
    }
