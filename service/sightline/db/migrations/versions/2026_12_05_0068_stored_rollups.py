"""Slot reserved for the stored objective roll-ups work (empty until it is needed).

Revision ID: 0068
Revises: 0067
Create Date: 2026-12-05
"""

revision = "0068"
down_revision = "0067"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
