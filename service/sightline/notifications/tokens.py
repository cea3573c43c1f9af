"""Signed unsubscribe tokens: a member and a kind, under an HMAC keyed by the installation's secret key.

A token names `<org id>.<user id>.<kind>` in the clear and signs it with HMAC-SHA-256 under a key derived from
each SIGHTLINE_SECRET_KEY (the first signs, all verify: rotation keeps old links working while both are set).
It does not expire: an unsubscribe link in an old email still works, and it can only turn a kind off.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from uuid import UUID

from sightline.config import Settings
from sightline.notifications.kinds import KINDS, Kind

_PURPOSE = b"sightline/notifications/unsubscribe/v1"


@dataclass(frozen=True)
class Unsubscribe:
    org_id: UUID
    user_id: UUID
    kind: Kind


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _mac(key: str, message: bytes) -> bytes:
    derived = hmac.new(key.encode(), _PURPOSE, hashlib.sha256).digest()
    return hmac.new(derived, message, hashlib.sha256).digest()


def sign(settings: Settings, org_id: UUID, user_id: UUID, kind: Kind) -> str:
    message = f"{org_id.hex}.{user_id.hex}.{kind}".encode()
    return f"{_b64(message)}.{_b64(_mac(settings.encryption_keys()[0], message))}"


def verify(settings: Settings, token: str) -> Unsubscribe | None:
    """The member and kind a token names, or None when it is malformed or not signed by one of our keys."""
    try:
        encoded, _, signature = token.partition(".")
        message = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        given = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
        org, user, kind = message.decode().split(".")
        parsed = Unsubscribe(org_id=UUID(hex=org), user_id=UUID(hex=user), kind=kind)  # type: ignore[arg-type]
    except (ValueError, UnicodeDecodeError):
        return None
    if kind not in KINDS:
        return None
    if not any(hmac.compare_digest(_mac(key, message), given) for key in settings.encryption_keys()):
        return None
    return parsed
