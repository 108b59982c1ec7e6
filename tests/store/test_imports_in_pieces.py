"""A calls CSV imported a few rows at a time: the same answers as a file read whole.

The pieces are made two rows long here, so every rule that spans the file (a repeated
call_id, all or nothing, refused replacements, a file that turns out unreadable part way)
is exercised across pieces already written.
"""

from __future__ import annotations

import pytest
from sqlmodel import Session, func, select

from qa_app.models import AuditEvent, Call, TranscriptTurn
from qa_app.store.imports import pieces
from tests.store.test_imports import good_row, write_calls


@pytest.fixture(autouse=True)
def two_row_pieces(monkeypatch):
    monkeypatch.setattr(pieces, "PIECE_ROWS", 2)


def calls_stored(engine) -> list[str]:
    with Session(engine) as session:
        return sorted(session.exec(select(Call.call_id)).all())


def test_five_rows_in_three_pieces_are_imported_and_audited_once(app, engine, cli, tmp_path):
    path = write_calls(tmp_path / "calls.csv", [good_row(f"C-{n}") for n in range(5)])
    result = cli("import", "calls", path)
    assert result.exit_code == 0, result.output
    assert "Imported 5 rows (5 calls): 5 created, 0 updated, 0 unchanged." in result.output
    assert calls_stored(engine) == [f"C-{n}" for n in range(5)]
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(TranscriptTurn)).one() == 15
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "import.calls"))
        assert [e.after["created"] for e in events] == [5]
    again = cli("import", "calls", path)
    assert "5 unchanged" in again.output


def test_a_call_id_repeated_in_a_later_piece_is_refused_naming_its_first_row(
    app, engine, cli, tmp_path
):
    rows = [good_row("C-1"), good_row("C-2"), good_row("C-3"), good_row("C-1", agent="Bo")]
    path = write_calls(tmp_path / "calls.csv", rows)
    result = cli("import", "calls", path)
    assert result.exit_code == 1
    assert "row 5: duplicate call_id 'C-1' (first in row 2)" in result.output
    assert "1 invalid row; nothing was imported" in result.output
    # The first pieces had been written; the refusal rolled them back.
    assert calls_stored(engine) == []
    skipped = cli("import", "calls", path, "--skip-invalid")
    assert skipped.exit_code == 0, skipped.output
    assert "Imported 3 rows (3 calls): 3 created" in skipped.output
    with Session(engine) as session:
        assert session.exec(select(Call.agent).where(Call.call_id == "C-1")).one() == "Ana B."


def test_an_invalid_row_in_the_last_piece_rolls_back_every_piece(app, engine, cli, tmp_path):
    rows = [good_row(f"C-{n}") for n in range(4)] + [good_row("C-9", agent="")]
    path = write_calls(tmp_path / "calls.csv", rows)
    dry = cli("import", "calls", path, "--dry-run")
    assert "Dry run: 4 valid rows (4 calls: 4 new, 0 updates), 1 invalid row" in dry.output
    result = cli("import", "calls", path)
    assert result.exit_code == 1 and "row 6: agent is empty" in result.output
    assert calls_stored(engine) == []


def test_a_replacement_in_a_later_piece_is_refused_and_nothing_is_written(
    app, engine, cli, tmp_path
):
    cli("import", "calls", write_calls(tmp_path / "first.csv", [good_row("C-3")]))
    rows = [good_row("C-1"), good_row("C-2"), good_row("C-3", agent="Someone Else")]
    result = cli("import", "calls", write_calls(tmp_path / "calls.csv", rows))
    assert result.exit_code == 1
    assert "C-3" in result.output and "Someone Else" in result.output
    assert calls_stored(engine) == ["C-3"]
    replaced = cli("import", "calls", tmp_path / "calls.csv", "--replace")
    assert replaced.exit_code == 0, replaced.output
    assert "2 created, 1 updated" in replaced.output


def test_a_file_unreadable_part_way_writes_nothing(app, engine, cli, tmp_path):
    path = write_calls(tmp_path / "calls.csv", [good_row(f"C-{n}") for n in range(4)])
    with path.open("ab") as handle:
        handle.write(b"C-8,Ana,\xff\xfe not UTF-8\n")
    result = cli("import", "calls", path)
    assert result.exit_code == 1
    assert "the file is not UTF-8 (byte 0xff on line" in result.output
    assert calls_stored(engine) == []
    # The import's temporary table is gone with it: the next import runs.
    path.write_text(path.read_bytes()[: -len(b"C-8,Ana,\xff\xfe not UTF-8\n")].decode())
    assert cli("import", "calls", path).exit_code == 0
    assert len(calls_stored(engine)) == 4
