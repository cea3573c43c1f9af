"""Carry-over (placeholder: filled in by the planning work).

Revision ID: 0076
Revises: 0075
Create Date: 2026-12-06
"""

revision = "0076"
down_revision = "0075"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
