"""Accounts: API keys' creators, password changes and resets, sign-up throttle.

Revision ID: 0050
Revises: 0040
Create Date: 2026-12-05
"""

from sightline.db.ddl import run  # noqa: F401

revision = "0050"
down_revision = "0040"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
