"""monitoring: online evaluators, drift, monitors, alerts (issue 15)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 12:45:00

Reserved slot: no schema change yet.
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
