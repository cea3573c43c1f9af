"""Password rules and the sign-in throttle.

Revision ID: 0061
Revises: 0060
Create Date: 2026-12-05
"""

from sightline.db.ddl import run  # noqa: F401

revision = "0061"
down_revision = "0060"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
