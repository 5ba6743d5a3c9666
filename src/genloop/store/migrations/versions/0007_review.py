"""review: rating schemas, annotation queues, ratings (issue 12)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 09:40:00

A reserved slot in the chain while several changes land at once; empty until its change fills it.
"""

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
