"""The web app's first hour: the cycle each person last chose, remembered on the server (docs/web-app.md).

Revision ID: 0065
Revises: 0064
Create Date: 2026-12-05
"""

from sightline.db.ddl import run, tenant_table

revision = "0065"
down_revision = "0064"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run("""
    -- One row per person: the cycle the app last showed them. A deleted cycle leaves the choice empty (the
    -- app then suggests one); no foreign key on the cycle, so deleting a cycle never waits on preferences.
    CREATE TABLE member_preferences (
        org_id uuid NOT NULL,
        user_id uuid NOT NULL,
        cycle_id uuid,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (org_id, user_id),
        FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id) ON DELETE CASCADE
    );
    """)
    run(tenant_table("member_preferences"))


def downgrade() -> None:
    # Reversible (tests step back across it): the table and its policies go together.
    run("DROP TABLE member_preferences")
