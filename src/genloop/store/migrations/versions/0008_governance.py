"""governance: promotion policies, promotion reviews, model cards, retirement (issue 13)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 12:45:00

Reserved slot: no schema change yet.
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
