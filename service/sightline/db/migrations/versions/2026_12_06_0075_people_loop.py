"""People in the loop, continued (placeholder: filled in by the notifications work).

Revision ID: 0075
Revises: 0074
Create Date: 2026-12-06
"""

revision = "0075"
down_revision = "0074"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
