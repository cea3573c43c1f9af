"""Pending roll-ups: a check-in records which objective it changed (insert only) and its ancestors are refreshed
right after its commit, many check-ins in one refresh (okrs/rollups.py, docs/decisions/api-stored-rollups.md).

Revision ID: 0071
Revises: 0070
Create Date: 2026-12-06
"""

from alembic import op

from sightline.db.ddl import APP_ROLE, AUTH_ROLE, run, tenant_table

revision = "0071"
down_revision = "0070"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
    CREATE TABLE rollup_pending (
        org_id uuid NOT NULL REFERENCES orgs (org_id) ON DELETE CASCADE,
        id bigint GENERATED ALWAYS AS IDENTITY,
        objective_id uuid NOT NULL,
        actor text NOT NULL,
        created_at timestamptz NOT NULL,
        PRIMARY KEY (org_id, id),
        FOREIGN KEY (org_id, objective_id) REFERENCES objectives (org_id, id) ON DELETE CASCADE
    )
    """)
    run(tenant_table("rollup_pending"))
    # The jobs' sweep finds organisations whose refresh did not follow its commit (the process died between
    # the two) without a statement per organisation: a narrow SECURITY DEFINER function, as for webhooks.
    run(f"""
    CREATE POLICY pending_sweep ON rollup_pending FOR SELECT TO {AUTH_ROLE} USING (true);
    GRANT SELECT (org_id, created_at) ON rollup_pending TO {AUTH_ROLE};
    CREATE FUNCTION rollup_pending_org_ids(p_before timestamptz) RETURNS SETOF uuid
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
        AS $$ SELECT DISTINCT org_id FROM rollup_pending WHERE created_at < p_before $$;
    ALTER FUNCTION rollup_pending_org_ids(timestamptz) OWNER TO {AUTH_ROLE};
    REVOKE ALL ON FUNCTION rollup_pending_org_ids(timestamptz) FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION rollup_pending_org_ids(timestamptz) TO {APP_ROLE};
    """)


def downgrade() -> None:
    op.execute("DROP FUNCTION rollup_pending_org_ids(timestamptz)")
    op.execute("DROP TABLE rollup_pending")
