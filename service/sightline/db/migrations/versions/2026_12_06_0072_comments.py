"""Comments on objectives, key results and check-ins (slot reserved; filled by the comments work).

Revision ID: 0072
Revises: 0071
Create Date: 2026-12-06
"""

revision = "0072"
down_revision = "0071"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
