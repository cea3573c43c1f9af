"""KPIs: metrics tracked continuously, outside cycles, with a healthy range and values over time; a key result
can follow a KPI (`key_results.follows_kpi_id`).

The KPI row keeps its latest value and the status it gives (kpis/status.py), so lists filter by status in SQL.
No hard delete: a KPI is archived (its values are history, and key results may still name it).

Revision ID: 0078
Revises: 0077
Create Date: 2026-12-06
"""

from alembic import op

from sightline.db.ddl import APP_ROLE, run, tenant_table

revision = "0078"
down_revision = "0077"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run("""
    CREATE TABLE kpis (
        org_id uuid NOT NULL REFERENCES orgs (org_id) ON DELETE CASCADE,
        id uuid NOT NULL,
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        description text NOT NULL DEFAULT '',
        unit text NOT NULL DEFAULT '',
        direction text NOT NULL CHECK (direction IN ('higher_is_better', 'lower_is_better')),
        owner_id uuid NOT NULL,
        team_id uuid,
        healthy_min float8,
        healthy_max float8,
        critical_min float8,
        critical_max float8,
        cadence text NOT NULL CHECK (cadence IN ('weekly', 'biweekly', 'monthly', 'quarterly')),
        latest_value float8,
        latest_recorded_at timestamptz,
        status text CHECK (status IN ('healthy', 'warning', 'critical')),
        archived_at timestamptz,
        version integer NOT NULL DEFAULT 1,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (org_id, id),
        FOREIGN KEY (org_id, owner_id) REFERENCES users (org_id, id),
        FOREIGN KEY (org_id, team_id) REFERENCES teams (org_id, id),
        CHECK (healthy_min IS NOT NULL OR healthy_max IS NOT NULL),
        CHECK (healthy_min IS NULL OR healthy_max IS NULL OR healthy_min <= healthy_max),
        CHECK (critical_min IS NULL OR (healthy_min IS NOT NULL AND critical_min <= healthy_min)),
        CHECK (critical_max IS NULL OR (healthy_max IS NOT NULL AND critical_max >= healthy_max)),
        CHECK ((latest_value IS NULL) = (status IS NULL))
    );
    CREATE INDEX kpis_list_idx ON kpis (org_id, created_at, id);
    CREATE INDEX kpis_team_idx ON kpis (org_id, team_id);

    -- Values over time: one per time point of a KPI.
    CREATE TABLE kpi_values (
        org_id uuid NOT NULL REFERENCES orgs (org_id) ON DELETE CASCADE,
        id uuid NOT NULL,
        kpi_id uuid NOT NULL,
        value float8 NOT NULL,
        recorded_at timestamptz NOT NULL,
        note text NOT NULL DEFAULT '',
        author_id uuid,
        actor text NOT NULL,
        source text NOT NULL DEFAULT 'manual',
        created_at timestamptz NOT NULL,
        PRIMARY KEY (org_id, id),
        UNIQUE (org_id, kpi_id, recorded_at),
        FOREIGN KEY (org_id, kpi_id) REFERENCES kpis (org_id, id)
    );

    ALTER TABLE key_results ADD COLUMN follows_kpi_id uuid;
    ALTER TABLE key_results ADD CONSTRAINT key_results_follows_kpi_fk
        FOREIGN KEY (org_id, follows_kpi_id) REFERENCES kpis (org_id, id);
    CREATE INDEX key_results_follows_kpi_idx ON key_results (org_id, follows_kpi_id)
        WHERE follows_kpi_id IS NOT NULL;
    """)
    for table in ("kpis", "kpi_values"):
        run(tenant_table(table))
    run(f"REVOKE UPDATE, DELETE ON kpi_values FROM {APP_ROLE};")  # values are history, like check-ins


def downgrade() -> None:
    op.execute("DROP INDEX key_results_follows_kpi_idx")
    op.execute("ALTER TABLE key_results DROP CONSTRAINT key_results_follows_kpi_fk")
    op.execute("ALTER TABLE key_results DROP COLUMN follows_kpi_id")
    op.execute("DROP TABLE kpi_values")
    op.execute("DROP TABLE kpis")
