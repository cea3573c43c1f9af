"""Templates: an organisation's own objective templates (the built-in library lives in code, planning/library.py).

A template is an objective's title, description and category with its key results (a JSON array: title, metric,
unit, direction, accumulation, start, suggested target, stretch, weight, target hint, how to measure). It may name
the objective it was saved from (cleared if that objective ever goes). Templates are never edited: save a new one.
docs/decisions/planning-templates.md.

Revision ID: 0077
Revises: 0076
Create Date: 2026-12-06
"""

from alembic import op

from sightline.db.ddl import run, tenant_table

revision = "0077"
down_revision = "0076"
branch_labels = None
depends_on = None

CATEGORIES = (
    "('demand_generation', 'pipeline', 'brand', 'content', 'product_marketing', 'customer_marketing', 'events', "
    "'lifecycle_email', 'paid_acquisition', 'website_conversion', 'sales_enablement', 'partner_marketing', 'other')"
)


def upgrade() -> None:
    run(f"""
    CREATE TABLE objective_templates (
        org_id uuid NOT NULL REFERENCES orgs (org_id) ON DELETE CASCADE,
        id uuid NOT NULL,
        category text NOT NULL CHECK (category IN {CATEGORIES}),
        title text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
        description text NOT NULL DEFAULT '' CHECK (length(description) <= 10000),
        key_results jsonb NOT NULL CHECK (jsonb_typeof(key_results) = 'array'),
        source_objective_id uuid,
        created_by uuid,
        actor text NOT NULL,
        created_at timestamptz NOT NULL,
        PRIMARY KEY (org_id, id),
        FOREIGN KEY (org_id, source_objective_id) REFERENCES objectives (org_id, id)
            ON DELETE SET NULL (source_objective_id),
        FOREIGN KEY (org_id, created_by) REFERENCES users (org_id, id) ON DELETE SET NULL (created_by)
    );
    CREATE INDEX objective_templates_list_idx ON objective_templates (org_id, created_at, id);
    CREATE INDEX objective_templates_source_idx ON objective_templates (org_id, source_objective_id)
        WHERE source_objective_id IS NOT NULL;
    """)
    run(tenant_table("objective_templates"))


def downgrade() -> None:
    op.execute("DROP TABLE objective_templates")
