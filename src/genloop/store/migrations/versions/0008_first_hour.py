"""first hour: indexes for short ids and lookups (issue 10)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 09:40:00

A reserved slot in the chain while several changes land at once; empty until its change fills it.
"""

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
