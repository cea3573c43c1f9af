"""Templates (placeholder: filled in by the planning work).

Revision ID: 0077
Revises: 0076
Create Date: 2026-12-06
"""

revision = "0077"
down_revision = "0076"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
