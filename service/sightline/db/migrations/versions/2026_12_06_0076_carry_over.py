"""Carry-over: objectives and key results remember what they were carried from; key results say how they count.

`carried_from` points at the original (same organisation; the link is cleared, not the copy, if the original
ever goes). `accumulation` decides a carried key result's start value: `cumulative` (a count such as leads
starts again from its start value) or `level` (a level such as ARR starts where it ended).
docs/decisions/planning-carry-over.md.

Revision ID: 0076
Revises: 0075
Create Date: 2026-12-06
"""

from sightline.db.ddl import run

revision = "0076"
down_revision = "0075"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run("""
    ALTER TABLE objectives ADD COLUMN carried_from uuid;
    ALTER TABLE objectives ADD CONSTRAINT objectives_carried_from_fkey
        FOREIGN KEY (org_id, carried_from) REFERENCES objectives (org_id, id) ON DELETE SET NULL (carried_from);
    CREATE INDEX objectives_carried_from_idx ON objectives (org_id, carried_from) WHERE carried_from IS NOT NULL;

    ALTER TABLE key_results ADD COLUMN carried_from uuid;
    ALTER TABLE key_results ADD CONSTRAINT key_results_carried_from_fkey
        FOREIGN KEY (org_id, carried_from) REFERENCES key_results (org_id, id) ON DELETE SET NULL (carried_from);
    CREATE INDEX key_results_carried_from_idx ON key_results (org_id, carried_from) WHERE carried_from IS NOT NULL;
    ALTER TABLE key_results ADD COLUMN accumulation text NOT NULL DEFAULT 'cumulative'
        CONSTRAINT key_results_accumulation_check CHECK (accumulation IN ('cumulative', 'level'));
    """)


def downgrade() -> None:
    run("""
    ALTER TABLE key_results DROP COLUMN accumulation;
    DROP INDEX key_results_carried_from_idx;
    ALTER TABLE key_results DROP COLUMN carried_from;
    DROP INDEX objectives_carried_from_idx;
    ALTER TABLE objectives DROP COLUMN carried_from;
    """)
