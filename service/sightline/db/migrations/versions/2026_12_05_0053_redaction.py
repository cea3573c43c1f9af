"""Redacted audit log.

Revision ID: 0053
Revises: 0052
Create Date: 2026-12-05
"""

from sightline.db.ddl import run  # noqa: F401

revision = "0053"
down_revision = "0052"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
