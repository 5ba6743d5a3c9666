"""retention: per-project retention, retired prompt versions, append-only audit (issue 13)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 12:45:00

Adds ``governance_retention`` (days to keep traces and feedback, per project), ``prompt_versions.retired_at``
/ ``retired_by`` (a retired prompt version cannot enter a new deployment version) and triggers that refuse
UPDATE and DELETE on ``audit_events`` (SQLite: ``RAISE(ABORT)``; PostgreSQL: a plpgsql function).
"""

import sqlalchemy as sa
from alembic import op

import genloop.store._base

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

UTC = genloop.store._base.UTCDateTime(timezone=True)
_MESSAGE = "audit_events is append-only"

_SQLITE = [
    f"CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events "
    f"BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END",
    f"CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
    f"BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END",
]
_POSTGRES = [
    "CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger AS $$ BEGIN "
    f"RAISE EXCEPTION '{_MESSAGE}'; END; $$ LANGUAGE plpgsql",
    "CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events "
    "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()",
]


def upgrade() -> None:
    op.create_table(
        "governance_retention",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("traces_days", sa.Integer(), nullable=True),
        sa.Column("feedback_days", sa.Integer(), nullable=True),
        sa.Column("updated_at", UTC, nullable=False),
        sa.Column("updated_by", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"],
                                name=op.f("fk_governance_retention_project_id_projects"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("project_id", name=op.f("pk_governance_retention")),
    )
    with op.batch_alter_table("prompt_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("retired_at", UTC, nullable=True))
        batch_op.add_column(sa.Column("retired_by", sa.String(length=128), nullable=True))
    for statement in _SQLITE if op.get_bind().dialect.name == "sqlite" else _POSTGRES:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_delete")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS audit_events_append_only()")
    with op.batch_alter_table("prompt_versions", schema=None) as batch_op:
        batch_op.drop_column("retired_by")
        batch_op.drop_column("retired_at")
    op.drop_table("governance_retention")
