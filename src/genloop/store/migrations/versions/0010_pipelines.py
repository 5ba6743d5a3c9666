"""pipelines: specs, pipeline runs and steps (issue 15)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 12:45:00

Named pipelines and their immutable spec versions; the steps of each pipeline run (the run itself is a
``runs`` row of kind ``pipeline``), indexed by cache key so an unchanged step is found in one lookup.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import genloop.store._base

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
UTC = genloop.store._base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "pipelines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("description", sa.String(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], name=op.f("fk_pipelines_project_id_projects"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pipelines")),
        sa.UniqueConstraint("project_id", "name", name=op.f("uq_pipelines_project_id_name")),
    )
    op.create_index(op.f("ix_pipelines_project_id"), "pipelines", ["project_id"], unique=False)
    op.create_table(
        "pipeline_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pipeline_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("spec", JSON, nullable=False),
        sa.Column("message", sa.String(), nullable=False),
        sa.Column("content_hash", sa.String(length=80), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(["pipeline_id"], ["pipelines.id"],
                                name=op.f("fk_pipeline_versions_pipeline_id_pipelines"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pipeline_versions")),
        sa.UniqueConstraint("pipeline_id", "version", name=op.f("uq_pipeline_versions_pipeline_id_version")),
    )
    op.create_table(
        "pipeline_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("step", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("step_run_id", sa.String(length=64), nullable=True),
        sa.Column("cache_key", sa.String(length=80), nullable=True),
        sa.Column("cached_from", sa.String(length=64), nullable=True),
        sa.Column("outputs", JSON, nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("log", sa.Text(), nullable=False),
        sa.Column("started_at", UTC, nullable=True),
        sa.Column("ended_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], name=op.f("fk_pipeline_steps_project_id_projects"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name=op.f("fk_pipeline_steps_run_id_runs"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pipeline_steps")),
        sa.UniqueConstraint("run_id", "step", name=op.f("uq_pipeline_steps_run_id_step")),
    )
    op.create_index("ix_pipeline_steps_cache", "pipeline_steps", ["project_id", "cache_key"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_pipeline_steps_cache", table_name="pipeline_steps")
    op.drop_table("pipeline_steps")
    op.drop_table("pipeline_versions")
    op.drop_index(op.f("ix_pipelines_project_id"), table_name="pipelines")
    op.drop_table("pipelines")
