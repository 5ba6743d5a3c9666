"""auth: failed logins as rows, so every replica of a server counts the same ones

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 16:55:12

The login throttle (5 failed password logins per user name in 5 minutes) kept its counts in each process's
memory; with several replicas an attacker got 5 tries per replica. Each failure is now a row (pruned once it
leaves the window), read by every replica.
"""

import sqlalchemy as sa
from alembic import op

import genloop.store._base

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

UTC = genloop.store._base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name_key", sa.String(length=128), nullable=False),
        sa.Column("failed_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failures")),
    )
    op.create_index(op.f("ix_login_failures_failed_at"), "login_failures", ["failed_at"], unique=False)
    op.create_index(op.f("ix_login_failures_name_key"), "login_failures", ["name_key"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_login_failures_name_key"), table_name="login_failures")
    op.drop_index(op.f("ix_login_failures_failed_at"), table_name="login_failures")
    op.drop_table("login_failures")
