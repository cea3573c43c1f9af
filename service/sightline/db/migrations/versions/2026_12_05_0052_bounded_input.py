"""Bounded input and fair scheduling.

Revision ID: 0052
Revises: 0051
Create Date: 2026-12-05
"""

from sightline.db.ddl import run  # noqa: F401

revision = "0052"
down_revision = "0051"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
