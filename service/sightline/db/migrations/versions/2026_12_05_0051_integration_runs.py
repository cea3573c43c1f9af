"""Integration runs: one at a time per integration.

A run (manual or scheduled) takes a lease on its integration before it reads the source, in a short
transaction of its own, and gives it back with the run's record. The lease, not an open transaction or a
held connection, is what keeps a second run out while the source is slow; it expires on its own when the
process running it dies.

Revision ID: 0051
Revises: 0050
Create Date: 2026-12-05
"""

from sightline.db.ddl import run

revision = "0051"
down_revision = "0050"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run("""
    ALTER TABLE integrations
        ADD COLUMN run_token uuid,               -- the run holding the lease, if any
        ADD COLUMN run_lease_until timestamptz,  -- after this the lease is free again (its run died)
        ADD CONSTRAINT integrations_run_lease_check CHECK ((run_token IS NULL) = (run_lease_until IS NULL));
    """)


def downgrade() -> None:
    raise NotImplementedError("forward-only migrations")
