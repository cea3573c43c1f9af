"""Slot reserved for the web app work (empty until it is needed).

Revision ID: 0065
Revises: 0064
Create Date: 2026-12-05
"""

revision = "0065"
down_revision = "0064"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
