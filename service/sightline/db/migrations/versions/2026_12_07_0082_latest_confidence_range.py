"""A key result's latest confidence is a check-in's confidence: 0 to 10, as check_ins already says.

The scoreboard reads each objective's latest confidence as one plain `max` over a number that packs the check-in
moment and the confidence (insights/scoreboard_sql.py); it relies on this range, so the table states it.

Revision ID: 0082
Revises: 0081
Create Date: 2026-12-07
"""

from alembic import op

revision = "0082"
down_revision = "0081"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "ALTER TABLE key_results ADD CONSTRAINT key_results_latest_confidence_check"
        " CHECK (latest_confidence BETWEEN 0 AND 10)"
    )


def downgrade() -> None:
    op.execute("ALTER TABLE key_results DROP CONSTRAINT key_results_latest_confidence_check")
