"""governance: promotion policies, promotion reviews, model cards, retirement (issue 13)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 12:45:00

Adds the promotion policies (versioned), the promotion reviews with their evidence and decision, and the
author's notes of model cards (intended use, limitations).
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import genloop.store._base

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
UTC = genloop.store._base.UTCDateTime(timezone=True)


def _project_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["project_id"], ["projects.id"], name=op.f(f"fk_{table}_project_id_projects"),
                                   ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "governance_policies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("target_kind", sa.String(length=16), nullable=False),
        sa.Column("target_name", sa.String(length=128), nullable=False),
        sa.Column("target_label", sa.String(length=64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("spec", JSON, nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        _project_fk("governance_policies"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_governance_policies")),
        sa.UniqueConstraint("project_id", "name", "version",
                            name=op.f("uq_governance_policies_project_id_name_version")),
    )
    op.create_table(
        "governance_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("entity_type", sa.String(length=16), nullable=False),
        sa.Column("entity_name", sa.String(length=128), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(length=64), nullable=False),
        sa.Column("policy_name", sa.String(length=128), nullable=True),
        sa.Column("policy_version", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("author", sa.String(length=128), nullable=False),
        sa.Column("requested_by", sa.String(length=128), nullable=False),
        sa.Column("evidence", JSON, nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("decided_by", sa.String(length=128), nullable=True),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("decided_at", UTC, nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        _project_fk("governance_reviews"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_governance_reviews")),
    )
    op.create_index("ix_governance_reviews_subject", "governance_reviews",
                    ["project_id", "entity_type", "entity_name", "version"])
    op.create_table(
        "model_card_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("model_name", sa.String(length=128), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("intended_use", sa.Text(), nullable=False),
        sa.Column("limitations", sa.Text(), nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.Column("updated_by", sa.String(length=128), nullable=False),
        _project_fk("model_card_notes"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_card_notes")),
        sa.UniqueConstraint("project_id", "model_name", "version",
                            name=op.f("uq_model_card_notes_project_id_model_name_version")),
    )


def downgrade() -> None:
    op.drop_table("model_card_notes")
    op.drop_index("ix_governance_reviews_subject", table_name="governance_reviews")
    op.drop_table("governance_reviews")
    op.drop_table("governance_policies")
