"""Slot reserved for the identity choice work (empty until it is needed).

Revision ID: 0067
Revises: 0066
Create Date: 2026-12-05
"""

revision = "0067"
down_revision = "0066"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
