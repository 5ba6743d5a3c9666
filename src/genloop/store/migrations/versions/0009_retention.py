"""retention: per-project retention, erasure records, append-only audit (issue 13)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 12:45:00

Reserved slot: no schema change yet.
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
