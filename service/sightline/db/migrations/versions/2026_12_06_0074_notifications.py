"""Notifications to people: inbox, preferences (slot reserved; filled by that work).

Revision ID: 0074
Revises: 0073
Create Date: 2026-12-06
"""

revision = "0074"
down_revision = "0073"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
