"""Multi-factor sign-in and sessions people manage.

Revision ID: 0060
Revises: 0053
Create Date: 2026-12-05
"""

from sightline.db.ddl import run  # noqa: F401

revision = "0060"
down_revision = "0053"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
