"""Alignment links: child objective → parent objective or parent key result, cascade or contributes.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from sightline.db.ddl import run, tenant_table

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run("""
    CREATE TABLE alignments (
        org_id uuid NOT NULL REFERENCES orgs (org_id) ON DELETE CASCADE,
        id uuid NOT NULL,
        child_objective_id uuid NOT NULL,
        parent_objective_id uuid,
        parent_key_result_id uuid,
        -- The objective the link points at: the parent itself, or the objective of the parent key result.
        -- Kept on the row so graph walks never need a join.
        parent_node_id uuid NOT NULL,
        kind text NOT NULL CHECK (kind IN ('cascade', 'contributes')),
        weight double precision NOT NULL CHECK (weight > 0 AND weight <= 1),
        actor text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (org_id, id),
        FOREIGN KEY (org_id, child_objective_id) REFERENCES objectives (org_id, id),
        FOREIGN KEY (org_id, parent_objective_id) REFERENCES objectives (org_id, id),
        FOREIGN KEY (org_id, parent_key_result_id) REFERENCES key_results (org_id, id),
        FOREIGN KEY (org_id, parent_node_id) REFERENCES objectives (org_id, id),
        CHECK ((parent_objective_id IS NULL) <> (parent_key_result_id IS NULL)),
        CHECK (child_objective_id <> parent_node_id)
    );
    -- One link per (child, parent); NULLS NOT DISTINCT is PG15+, so two partial indexes say the same.
    CREATE UNIQUE INDEX alignments_objective_parent_key
        ON alignments (org_id, child_objective_id, parent_objective_id) WHERE parent_objective_id IS NOT NULL;
    CREATE UNIQUE INDEX alignments_key_result_parent_key
        ON alignments (org_id, child_objective_id, parent_key_result_id) WHERE parent_key_result_id IS NOT NULL;
    CREATE INDEX alignments_up_idx ON alignments (org_id, child_objective_id);
    CREATE INDEX alignments_down_idx ON alignments (org_id, parent_node_id);
    CREATE INDEX alignments_kr_idx ON alignments (org_id, parent_key_result_id);
    """)
    run(tenant_table("alignments"))


def downgrade() -> None:
    raise NotImplementedError("forward-only migrations")
