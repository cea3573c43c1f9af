"""Notification tests read mail from a real SMTP server (the identity mail tests' fixtures)."""

from tests.identity_mail.conftest import inbox, real_now, stranger  # noqa: F401  (fixtures)
