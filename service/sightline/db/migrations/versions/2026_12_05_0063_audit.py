"""Security events and purging expired rows.

Revision ID: 0063
Revises: 0062
Create Date: 2026-12-05
"""

from sightline.db.ddl import run  # noqa: F401

revision = "0063"
down_revision = "0062"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
