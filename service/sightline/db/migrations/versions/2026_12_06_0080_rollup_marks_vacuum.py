"""Roll-up marks are a queue: vacuumed after every thousand deletions, not after a fifth of the table.

Every check-in inserts a mark into `rollup_pending` and the next drain deletes it (okrs/drains.py), so the table
stays near empty while its dead rows pile up. PostgreSQL's default waits for 50 + 20 % of the live rows, which for
a near-empty table comes round only when the daemon wakes, and in the meantime each drain's ordered read of its
organisation's marks walks every dead index entry: 54,000 of them made that read 4 to 7 ms in the benchmark,
against well under one when vacuumed. A fixed threshold, no scale factor and no cost delay keep it small.

Revision ID: 0080
Revises: 0079
Create Date: 2026-12-06
"""

from alembic import op

revision = "0080"
down_revision = "0079"
branch_labels = None
depends_on = None

SETTINGS = (
    "autovacuum_vacuum_threshold = 1000",
    "autovacuum_vacuum_scale_factor = 0",
    "autovacuum_vacuum_cost_delay = 0",
)


def upgrade() -> None:
    op.execute(f"ALTER TABLE rollup_pending SET ({', '.join(SETTINGS)})")


def downgrade() -> None:
    names = ", ".join(setting.split(" = ")[0] for setting in SETTINGS)
    op.execute(f"ALTER TABLE rollup_pending RESET ({names})")
