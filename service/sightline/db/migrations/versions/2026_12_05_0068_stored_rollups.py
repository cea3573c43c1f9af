"""Stored objective roll-ups: what every read of an objective shows, kept by the writes that change it.

`rollup_at` is the clock the time-dependent parts (expected progress, status) were computed at; NULL means
"never computed" and reads compute the roll-up themselves until a write or the scheduled pass stores it.

Revision ID: 0068
Revises: 0067
Create Date: 2026-12-05
"""

from alembic import op

revision = "0068"
down_revision = "0067"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        ALTER TABLE objectives
            ADD COLUMN rollup_progress double precision,
            ADD COLUMN rollup_expected_progress double precision,
            ADD COLUMN rollup_score double precision,
            ADD COLUMN rollup_status text NOT NULL DEFAULT 'no_data',
            ADD COLUMN rollup_at timestamptz
        """
    )


def downgrade() -> None:
    op.execute(
        """
        ALTER TABLE objectives
            DROP COLUMN rollup_at,
            DROP COLUMN rollup_status,
            DROP COLUMN rollup_score,
            DROP COLUMN rollup_expected_progress,
            DROP COLUMN rollup_progress
        """
    )
