"""The daily digest's sweep visits only the organisations where someone chose the digest.

The sweep ran the digest in every organisation, about 8 ms each (a transaction, the tenant, the people's
preferences), though only members who set a kind to `daily_digest` ever get one. A narrow SECURITY DEFINER
function, as for the roll-up marks' sweep, names those organisations without a statement per organisation.

Revision ID: 0081
Revises: 0080
Create Date: 2026-12-06
"""

from alembic import op

from sightline.db.ddl import APP_ROLE, AUTH_ROLE, run

revision = "0081"
down_revision = "0080"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run(f"""
    CREATE POLICY digest_sweep ON notification_preferences FOR SELECT TO {AUTH_ROLE} USING (true);
    GRANT SELECT (org_id, channel) ON notification_preferences TO {AUTH_ROLE};
    CREATE FUNCTION daily_digest_org_ids() RETURNS SETOF uuid
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
        AS $$ SELECT DISTINCT org_id FROM notification_preferences WHERE channel = 'daily_digest' $$;
    ALTER FUNCTION daily_digest_org_ids() OWNER TO {AUTH_ROLE};
    REVOKE ALL ON FUNCTION daily_digest_org_ids() FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION daily_digest_org_ids() TO {APP_ROLE};
    """)


def downgrade() -> None:
    op.execute("DROP FUNCTION daily_digest_org_ids()")
    op.execute("DROP POLICY digest_sweep ON notification_preferences")
    op.execute(f"REVOKE SELECT (org_id, channel) ON notification_preferences FROM {AUTH_ROLE}")
