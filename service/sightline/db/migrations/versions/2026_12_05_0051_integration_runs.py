"""Integration runs: one at a time per integration.

Revision ID: 0051
Revises: 0050
Create Date: 2026-12-05
"""

from sightline.db.ddl import run  # noqa: F401

revision = "0051"
down_revision = "0050"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
