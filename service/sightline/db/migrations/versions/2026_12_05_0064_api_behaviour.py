"""Slot reserved for the api behaviour work (empty until it is needed).

Revision ID: 0064
Revises: 0063
Create Date: 2026-12-05
"""

revision = "0064"
down_revision = "0063"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
