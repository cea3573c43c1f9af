"""Invitations and password resets by email (slot reserved; filled by that work).

Revision ID: 0073
Revises: 0072
Create Date: 2026-12-06
"""

revision = "0073"
down_revision = "0072"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
