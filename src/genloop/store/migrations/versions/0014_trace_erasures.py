"""tracing: erasure tombstones, so a trace waiting in a spool is not stored after its subject was erased

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 17:05:00

An erasure (by end user and/or session) deleted the stored traces, but a trace still in a gateway's spool was
written after it. Each erasure now leaves its selector and time; the trace writer drops a trace of that subject
that started before the erasure.
"""

import sqlalchemy as sa
from alembic import op

import genloop.store._base

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

UTC = genloop.store._base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "trace_erasures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=256), nullable=True),
        sa.Column("session_id", sa.String(length=256), nullable=True),
        sa.Column("erased_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], name=op.f("fk_trace_erasures_project_id_projects"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trace_erasures")),
    )
    op.create_index("ix_trace_erasures_session", "trace_erasures", ["session_id"], unique=False)
    op.create_index("ix_trace_erasures_user", "trace_erasures", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_trace_erasures_user", table_name="trace_erasures")
    op.drop_index("ix_trace_erasures_session", table_name="trace_erasures")
    op.drop_table("trace_erasures")
