"""Write a new Alembic revision from the difference between the tables in code and the migrations.

Usage: python tools/new_migration.py REV_ID "message"   (e.g. 0002 "evals: eval items")
Review the generated file; every schema change ships one (tests/store/test_migrations.py checks).
"""

import sys
import tempfile

from alembic import command
from sqlalchemy import create_engine

from genloop.store import Database
from genloop.store.metadata import load_all_tables


def main() -> None:
    rev_id, message = sys.argv[1], sys.argv[2]
    metadata = load_all_tables()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/gen.db"
        db = Database(url)  # brings the scratch database to the current head
        cfg = db._alembic_config()
        with create_engine(url).begin() as conn:
            cfg.attributes["connection"] = conn
            cfg.attributes["target_metadata"] = metadata
            command.revision(cfg, message=message, autogenerate=True, rev_id=rev_id)
    print("now fix imports (sa.Text) and run: ruff format src/genloop/store/migrations")


if __name__ == "__main__":
    main()
