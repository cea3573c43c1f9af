"""Data sources feeding KPIs: an integration targets a key result or a KPI, exactly one.

`integrations.kpi_id` names the KPI (within the organisation, one integration per KPI as per key result);
`key_result_id` becomes nullable, and a CHECK keeps exactly one of the two set. A recorded run names the
check-in or the KPI value it wrote (`integration_runs.kpi_value_id`, new).

Downgrade: the integrations feeding KPIs are deleted first (with their run log), since before 0079 every
integration has a key result (their runs go with them); the KPI values they recorded stay.

Revision ID: 0079
Revises: 0078
Create Date: 2026-12-06
"""

from alembic import op

from sightline.db.ddl import run

revision = "0079"
down_revision = "0078"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run("""
    ALTER TABLE integrations ALTER COLUMN key_result_id DROP NOT NULL;
    ALTER TABLE integrations ADD COLUMN kpi_id uuid;
    ALTER TABLE integrations ADD CONSTRAINT integrations_kpi_fk
        FOREIGN KEY (org_id, kpi_id) REFERENCES kpis (org_id, id) ON DELETE CASCADE;
    ALTER TABLE integrations ADD CONSTRAINT integrations_kpi_key UNIQUE (org_id, kpi_id);
    ALTER TABLE integrations ADD CONSTRAINT integrations_one_target
        CHECK (num_nonnulls(key_result_id, kpi_id) = 1);

    -- A recorded run names what it wrote: a check-in, or a KPI value.
    ALTER TABLE integration_runs ADD COLUMN kpi_value_id uuid;
    ALTER TABLE integration_runs ADD CONSTRAINT integration_runs_kpi_value_fk
        FOREIGN KEY (org_id, kpi_value_id) REFERENCES kpi_values (org_id, id);
    ALTER TABLE integration_runs DROP CONSTRAINT integration_runs_check1;
    ALTER TABLE integration_runs ADD CONSTRAINT integration_runs_recorded
        CHECK ((outcome = 'recorded') = (num_nonnulls(check_in_id, kpi_value_id) = 1));
    """)


def downgrade() -> None:
    # Every organisation's rows: the owner reads past row-level security only while it is not forced.
    op.execute("ALTER TABLE integrations NO FORCE ROW LEVEL SECURITY")
    op.execute("DELETE FROM integrations WHERE kpi_id IS NOT NULL")  # their runs go with them (ON DELETE CASCADE)
    op.execute("ALTER TABLE integrations FORCE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE integration_runs DROP CONSTRAINT integration_runs_recorded")
    op.execute("ALTER TABLE integration_runs DROP COLUMN kpi_value_id")  # its foreign key goes with it
    op.execute(
        "ALTER TABLE integration_runs ADD CONSTRAINT integration_runs_check1 "
        "CHECK ((outcome = 'recorded') = (check_in_id IS NOT NULL))"
    )
    op.execute("ALTER TABLE integrations DROP CONSTRAINT integrations_one_target")
    op.execute("ALTER TABLE integrations DROP CONSTRAINT integrations_kpi_key")
    op.execute("ALTER TABLE integrations DROP CONSTRAINT integrations_kpi_fk")
    op.execute("ALTER TABLE integrations DROP COLUMN kpi_id")
    op.execute("ALTER TABLE integrations ALTER COLUMN key_result_id SET NOT NULL")
