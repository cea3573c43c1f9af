"""Password hashing (argon2id) and opaque tokens (session cookies, API keys) stored only as hashes.

Argon2 takes ~100 ms of CPU and 64 MiB by design: it runs in worker threads (argon2-cffi releases the GIL), at
most one per CPU, so a sign-in never stalls the event loop and a burst of them cannot exhaust memory.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from functools import lru_cache

import anyio
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from sightline.config import get_settings

API_KEY_PREFIX = "sl_"
# A valid-looking hash to verify against when the email is unknown, so timing does not reveal it.
_DUMMY_PASSWORD = "not-a-real-password"


@lru_cache
def _hasher() -> PasswordHasher:
    settings = get_settings()
    return PasswordHasher(time_cost=settings.argon2_time_cost, memory_cost=settings.argon2_memory_kib)


@lru_cache
def _dummy_hash() -> str:
    return _hasher().hash(_DUMMY_PASSWORD)


_HASHING = anyio.CapacityLimiter(os.cpu_count() or 1)


def _verify(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher().verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


async def hash_password(password: str) -> str:
    return await anyio.to_thread.run_sync(_hasher().hash, password, limiter=_HASHING)


async def verify_password(password_hash: str | None, password: str) -> bool:
    """False for a wrong password or no hash; with no hash the same work is done (no timing oracle)."""
    return await anyio.to_thread.run_sync(_verify, password_hash, password, limiter=_HASHING)


def new_password() -> str:
    """A generated password (initial, reset by an admin or the operator): 96 random bits, shown once."""
    return secrets.token_urlsafe(12)


def token_hash(token: str) -> bytes:
    # Tokens carry 256 random bits, so a fast hash is enough (no need for a slow KDF).
    return hashlib.sha256(token.encode()).digest()


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


def new_api_key() -> tuple[str, str]:
    """Return (secret, prefix): the secret is shown once, the prefix lets people recognise the key."""
    secret = API_KEY_PREFIX + secrets.token_urlsafe(32)
    return secret, secret[:11]
