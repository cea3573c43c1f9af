"""Slot reserved for the keyed writes in one transaction work (empty until it is needed).

Revision ID: 0070
Revises: 0069
Create Date: 2026-12-05
"""

revision = "0070"
down_revision = "0069"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
