"""review: rating schemas, annotation queues, ratings (issue 12)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 09:40:00

Adds the review tables, and lets feedback sit on an eval item (``feedback.eval_item_id``; ``trace_id``
becomes nullable) so ratings of eval items are feedback too.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import genloop.store._base

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
UTC = genloop.store._base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "review_schemas",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("questions", JSON, nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], name=op.f("fk_review_schemas_project_id_projects"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_schemas")),
        sa.UniqueConstraint("project_id", "name", "version", name=op.f("uq_review_schemas_project_id_name_version")),
    )
    op.create_table(
        "review_queues",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("schema_id", sa.Integer(), nullable=False),
        sa.Column("ratings_per_item", sa.Integer(), nullable=False),
        sa.Column("assignment", sa.String(length=16), nullable=False),
        sa.Column("lock_seconds", sa.Integer(), nullable=False),
        sa.Column("annotators", JSON, nullable=False),
        sa.Column("item_count", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], name=op.f("fk_review_queues_project_id_projects"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["schema_id"], ["review_schemas.id"],
                                name=op.f("fk_review_queues_schema_id_review_schemas")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_queues")),
        sa.UniqueConstraint("project_id", "name", name=op.f("uq_review_queues_project_id_name")),
    )
    op.create_table(
        "review_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("queue_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("source_key", sa.String(length=200), nullable=False),
        sa.Column("trace_id", sa.String(length=32), nullable=True),
        sa.Column("eval_item_id", sa.Integer(), nullable=True),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("swapped", sa.Boolean(), nullable=False),
        sa.Column("ratings", sa.Integer(), nullable=False),
        sa.Column("done", sa.Boolean(), nullable=False),
        sa.Column("locked_by", sa.String(length=128), nullable=True),
        sa.Column("locked_until", UTC, nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["queue_id"], ["review_queues.id"], name=op.f("fk_review_items_queue_id_review_queues"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_items")),
        sa.UniqueConstraint("queue_id", "source_key", name=op.f("uq_review_items_queue_id_source_key")),
    )
    op.create_index("ix_review_items_queue_open", "review_items", ["queue_id", "done", "position"], unique=False)
    op.create_index("ix_review_items_queue_lock", "review_items", ["queue_id", "locked_by"], unique=False)
    op.create_table(
        "review_ratings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("queue_id", sa.Integer(), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("rater", sa.String(length=128), nullable=False),
        sa.Column("answers", JSON, nullable=False),
        sa.Column("schema_version", sa.Integer(), nullable=False),
        sa.Column("feedback_ids", JSON, nullable=False),
        sa.Column("seconds", sa.Float(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["review_items.id"], name=op.f("fk_review_ratings_item_id_review_items"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["queue_id"], ["review_queues.id"],
                                name=op.f("fk_review_ratings_queue_id_review_queues"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_ratings")),
        sa.UniqueConstraint("item_id", "rater", name=op.f("uq_review_ratings_item_id_rater")),
        sa.UniqueConstraint("item_id", "slot", name=op.f("uq_review_ratings_item_id_slot")),
    )
    op.create_index("ix_review_ratings_queue_rater", "review_ratings", ["queue_id", "rater", "id"], unique=False)
    op.create_table(
        "review_skips",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("rater", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["review_items.id"], name=op.f("fk_review_skips_item_id_review_items"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_skips")),
        sa.UniqueConstraint("item_id", "rater", name=op.f("uq_review_skips_item_id_rater")),
    )
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.add_column(sa.Column("eval_item_id", sa.Integer(), nullable=True))
        batch_op.alter_column("trace_id", existing_type=sa.String(length=32), nullable=True)
        batch_op.create_index(batch_op.f("ix_feedback_eval_item_id"), ["eval_item_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_eval_item_id"))
        batch_op.alter_column("trace_id", existing_type=sa.String(length=32), nullable=False)
        batch_op.drop_column("eval_item_id")
    op.drop_table("review_skips")
    op.drop_index("ix_review_ratings_queue_rater", table_name="review_ratings")
    op.drop_table("review_ratings")
    op.drop_index("ix_review_items_queue_lock", table_name="review_items")
    op.drop_index("ix_review_items_queue_open", table_name="review_items")
    op.drop_table("review_items")
    op.drop_table("review_queues")
    op.drop_table("review_schemas")
