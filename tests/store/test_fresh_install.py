"""A fresh database is usable after `qa-app db upgrade` alone; nothing lands in the install."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from sqlmodel import Session, select

import qa_app
from qa_app import config, create_app, db
from qa_app.models import Review, RubricVersion
from qa_app.resources import shipped_rubrics_dir, static_dir
from tests.store.test_imports import good_row, write_calls
from tests.store.test_review_import import HEADER, full_review


def test_db_upgrade_alone_makes_the_database_ready_for_review_imports(
    cli, empty_db_url, monkeypatch, tmp_path
):
    monkeypatch.setenv("QA_APP_DATABASE_URL", empty_db_url)
    upgraded = cli("db", "upgrade")
    assert upgraded.exit_code == 0
    assert "rubric empathy@1: loaded" in upgraded.output
    assert "rubric empathy-7pt@1: loaded" in upgraded.output

    cli("import", "calls", write_calls(tmp_path / "calls.csv", [good_row("C-1")]))
    reviews = tmp_path / "reviews.csv"
    reviews.write_text(HEADER + full_review("C-1", "rita@example.com"), encoding="utf-8")
    imported = cli("import", "reviews", reviews, "--create-reviewers")
    assert imported.exit_code == 0, imported.output

    again = cli("db", "upgrade")
    assert "rubric empathy@1: already loaded, unchanged" in again.output
    engine = db.make_engine(empty_db_url)
    with Session(engine) as session:
        assert len(session.exec(select(RubricVersion)).all()) == 2
        assert len(session.exec(select(Review)).all()) == 1
    engine.dispose()


def test_rubric_load_and_check_without_paths_use_the_shipped_rubrics(cli, db_url):
    loaded = cli("rubric", "load")
    assert loaded.exit_code == 0
    assert "rubric empathy@1: loaded" in loaded.output
    checked = cli("rubric", "check")
    assert checked.exit_code == 0 and "2 rubric file(s) OK." in checked.output


def test_a_configured_rubric_folder_replaces_the_shipped_one(cli, db_url, monkeypatch, tmp_path):
    own = tmp_path / "rubrics"
    own.mkdir()
    text = (shipped_rubrics_dir() / "empathy-v1.toml").read_text(encoding="utf-8")
    (own / "ours.toml").write_text(text.replace("version = 1", "version = 3"), encoding="utf-8")
    monkeypatch.setenv("QA_APP_RUBRICS_DIR", str(own))
    result = cli("rubric", "load")
    assert result.output.strip() == "rubric empathy@3: loaded"
    empty = tmp_path / "none"
    empty.mkdir()
    monkeypatch.setenv("QA_APP_RUBRICS_DIR", str(empty))
    refused = cli("rubric", "check")
    assert refused.exit_code == 1 and f"no rubric files (*.toml) in {empty}" in refused.output


def test_shipped_files_are_found_through_the_package_not_the_working_directory(
    monkeypatch, tmp_path
):
    monkeypatch.chdir(tmp_path)
    assert (shipped_rubrics_dir() / "empathy-v1.toml").is_file()
    assert (static_dir() / "vendor").is_dir() and (static_dir() / "app.css").is_file()


def test_the_instance_folder_defaults_to_the_users_data_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("QA_APP_INSTANCE_PATH")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert config.instance_path() == tmp_path / "data" / "qa_app"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert config.instance_path() == tmp_path / "home" / ".local" / "share" / "qa_app"
    package = Path(qa_app.__file__).parent
    assert package not in config.instance_path().parents


def test_production_mode_refuses_to_invent_a_secret_key(cli, db_url, monkeypatch, tmp_path):
    monkeypatch.delenv("QA_APP_SECRET_KEY")
    monkeypatch.setenv("QA_APP_ENV", "production")
    result = cli("db", "status")
    assert result.exit_code == 1
    assert result.output.startswith("Error: QA_APP_SECRET_KEY is not set; in production")
    assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "instance" / "secret_key").exists()


def test_production_mode_refuses_a_short_secret_key(cli, db_url, monkeypatch, tmp_path):
    monkeypatch.setenv("QA_APP_SECRET_KEY", "abcde")
    monkeypatch.setenv("QA_APP_ENV", "production")
    result = cli("db", "status")
    assert result.exit_code == 1
    assert result.output.startswith(
        "Error: QA_APP_SECRET_KEY is 5 characters; in production it must be at least 32"
    )
    monkeypatch.setenv("QA_APP_SECRET_KEY", "k" * 32)
    assert cli("db", "status").exit_code == 0


@pytest.mark.parametrize("env", ["", "development"])
def test_outside_production_a_key_is_generated_once_in_the_instance_folder(
    cli, db_url, monkeypatch, tmp_path, env
):
    monkeypatch.delenv("QA_APP_SECRET_KEY")
    monkeypatch.setenv("QA_APP_ENV", env)
    assert cli("db", "status").exit_code == 0
    assert not (tmp_path / "instance" / "secret_key").exists()  # a command signs nothing
    for _ in range(2):  # the web app makes it, once
        app = create_app({"DATABASE_URL": db_url})
        db.get_engine_for(app).dispose()
    key = (tmp_path / "instance" / "secret_key").read_text()
    assert app.config["SECRET_KEY"] == key and len(key) == 64


def test_a_command_refused_for_no_schema_leaves_no_database_or_key(cli, monkeypatch, tmp_path):
    monkeypatch.delenv("QA_APP_SECRET_KEY")
    database = tmp_path / "data" / "qa.sqlite3"
    monkeypatch.setenv("QA_APP_DATABASE_URL", f"sqlite:///{database}")
    result = cli("users", "list")
    assert result.exit_code == 1 and "has no qa_app schema yet" in result.output
    assert not database.exists() and not database.parent.exists()
    assert not (tmp_path / "instance" / "secret_key").exists()


def test_the_sqlite_database_is_readable_by_its_owner_only(cli, monkeypatch, tmp_path):
    database = tmp_path / "fresh" / "qa.sqlite3"
    monkeypatch.setenv("QA_APP_DATABASE_URL", f"sqlite:///{database}")
    old_umask = os.umask(0o022)  # the usual umask: new files readable by everyone
    try:
        assert cli("db", "upgrade").exit_code == 0
    finally:
        os.umask(old_umask)
    for file in (database, database.with_name("qa.sqlite3-wal")):
        if file.exists():
            assert stat.S_IMODE(file.stat().st_mode) == 0o600, file
    assert stat.S_IMODE(database.stat().st_mode) == 0o600
