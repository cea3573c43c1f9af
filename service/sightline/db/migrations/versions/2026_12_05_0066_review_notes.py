"""Slot reserved for the review notes work (empty until it is needed).

Revision ID: 0066
Revises: 0065
Create Date: 2026-12-05
"""

revision = "0066"
down_revision = "0065"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
