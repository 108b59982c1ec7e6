"""`qa-app backup` and `qa-app restore`: a round trip while the app serves and saves."""

from __future__ import annotations

import sqlite3
import threading

from sqlmodel import Session, select

from qa_app import create_app, db
from qa_app.models import Call, User
from qa_app.store.demo import load_demo
from tests.conftest import RUBRICS_DIR, serving
from tests.install.conftest import Browser


def test_backup_and_restore_round_trip_while_the_app_runs(cli, sqlite_url, tmp_path):
    app = create_app({"DATABASE_URL": sqlite_url})
    engine = db.get_engine_for(app)
    load_demo(engine, RUBRICS_DIR)
    with serving(app) as base:
        check_round_trip(cli, engine, base, tmp_path)
    engine.dispose()


def check_round_trip(cli, engine, base: str, tmp_path) -> None:
    """Back up while a reviewer saves, then restore; the running server sees the result."""
    reviewer = Browser(base)
    reviewer.login("reviewer@example.com", "demo-reviewer-pass")
    # A reviewer keeps saving while the backup is taken.
    failures: list[BaseException] = []

    def keep_saving():
        try:
            for _ in range(5):
                reviewer.autosave_first_call()
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            failures.append(exc)

    saving = threading.Thread(target=keep_saving)
    saving.start()
    backup = tmp_path / "nightly.sqlite3"
    result = cli("backup", backup)
    saving.join()
    assert failures == []
    assert result.exit_code == 0 and f"to {backup}" in result.output
    assert cli("backup", backup).output.strip().endswith("(a backup never overwrites)")

    with Session(engine) as session:
        calls = len(session.exec(select(Call)).all())
        coach = session.exec(select(User).where(User.email == "coach@example.com")).one()
        session.delete(coach)
        session.commit()

    refused = cli("restore", backup, input="n\n")
    assert refused.exit_code == 1 and "Aborted" in refused.output
    restored = cli("restore", backup, input="y\n")
    assert restored.exit_code == 0 and "Restored" in restored.output
    assert "db upgrade" not in restored.output

    # The running server sees the restored data at its next request.
    Browser(reviewer.base).login("coach@example.com", "demo-coach-pass")
    reviewer.autosave_first_call(score="2")
    with Session(engine) as session:
        assert len(session.exec(select(Call)).all()) == calls


def test_restore_refuses_a_file_that_is_no_qa_app_backup(cli, sqlite_url, tmp_path):
    other = tmp_path / "other.sqlite3"
    connection = sqlite3.connect(other)
    connection.execute("CREATE TABLE t (x)")
    connection.close()
    result = cli("restore", other, "--yes")
    assert result.exit_code == 1 and "is not a qa_app database backup" in result.output


def test_restore_refuses_a_backup_from_a_newer_version(cli, sqlite_url, tmp_path):
    backup = tmp_path / "b.sqlite3"
    cli("backup", backup)
    connection = sqlite3.connect(backup)
    connection.execute("UPDATE alembic_version SET version_num = 'f00dfeed'")
    connection.commit()
    connection.close()
    result = cli("restore", backup, "--yes")
    assert result.exit_code == 1 and "comes from a newer version of qa_app" in result.output


def test_postgresql_is_pointed_at_pg_dump(cli, monkeypatch, tmp_path):
    monkeypatch.setenv("QA_APP_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:9/x")
    result = cli("backup", tmp_path / "b.dump")
    assert result.exit_code == 1 and "Use pg_dump and pg_restore" in result.output
