"""KPIs (placeholder: filled in by the planning work).

Revision ID: 0078
Revises: 0077
Create Date: 2026-12-06
"""

revision = "0078"
down_revision = "0077"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
