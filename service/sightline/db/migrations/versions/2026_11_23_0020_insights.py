"""Insights: key-result grades and the retrospective stored when a cycle closes; team reviews.

Revision ID: 0020
Revises: 0010
Create Date: 2026-11-23
"""

from sightline.db.ddl import run, tenant_table

revision = "0020"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run("""
    -- One row per key result, written once when its cycle closes: the final value and grade.
    CREATE TABLE key_result_grades (
        org_id uuid NOT NULL REFERENCES orgs (org_id) ON DELETE CASCADE,
        key_result_id uuid NOT NULL,
        cycle_id uuid NOT NULL,
        objective_id uuid NOT NULL,
        owner_id uuid NOT NULL,
        team_id uuid,
        kind text NOT NULL CHECK (kind IN ('committed', 'aspirational')),
        final_value double precision NOT NULL,
        progress double precision NOT NULL,
        score double precision NOT NULL CHECK (score >= 0 AND score <= 1),
        hit boolean NOT NULL,
        hit_at timestamptz,
        final_confidence smallint CHECK (final_confidence BETWEEN 0 AND 10),
        ambition double precision,
        stretch_ambition double precision,
        graded_at timestamptz NOT NULL,
        PRIMARY KEY (org_id, key_result_id),
        FOREIGN KEY (org_id, key_result_id) REFERENCES key_results (org_id, id),
        FOREIGN KEY (org_id, cycle_id) REFERENCES cycles (org_id, id),
        FOREIGN KEY (org_id, objective_id) REFERENCES objectives (org_id, id),
        FOREIGN KEY (org_id, owner_id) REFERENCES users (org_id, id),
        FOREIGN KEY (org_id, team_id) REFERENCES teams (org_id, id)
    );
    CREATE INDEX key_result_grades_cycle_idx ON key_result_grades (org_id, cycle_id, key_result_id);
    CREATE INDEX key_result_grades_owner_idx ON key_result_grades (org_id, owner_id);

    -- The numbers of a closed cycle, computed once at close so later edits elsewhere cannot change them.
    CREATE TABLE retrospectives (
        org_id uuid NOT NULL REFERENCES orgs (org_id) ON DELETE CASCADE,
        cycle_id uuid NOT NULL,
        closed_at timestamptz NOT NULL,
        closed_by text NOT NULL,
        document jsonb NOT NULL,
        PRIMARY KEY (org_id, cycle_id),
        FOREIGN KEY (org_id, cycle_id) REFERENCES cycles (org_id, id)
    );

    -- A team's review meeting happened: what it looked at (since → held_at), notes and decisions.
    CREATE TABLE team_reviews (
        org_id uuid NOT NULL REFERENCES orgs (org_id) ON DELETE CASCADE,
        id uuid NOT NULL,
        team_id uuid NOT NULL,
        held_at timestamptz NOT NULL,
        since timestamptz NOT NULL,
        notes text NOT NULL DEFAULT '',
        decisions jsonb NOT NULL DEFAULT '[]'::jsonb,
        author_id uuid,
        actor text NOT NULL,
        created_at timestamptz NOT NULL,
        PRIMARY KEY (org_id, id),
        FOREIGN KEY (org_id, team_id) REFERENCES teams (org_id, id),
        FOREIGN KEY (org_id, author_id) REFERENCES users (org_id, id),
        CHECK (since <= held_at)
    );
    CREATE INDEX team_reviews_team_idx ON team_reviews (org_id, team_id, held_at, id);
    """)
    for table in ("key_result_grades", "retrospectives", "team_reviews"):
        run(tenant_table(table))
    # Grades and retrospectives are the record of a closed cycle: written once, never changed.
    run("REVOKE UPDATE, DELETE ON key_result_grades, retrospectives FROM sightline_app;")


def downgrade() -> None:
    raise NotImplementedError("forward-only migrations")
