"""The database moves a table's version on every insert, update and delete, in the same
transaction: a kept analysis is never answered from data that has since changed, whoever
wrote it (the app, an import's COPY, a person with psql)."""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel import Session

from qa_app.models.data_versions import VERSIONED_TABLES
from qa_app.store.fingerprints import flags_fingerprint, table_versions
from tests.store.test_imports import HEADER, write_calls


def _versions(engine) -> dict:
    """Per table (version, largest id): what the fingerprints compare."""
    with Session(engine) as session:
        found = table_versions(session, VERSIONED_TABLES)[1:]
    count = len(VERSIONED_TABLES)
    return {name: (found[i], found[count + i]) for i, name in enumerate(VERSIONED_TABLES)}


def test_every_kind_of_write_moves_its_table_and_a_rollback_moves_nothing(engine, cli, tmp_path):
    """An insert moves the largest id (and on PostgreSQL the version); updates and deletes
    move the version; a rolled-back write moves neither."""
    start = _versions(engine)
    rows = [["C-1", "Ana", "Agent: Hi.\nCustomer: Hello.", "T", "q", "voice", "escalation",
             "2026-12-01T10:00:00Z"]]  # fmt: skip
    assert cli("import", "calls", write_calls(tmp_path / "c.csv", rows, HEADER[:8])).exit_code == 0
    after_import = _versions(engine)
    assert after_import["calls"] != start["calls"]
    assert after_import["outcomes"] == start["outcomes"]

    with engine.connect() as connection:  # a write that is rolled back changes no version
        connection.execute(text("UPDATE calls SET team = 'X'"))
        connection.rollback()
    assert _versions(engine) == after_import
    with engine.begin() as connection:  # raw SQL from outside the app
        connection.execute(text("UPDATE calls SET team = 'Y'"))
    moved = _versions(engine)
    assert moved["calls"][0] > after_import["calls"][0]
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM calls"))
    assert _versions(engine)["calls"][0] > moved["calls"][0]


def test_the_flags_fingerprint_moves_with_an_outcome(engine, cli, tmp_path):
    rows = [["C-1", "Ana", "Agent: Hi.\nCustomer: Hello.", "T", "q", "voice", "escalation",
             "2026-12-01T10:00:00Z"]]  # fmt: skip
    cli("import", "calls", write_calls(tmp_path / "c.csv", rows, HEADER[:8]))
    with Session(engine) as session:
        before = flags_fingerprint(session)
    (tmp_path / "o.csv").write_text("call_id,saved\nC-1,yes\n")
    assert cli("import", "outcomes", tmp_path / "o.csv").exit_code == 0
    with Session(engine) as session:
        assert flags_fingerprint(session) != before


def test_a_transaction_of_many_statements_moves_the_version_once_on_postgresql(engine, cli,
                                                                              tmp_path):
    """Row by row (an executemany) must not update the version row a million times."""
    rows = [["C-1", "Ana", "Agent: Hi.\nCustomer: Hello.", "T", "q", "voice", "escalation",
             "2026-12-01T10:00:00Z"]]  # fmt: skip
    cli("import", "calls", write_calls(tmp_path / "c.csv", rows, HEADER[:8]))
    before = _versions(engine)["calls"][0]
    with engine.begin() as connection:
        for team in ("A", "B", "C"):
            connection.execute(text("UPDATE calls SET team = :team"), {"team": team})
    moved = _versions(engine)["calls"][0] - before
    assert moved == (1 if engine.dialect.name == "postgresql" else 3)
