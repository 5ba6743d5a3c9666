"""studio: trace indexes and full-text search (issue 11)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 09:40:00

Every filter of the trace list gets a (project, filter, time) index so keyset pages never sort; the
strongest guardrail action of a trace becomes a column (backfilled) so it can be filtered by index.
Full-text search over the string values of a trace's input and output:

- SQLite: ``traces_fts``, an FTS5 external-content table over ``traces`` (rowid = the trace row's rowid),
  kept in sync by triggers that index every string value of the JSON (``json_tree``);
- PostgreSQL: a ``search`` tsvector column filled by a trigger (every string value of the JSON, punctuation
  as space, ``to_tsvector('simple', ...)``) with a GIN index.

Existing rows are backfilled.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_OLD = {"ix_traces_project_time": ["project_id", "started_at"], "ix_traces_project_user": ["project_id", "user_id"],
        "ix_traces_project_session": ["project_id", "session_id"]}
_OLD["ix_traces_project_deployment_time"] = ["project_id", "deployment", "started_at"]
# (filter, time, id): the page order (time, id) comes straight from the filter's index, so no plan sorts
_NEW = {"ix_traces_project_time": ["project_id", "started_at", "id"],
        "ix_traces_project_deployment_time": ["project_id", "deployment", "started_at", "id"],
        "ix_traces_project_variant_time": ["project_id", "deployment", "variant", "started_at", "id"],
        "ix_traces_project_status_time": ["project_id", "status", "started_at", "id"],
        "ix_traces_project_user_time": ["project_id", "user_id", "started_at", "id"],
        "ix_traces_project_session_time": ["project_id", "session_id", "started_at", "id"],
        "ix_traces_project_guardrail_time": ["project_id", "guardrail_action", "started_at", "id"]}
_STRENGTH = {"flag": 0, "mask": 1, "redact": 2, "block": 3}


def _text(column: str) -> str:
    """SQLite: the string values of a JSON column, space-joined (NULL for NULL or invalid JSON)."""
    return (f"CASE WHEN {column} IS NOT NULL AND json_valid({column}) THEN "
            f"(SELECT group_concat(value, ' ') FROM json_tree({column}) WHERE type = 'text') END")


_SQLITE = [
    "CREATE VIRTUAL TABLE traces_fts USING fts5(input, output, content='traces', content_rowid='rowid', "
    "tokenize='unicode61 remove_diacritics 2')",
    f"""CREATE TRIGGER traces_fts_insert AFTER INSERT ON traces BEGIN
        INSERT INTO traces_fts(rowid, input, output) VALUES (new.rowid, {_text('new.input')}, {_text('new.output')});
    END""",
    f"""CREATE TRIGGER traces_fts_delete AFTER DELETE ON traces BEGIN
        INSERT INTO traces_fts(traces_fts, rowid, input, output)
        VALUES ('delete', old.rowid, {_text('old.input')}, {_text('old.output')});
    END""",
    f"""CREATE TRIGGER traces_fts_update AFTER UPDATE OF input, output ON traces BEGIN
        INSERT INTO traces_fts(traces_fts, rowid, input, output)
        VALUES ('delete', old.rowid, {_text('old.input')}, {_text('old.output')});
        INSERT INTO traces_fts(rowid, input, output) VALUES (new.rowid, {_text('new.input')}, {_text('new.output')});
    END""",
    f"INSERT INTO traces_fts(rowid, input, output) SELECT rowid, {_text('input')}, {_text('output')} FROM traces",
]

# every string value of input and output, punctuation made space (as SQLite's unicode61 tokenizer does)
_PG_STRINGS = ("(SELECT string_agg(v #>> ARRAY[]::text[], ' ') FROM jsonb_path_query(coalesce({0}, 'null'::jsonb), "
               "'strict $.**') AS v WHERE jsonb_typeof(v) = 'string')")
_PG_VECTOR = ("to_tsvector('simple', regexp_replace(coalesce(" + _PG_STRINGS.format("{0}input") + ", '') || ' ' || "
              "coalesce(" + _PG_STRINGS.format("{0}output") + ", ''), '[^[:alnum:]_]+', ' ', 'g'))")
_POSTGRES = [
    f"""CREATE FUNCTION traces_search_vector() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.search := {_PG_VECTOR.format('NEW.')};
        RETURN NEW;
    END $$""",
    "CREATE TRIGGER traces_search BEFORE INSERT OR UPDATE OF input, output ON traces "
    "FOR EACH ROW EXECUTE FUNCTION traces_search_vector()",
    f"UPDATE traces SET search = {_PG_VECTOR.format('')}",
]


def upgrade() -> None:
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    op.add_column("traces", sa.Column("guardrail_action", sa.String(length=16), nullable=True))
    op.add_column("traces", sa.Column("search", sa.Text().with_variant(postgresql.TSVECTOR(), "postgresql"),
                                      nullable=True))
    for name in _OLD:
        op.drop_index(name, table_name="traces")
    for name, columns in _NEW.items():
        op.create_index(name, "traces", columns, unique=False)
    _backfill_guardrail_action(bind)
    for statement in _SQLITE if sqlite else _POSTGRES:
        op.execute(statement)
    op.create_index("ix_traces_search", "traces", ["search"], unique=False, postgresql_using="gin")


def _backfill_guardrail_action(bind: sa.engine.Connection) -> None:
    traces = sa.table("traces", sa.column("id", sa.String), sa.column("guardrails", sa.JSON),
                      sa.column("guardrail_action", sa.String))
    rows = bind.execute(sa.select(traces.c.id, traces.c.guardrails).where(traces.c.guardrails.is_not(None))).all()
    updates = []
    for trace_id, findings in rows:
        actions = [f.get("action") for f in findings or () if isinstance(f, dict) and f.get("action") in _STRENGTH]
        if actions:
            updates.append({"tid": trace_id, "action": max(actions, key=_STRENGTH.__getitem__)})
    if updates:
        bind.execute(traces.update().where(traces.c.id == sa.bindparam("tid"))
                     .values(guardrail_action=sa.bindparam("action")), updates)


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.drop_index("ix_traces_search", table_name="traces")
    if sqlite:
        for trigger in ("traces_fts_insert", "traces_fts_delete", "traces_fts_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS traces_fts")
    else:
        op.execute("DROP TRIGGER IF EXISTS traces_search ON traces")
        op.execute("DROP FUNCTION IF EXISTS traces_search_vector()")
    for name in _NEW:
        op.drop_index(name, table_name="traces")
    for name, columns in _OLD.items():
        op.create_index(name, "traces", columns, unique=False)
    with op.batch_alter_table("traces") as batch_op:
        batch_op.drop_column("search")
        batch_op.drop_column("guardrail_action")
