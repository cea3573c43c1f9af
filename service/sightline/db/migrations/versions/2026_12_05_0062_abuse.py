"""Rate limits, sign-up email verification, the mail outbox.

Revision ID: 0062
Revises: 0061
Create Date: 2026-12-05
"""

from sightline.db.ddl import run  # noqa: F401

revision = "0062"
down_revision = "0061"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
