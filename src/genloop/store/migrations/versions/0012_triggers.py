"""triggers: pipeline triggers and the scheduler lease (issue 15)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 12:45:00

Pipeline triggers (cron, dataset version, feedback or annotation threshold, monitor alert, manual) with the
cursor of the evidence they last fired on and the firing pending its run; the scheduler's leader lease.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import genloop.store._base

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
UTC = genloop.store._base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "pipeline_triggers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("pipeline", sa.String(length=256), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("spec", JSON, nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("cursor", JSON, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("pending", JSON, nullable=False),
        sa.Column("last_fired_at", UTC, nullable=True),
        sa.Column("last_run_id", sa.String(length=64), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], name=op.f("fk_pipeline_triggers_project_id_projects"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pipeline_triggers")),
        sa.UniqueConstraint("project_id", "name", name=op.f("uq_pipeline_triggers_project_id_name")),
    )
    op.create_index(op.f("ix_pipeline_triggers_project_id"), "pipeline_triggers", ["project_id"], unique=False)
    op.create_table(
        "scheduler_leases",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("holder", sa.String(length=128), nullable=False),
        sa.Column("expires_at", UTC, nullable=False),
        sa.Column("acquired_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_scheduler_leases")),
    )


def downgrade() -> None:
    op.drop_table("scheduler_leases")
    op.drop_index(op.f("ix_pipeline_triggers_project_id"), table_name="pipeline_triggers")
    op.drop_table("pipeline_triggers")
