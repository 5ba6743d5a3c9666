"""studio: trace indexes and full-text search (issue 11)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 09:40:00

A reserved slot in the chain while several changes land at once; empty until its change fills it.
"""

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
