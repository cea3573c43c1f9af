"""People in the loop, continued: scheduled notification kinds (check-in due, the weekly team summary), what the
scheduled jobs have done per period, and the delivery log's order.

Revision ID: 0075
Revises: 0074
Create Date: 2026-12-06
"""

from alembic import op

from sightline.db.ddl import run, tenant_table

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


def downgrade() -> None:
    # Back to 0074: notifications and preferences of the scheduled kinds go (the older schema cannot hold them).
    op.execute("DROP INDEX notifications_undigested_idx")
    op.execute("DROP INDEX mail_outbox_log_idx")
    op.execute("DROP TABLE notification_schedule")
    op.execute(
        "DELETE FROM notifications WHERE kind IN ('check_in_due', 'team_weekly_summary') OR object_type = 'team'"
    )
    op.execute("DELETE FROM notification_preferences WHERE kind IN ('check_in_due', 'team_weekly_summary')")
    run(_constraints(OLD_KINDS, OLD_OBJECTS))
