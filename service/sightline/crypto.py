"""Credentials encrypted at rest (source headers, SQL connection strings, OIDC client secrets).

Fernet (AES-128-CBC + HMAC-SHA256, from `cryptography`) with the keys of `SIGHTLINE_SECRET_KEY`: the first
key encrypts, every key decrypts, so rotation is: put a new key first, re-encrypt (`sightline
rotate-secrets`), then remove the old key.
"""

from __future__ import annotations

from datetime import datetime

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from sightline.config import Settings


class SecretUnreadable(Exception):
    """A stored secret no configured key decrypts (a key was removed before re-encrypting)."""

    def __init__(self) -> None:
        super().__init__(
            "a stored credential cannot be decrypted with the keys in SIGHTLINE_SECRET_KEY "
            "(was a key removed before `sightline rotate-secrets` ran?); enter the credential again"
        )


class SecretBox:
    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise ValueError("at least one key")
        self._fernet = MultiFernet([Fernet(key) for key in keys])

    @classmethod
    def from_settings(cls, settings: Settings) -> SecretBox:
        return cls(settings.encryption_keys())

    @staticmethod
    def new_key() -> str:
        return Fernet.generate_key().decode()

    def encrypt(self, plaintext: str, *, now: datetime | None = None) -> str:
        data = plaintext.encode()
        token = self._fernet.encrypt(data) if now is None else self._fernet.encrypt_at_time(data, int(now.timestamp()))
        return token.decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise SecretUnreadable() from exc

    def decrypt_fresh(self, token: str, *, ttl_seconds: int, now: datetime) -> str | None:
        """The plaintext if the token was made less than `ttl_seconds` before `now` (else None)."""
        try:
            return self._fernet.decrypt_at_time(token.encode(), ttl_seconds, int(now.timestamp())).decode()
        except (InvalidToken, ValueError):
            return None

    def rotate(self, token: str) -> str:
        """The same secret encrypted with the first key (what `sightline rotate-secrets` does to each)."""
        try:
            return self._fernet.rotate(token.encode()).decode()
        except InvalidToken as exc:
            raise SecretUnreadable() from exc
