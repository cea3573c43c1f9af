"""Data sources feeding KPIs (placeholder: filled in by the KPI sources work).

Revision ID: 0079
Revises: 0078
Create Date: 2026-12-06
"""

revision = "0079"
down_revision = "0078"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
