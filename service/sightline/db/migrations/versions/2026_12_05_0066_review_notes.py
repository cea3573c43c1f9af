"""A recorded team review keeps its items: per key result, what it looked like then, the note and the decisions.

Revision ID: 0066
Revises: 0065
Create Date: 2026-12-05
"""

from sightline.db.ddl import run

revision = "0066"
down_revision = "0065"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A list of {key_result_id, title, objective_id, objective_title, owner_name, status, progress,
    # expected_progress, latest_confidence, reasons, note, decisions}, in agenda order.
    run("ALTER TABLE team_reviews ADD COLUMN items jsonb NOT NULL DEFAULT '[]'::jsonb")


def downgrade() -> None:
    run("ALTER TABLE team_reviews DROP COLUMN items")
