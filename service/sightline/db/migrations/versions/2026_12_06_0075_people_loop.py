"""People in the loop, continued: scheduled notification kinds (check-in due, the weekly team summary), what the
scheduled jobs have done per period, the delivery log's order, and the purge of spent invitation and password
reset links.

Revision ID: 0075
Revises: 0074
Create Date: 2026-12-06
"""

from alembic import op

from sightline.db.ddl import APP_ROLE, AUTH_ROLE, run, tenant_table

revision = "0075"
down_revision = "0074"
branch_labels = None
depends_on = None

OLD_KINDS = "('mentioned', 'comment_on_owned', 'key_result_status', 'objective_status')"
KINDS = (
    "('mentioned', 'comment_on_owned', 'key_result_status', 'objective_status', 'check_in_due', 'team_weekly_summary')"
)
OLD_OBJECTS = "('objective', 'key_result', 'check_in', 'comment')"
OBJECTS = "('objective', 'key_result', 'check_in', 'comment', 'team')"


def _constraints(kinds: str, objects: str) -> str:
    return f"""
    ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
    ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check CHECK (kind IN {kinds});
    ALTER TABLE notifications DROP CONSTRAINT notifications_object_type_check;
    ALTER TABLE notifications ADD CONSTRAINT notifications_object_type_check CHECK (object_type IN {objects});
    ALTER TABLE notification_preferences DROP CONSTRAINT notification_preferences_kind_check;
    ALTER TABLE notification_preferences ADD CONSTRAINT notification_preferences_kind_check CHECK (kind IN {kinds});
    """


def upgrade() -> None:
    run(_constraints(KINDS, OBJECTS))
    run("""
    -- The last period a scheduled job served per subject: check_in_due per key result (the day its check-in fell
    -- due), team_weekly_summary per team (Monday of the week), daily_digest per member (the local day). A job
    -- acts only for a later period, so a second pass, or a second worker, does nothing twice.
    CREATE TABLE notification_schedule (
        org_id uuid NOT NULL REFERENCES orgs (org_id) ON DELETE CASCADE,
        job text NOT NULL CHECK (job IN ('check_in_due', 'team_weekly_summary', 'daily_digest')),
        subject_id uuid NOT NULL,
        period date NOT NULL,
        done_at timestamptz NOT NULL,
        PRIMARY KEY (org_id, job, subject_id)
    );

    -- The delivery log admins read: an organisation's messages newest first.
    CREATE INDEX mail_outbox_log_idx ON mail_outbox (org_id, created_at DESC, id DESC);
    -- The daily digest's due notifications.
    CREATE INDEX notifications_undigested_idx ON notifications (org_id, user_id, created_at) WHERE digested_at IS NULL;
    """)
    run(tenant_table("notification_schedule"))
    run(PURGE_LINKS)


# Spent links go like sign-up links (0063): used, revoked or expired, kept 2 days for the record; an invitation
# that merely expired stays a week (an admin may resend it, which revives it). Across organisations, counts out.
PURGE_LINKS = f"""
    GRANT SELECT (created_at) ON password_resets TO {AUTH_ROLE};
    GRANT DELETE ON invitations, password_resets TO {AUTH_ROLE};
    CREATE POLICY auth_purge ON invitations FOR DELETE TO {AUTH_ROLE} USING (true);
    CREATE POLICY auth_purge ON password_resets FOR DELETE TO {AUTH_ROLE} USING (true);
    CREATE FUNCTION purge_spent_links(p_now timestamptz, p_limit integer)
        RETURNS TABLE (kind text, purged bigint)
        LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
        AS $$
        DECLARE
            n bigint;
        BEGIN
            DELETE FROM invitations i USING (
                SELECT x.org_id, x.id FROM invitations x
                WHERE coalesce(x.accepted_at, x.revoked_at) <= p_now - interval '2 days'
                   OR (x.accepted_at IS NULL AND x.revoked_at IS NULL AND x.expires_at <= p_now - interval '7 days')
                LIMIT p_limit) d
            WHERE i.org_id = d.org_id AND i.id = d.id;
            GET DIAGNOSTICS n = ROW_COUNT;
            kind := 'invitations'; purged := n; RETURN NEXT;

            DELETE FROM password_resets r USING (
                SELECT x.org_id, x.id FROM password_resets x
                WHERE (x.used_at IS NOT NULL OR x.expires_at <= p_now) AND x.created_at <= p_now - interval '2 days'
                LIMIT p_limit) d
            WHERE r.org_id = d.org_id AND r.id = d.id;
            GET DIAGNOSTICS n = ROW_COUNT;
            kind := 'password_resets'; purged := n; RETURN NEXT;
        END
        $$;
    ALTER FUNCTION purge_spent_links(timestamptz, integer) OWNER TO {AUTH_ROLE};
    REVOKE ALL ON FUNCTION purge_spent_links(timestamptz, integer) FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION purge_spent_links(timestamptz, integer) TO {APP_ROLE};
"""


def downgrade() -> None:
    # Back to 0074: notifications and preferences of the scheduled kinds go (the older schema cannot hold them).
    run(f"""
    DROP FUNCTION purge_spent_links(timestamptz, integer);
    DROP POLICY auth_purge ON password_resets;
    DROP POLICY auth_purge ON invitations;
    REVOKE DELETE ON invitations, password_resets FROM {AUTH_ROLE};
    REVOKE SELECT (created_at) ON password_resets FROM {AUTH_ROLE};
    """)
    op.execute("DROP INDEX notifications_undigested_idx")
    op.execute("DROP INDEX mail_outbox_log_idx")
    op.execute("DROP TABLE notification_schedule")
    # Row-level security is forced on both tables (the owner too): lifted for the delete across organisations.
    run("""
    ALTER TABLE notifications NO FORCE ROW LEVEL SECURITY;
    ALTER TABLE notification_preferences NO FORCE ROW LEVEL SECURITY;
    DELETE FROM notifications WHERE kind IN ('check_in_due', 'team_weekly_summary') OR object_type = 'team';
    DELETE FROM notification_preferences WHERE kind IN ('check_in_due', 'team_weekly_summary');
    ALTER TABLE notifications FORCE ROW LEVEL SECURITY;
    ALTER TABLE notification_preferences FORCE ROW LEVEL SECURITY;
    """)
    run(_constraints(OLD_KINDS, OLD_OBJECTS))
