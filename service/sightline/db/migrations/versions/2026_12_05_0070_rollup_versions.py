"""Roll-up versions: a refresh swaps an objective's stored roll-up only where nobody changed it since it read it.

Revision ID: 0070
Revises: 0069
Create Date: 2026-12-05
"""

from alembic import op

revision = "0070"
down_revision = "0069"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE objectives ADD COLUMN rollup_version bigint NOT NULL DEFAULT 0")


def downgrade() -> None:
    op.execute("ALTER TABLE objectives DROP COLUMN rollup_version")
