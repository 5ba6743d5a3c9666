"""hardening: provider connections (issue 9)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 09:40:00

A reserved slot in the chain while several changes land at once; empty until its change fills it.
"""

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
