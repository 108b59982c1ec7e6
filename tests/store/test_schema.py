"""Migrations on an empty database, and refusing to run on an out-of-date schema."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import inspect, text

from qa_app import create_app, db

TABLES = {
    "users",
    "rubrics",
    "calls",
    "transcript_turns",
    "outcomes",
    "reviews",
    "review_scores",
    "calibration_sessions",
    "calibration_calls",
    "calibration_participants",
    "audit_events",
    "assignments",
    "login_attempts",
}


def test_upgrade_creates_every_table_on_an_empty_database(empty_db_url):
    engine = db.make_engine(empty_db_url)
    assert db.current_revision(engine) is None
    before, after = db.upgrade(engine)
    assert before is None and after == db.head_revision()
    assert TABLES <= set(inspect(engine).get_table_names())
    db.check_schema(engine)  # does not raise
    assert db.upgrade(engine) == (after, after)  # a second upgrade is a no-op
    engine.dispose()


def test_app_refuses_to_start_on_a_missing_schema_and_names_the_command(empty_db_url):
    with pytest.raises(db.SchemaOutOfDate, match="Run `qa-app db upgrade`"):
        create_app({"DATABASE_URL": empty_db_url})


def test_app_refuses_to_start_on_an_old_revision(empty_db_url, monkeypatch):
    engine = db.make_engine(empty_db_url)
    db.upgrade(engine)
    engine.dispose()
    head = db.head_revision()
    monkeypatch.setattr(db, "head_revision", lambda: "0999")
    with pytest.raises(db.SchemaOutOfDate, match=f"revision {head}, this version of qa_app needs"):
        create_app({"DATABASE_URL": empty_db_url})


def test_cli_serve_refuses_an_unmigrated_database(empty_db_url, monkeypatch, cli):
    monkeypatch.setenv("QA_APP_DATABASE_URL", empty_db_url)
    result = cli("serve", "--port", "0")
    assert result.exit_code == 1
    assert "Run `qa-app db upgrade`" in result.output
    result = cli("db", "upgrade")
    assert result.exit_code == 0
    assert f"upgraded from empty to {db.head_revision()}" in result.output


def test_sqlite_uses_wal_and_enforces_foreign_keys(tmp_path):
    engine = db.make_engine(f"sqlite:///{tmp_path / 'x.sqlite3'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


def test_upgrade_from_the_first_revision_keeps_the_data(empty_db_url):
    engine = db.make_engine(empty_db_url)
    command.upgrade(db.alembic_config(engine), "0001")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO calls (call_id, agent, imported_at, updated_at) "
                "VALUES ('OLD-1', 'Ana', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
    db.upgrade(engine)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT call_id FROM calls")).scalars().all() == ["OLD-1"]
    assert db.current_revision(engine) == db.head_revision()
    engine.dispose()


def test_the_migrations_build_exactly_the_tables_the_models_describe(empty_db_url):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from sqlmodel import SQLModel

    import qa_app.models  # noqa: F401 - registers every table on SQLModel.metadata

    engine = db.make_engine(empty_db_url)
    db.upgrade(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_server_default": False})
        differences = compare_metadata(context, SQLModel.metadata)
    engine.dispose()
    assert differences == []
