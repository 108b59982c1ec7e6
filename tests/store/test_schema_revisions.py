"""The schema revisions qa_app reads without Alembic (to start fast) are Alembic's own."""

from __future__ import annotations

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from qa_app import db


def test_the_code_head_revision_is_alembics_head():
    assert db.head_revision() == ScriptDirectory(str(db.MIGRATIONS_DIR)).get_current_head()


def test_the_database_revision_is_what_alembic_reads(empty_db_url):
    engine = db.make_engine(empty_db_url)
    try:
        assert db.current_revision(engine) is None  # an empty database has no schema
        db.upgrade(engine)
        with engine.connect() as connection:
            expected = MigrationContext.configure(connection).get_current_revision()
        assert db.current_revision(engine) == expected == db.head_revision()
        db.check_schema(engine)  # up to date: no error
    finally:
        engine.dispose()
