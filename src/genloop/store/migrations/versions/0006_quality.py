"""quality: dataset profiles and quality runs (issue 14)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 09:40:00

A reserved slot in the chain while several changes land at once; empty until its change fills it.
"""

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
