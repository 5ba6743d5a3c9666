"""monitoring: online evaluators, drift, monitors, alerts (issue 15)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 12:45:00

Online evaluators (with their trace cursor and daily spend), monitors (with their state), the alert history
and the webhook deliveries of each alert (retried with backoff until the receiver answers); an index of
traces in the order they were stored, per deployment, that online evaluators read by; and a covering index
of the columns monitors aggregate over a deployment's window.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import genloop.store._base

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
UTC = genloop.store._base.UTCDateTime(timezone=True)


def _project_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["project_id"], ["projects.id"], name=op.f(f"fk_{table}_project_id_projects"),
                                   ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "monitoring_evaluators",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("deployment", sa.String(length=128), nullable=False),
        sa.Column("spec", JSON, nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("cursor_time", UTC, nullable=True),
        sa.Column("cursor_id", sa.String(length=32), nullable=True),
        sa.Column("spent_day", sa.String(length=10), nullable=False),
        sa.Column("spent_usd", sa.Float(), nullable=False),
        sa.Column("scored", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        _project_fk("monitoring_evaluators"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitoring_evaluators")),
        sa.UniqueConstraint("project_id", "name", name=op.f("uq_monitoring_evaluators_project_id_name")),
    )
    op.create_table(
        "monitoring_monitors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("spec", JSON, nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("evaluated_at", UTC, nullable=True),
        sa.Column("notified_at", UTC, nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        _project_fk("monitoring_monitors"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitoring_monitors")),
        sa.UniqueConstraint("project_id", "name", name=op.f("uq_monitoring_monitors_project_id_name")),
    )
    op.create_table(
        "monitoring_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("monitor_id", sa.Integer(), nullable=False),
        sa.Column("monitor", sa.String(length=128), nullable=False),
        sa.Column("event", sa.String(length=16), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("previous", sa.String(length=16), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("threshold", sa.Float(), nullable=True),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        _project_fk("monitoring_alerts"),
        sa.ForeignKeyConstraint(["monitor_id"], ["monitoring_monitors.id"],
                                name=op.f("fk_monitoring_alerts_monitor_id_monitoring_monitors"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitoring_alerts")),
    )
    op.create_index("ix_monitoring_alerts_project_id", "monitoring_alerts", ["project_id", "id"], unique=False)
    op.create_index(op.f("ix_monitoring_alerts_monitor_id"), "monitoring_alerts", ["monitor_id"], unique=False)
    op.create_table(
        "monitoring_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTC, nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("sent_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(["alert_id"], ["monitoring_alerts.id"],
                                name=op.f("fk_monitoring_deliveries_alert_id_monitoring_alerts"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitoring_deliveries")),
    )
    op.create_index("ix_monitoring_deliveries_due", "monitoring_deliveries", ["status", "next_attempt_at"],
                    unique=False)
    op.create_index(op.f("ix_monitoring_deliveries_alert_id"), "monitoring_deliveries", ["alert_id"], unique=False)
    op.create_table(
        "monitoring_exports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("endpoint", sa.String(length=2048), nullable=False),
        sa.Column("cursor_time", UTC, nullable=True),
        sa.Column("cursor_id", sa.String(length=32), nullable=True),
        sa.Column("exported", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("updated_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitoring_exports")),
        sa.UniqueConstraint("endpoint", name=op.f("uq_monitoring_exports_endpoint")),
    )
    op.create_index("ix_traces_project_deployment_created", "traces", ["project_id", "deployment", "created_at", "id"],
                    unique=False)
    op.create_index("ix_traces_created", "traces", ["created_at", "id"], unique=False)
    op.create_index("ix_traces_monitoring", "traces", ["project_id", "deployment", "started_at", "shadow_of", "variant",
                                                       "status", "http_status", "latency_ms", "cost_usd",
                                                       "guardrail_action"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_traces_monitoring", table_name="traces")
    op.drop_index("ix_traces_created", table_name="traces")
    op.drop_index("ix_traces_project_deployment_created", table_name="traces")
    op.drop_table("monitoring_exports")
    op.drop_table("monitoring_deliveries")
    op.drop_table("monitoring_alerts")
    op.drop_table("monitoring_monitors")
    op.drop_table("monitoring_evaluators")
