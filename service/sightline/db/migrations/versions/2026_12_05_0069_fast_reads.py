"""Slot reserved for the one-round-trip reads work (empty until it is needed).

Revision ID: 0069
Revises: 0068
Create Date: 2026-12-05
"""

revision = "0069"
down_revision = "0068"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
