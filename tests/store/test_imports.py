"""`qa-app import calls|outcomes` against a real database: all-or-nothing, upserts, rejects."""

from __future__ import annotations

import csv
import json

from sqlmodel import Session, select

from qa_app.models import AuditEvent, Call, Outcome, TranscriptTurn
from tests.store.helpers import snapshot

HEADER = [
    "call_id",
    "agent",
    "transcript",
    "team",
    "queue",
    "channel",
    "interaction_type",
    "started_at",
    "save_script",
    "agent_tenure_days",
]
TRANSCRIPT = (
    "Agent: Thanks for calling.\nCustomer: I was charged twice.\nAgent: I'm sorry about that."
)


def write_calls(path, rows, header=HEADER):
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def good_row(call_id, agent="Ana B.", transcript=TRANSCRIPT, started="2026-03-01T10:00:00Z"):
    return [
        call_id,
        agent,
        transcript,
        "Harbour",
        "billing",
        "voice",
        "billing_correction",
        started,
        "",
        "45",
    ]


def test_import_creates_calls_with_ordered_turns(app, engine, cli, tmp_path):
    path = write_calls(tmp_path / "calls.csv", [good_row("C-1"), good_row("C-2")])
    result = cli("import", "calls", path)
    assert result.exit_code == 0, result.output
    assert "Imported 2 rows (2 calls): 2 created, 0 updated, 0 unchanged." in result.output
    with Session(engine) as session:
        call = session.exec(select(Call).where(Call.call_id == "C-1")).one()
        assert (call.team, call.agent_tenure_days, call.started_at.isoformat()) == (
            "Harbour",
            45,
            "2026-03-01T10:00:00+00:00",
        )
        turns = session.exec(
            select(TranscriptTurn)
            .where(TranscriptTurn.call_pk == call.id)
            .order_by(TranscriptTurn.position)
        ).all()
        assert [t.speaker for t in turns] == ["Agent", "Customer", "Agent"]


def test_reimport_updates_instead_of_duplicating(app, engine, cli, tmp_path):
    cli("import", "calls", write_calls(tmp_path / "a.csv", [good_row("C-1"), good_row("C-2")]))
    changed = good_row("C-1", agent="Ana Beltran", transcript="Agent: Hi.\nCustomer: Hello.")
    changes = write_calls(tmp_path / "b.csv", [changed, good_row("C-2")])
    result = cli("import", "calls", changes, "--replace")
    assert "Imported 2 rows (2 calls): 0 created, 1 updated, 1 unchanged." in result.output
    with Session(engine) as session:
        calls = session.exec(select(Call).order_by(Call.call_id)).all()
        assert [(c.call_id, c.agent) for c in calls] == [("C-1", "Ana Beltran"), ("C-2", "Ana B.")]
        turns = session.exec(
            select(TranscriptTurn).where(TranscriptTurn.call_pk == calls[0].id)
        ).all()
        assert sorted(t.text for t in turns) == ["Hello.", "Hi."]
    # A file with fewer columns updates what it has and leaves the other fields alone.
    slim = write_calls(
        tmp_path / "slim.csv",
        [["C-2", "Ana Beltran", TRANSCRIPT]],
        ["call_id", "agent", "transcript"],
    )
    assert (
        "Imported 1 row (1 call): 0 created, 1 updated, 0 unchanged."
        in cli("import", "calls", slim, "--replace").output
    )
    with Session(engine) as session:
        call = session.exec(select(Call).where(Call.call_id == "C-2")).one()
        assert (call.agent, call.team, call.channel, call.agent_tenure_days) == (
            "Ana Beltran",
            "Harbour",
            "voice",
            45,
        )


def test_changed_call_details_are_refused_without_replace_and_kept_in_the_trail(
    app, engine, cli, tmp_path
):
    first = good_row("C-1")
    first[3] = ""  # no team yet
    cli("import", "calls", write_calls(tmp_path / "a.csv", [first, good_row("C-2")]))
    before = snapshot(engine)
    moved = good_row("C-1", agent="Bo K.", started="2026-03-02T09:30:00Z")  # team filled in
    moved[4], moved[9] = "retention", "400"
    changes = write_calls(tmp_path / "b.csv", [good_row("C-2"), moved])
    refused = cli("import", "calls", changes)
    assert refused.exit_code == 1
    assert (
        "b.csv: row 3: call C-1 agent is Ana B. in the database, the file has Bo K.; queue is "
        "billing in the database, the file has retention; started_at is 2026-03-01 10:00:00 in "
        "the database, the file has 2026-03-02 09:30:00; agent_tenure_days is 45 in the "
        "database, the file has 400"
    ) in refused.output
    assert "would be replaced; nothing was imported. Use --replace" in refused.output
    assert snapshot(engine) == before  # nothing written, not even the blank team filled in

    # Filling a blank is an update, not a replacement.
    filled = good_row("C-1")
    assert cli("import", "calls", write_calls(tmp_path / "c.csv", [filled])).exit_code == 0

    replaced = cli("import", "calls", changes, "--replace")
    assert "0 created, 1 updated, 1 unchanged" in replaced.output, replaced.output
    with Session(engine) as session:
        call = session.exec(select(Call).where(Call.call_id == "C-1")).one()
        assert (call.agent, call.team, call.queue, call.agent_tenure_days) == (
            "Bo K.",
            "Harbour",
            "retention",
            400,
        )
        (event,) = session.exec(select(AuditEvent).where(AuditEvent.action == "call.replaced"))
    assert (event.entity_type, event.entity_id) == ("call", "C-1")
    assert event.before == {
        "agent": "Ana B.",
        "queue": "billing",
        "started_at": "2026-03-01 10:00:00",
        "agent_tenure_days": "45",
    }
    assert event.after["agent"] == "Bo K." and event.after["file"] == "b.csv"
    assert event.actor_label.startswith("command line (")
    with Session(engine) as session:
        imports = session.exec(select(AuditEvent).where(AuditEvent.action == "import.calls"))
        assert {e.actor_label for e in imports} == {event.actor_label}  # not "system"


def test_malformed_file_is_refused_row_by_row_and_changes_nothing(app, engine, cli, tmp_path):
    cli("import", "calls", write_calls(tmp_path / "first.csv", [good_row("C-1")]))
    before = snapshot(engine)
    bad = write_calls(
        tmp_path / "bad.csv",
        [
            good_row("C-1", agent="Renamed"),  # valid update: must not be applied either
            good_row("C-9", transcript=""),  # row 3
            good_row("C-9", started="31/02/2026"),  # row 4: bad date and duplicate of row 3
            good_row("C-10")[:9] + ["-4"],  # row 5
        ],
    )
    result = cli("import", "calls", bad)
    assert result.exit_code == 1
    assert "bad.csv: row 3: transcript is empty" in result.stderr
    assert (
        "row 4: duplicate call_id 'C-9' (first in row 3); started_at: '31/02/2026'" in result.stderr
    )
    assert "row 5: agent_tenure_days -4 is negative" in result.stderr
    assert "3 invalid rows; nothing was imported" in result.stderr
    assert snapshot(engine) == before


def test_skip_invalid_imports_valid_rows_and_writes_rejects(app, engine, cli, tmp_path):
    path = write_calls(
        tmp_path / "mixed.csv",
        [good_row("C-1"), good_row("C-2", agent=""), good_row("=HYPERLINK(1)", agent="")],
    )
    result = cli("import", "calls", path, "--skip-invalid")
    assert result.exit_code == 0, result.output
    assert "2 rejected rows written to" in result.stderr
    assert "Imported 1 row (1 call): 1 created, 0 updated, 0 unchanged." in result.stdout
    with Session(engine) as session:
        assert session.exec(select(Call.call_id)).all() == ["C-1"]
    with (tmp_path / "mixed.rejects.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["row"], r["reason"]) for r in rows] == [
        ("3", "agent is empty"),
        ("4", "agent is empty"),
    ]
    assert rows[1]["call_id"] == "'=HYPERLINK(1)"  # a rejects file must not run formulas


def test_dry_run_writes_nothing(app, engine, cli, tmp_path):
    before = snapshot(engine)
    result = cli("import", "calls", write_calls(tmp_path / "c.csv", [good_row("C-1")]), "--dry-run")
    assert result.exit_code == 0
    assert "Dry run: 1 valid row (1 call: 1 new, 0 updates), 0 invalid rows; nothing written." in (
        result.output
    )
    # An invalid row fails a dry run as it would fail the import, unless skipped.
    rows = [good_row("C-1"), good_row("C-2", agent="")]
    failed = cli("import", "calls", write_calls(tmp_path / "bad.csv", rows), "--dry-run")
    assert failed.exit_code == 1
    assert "Dry run: 1 valid row (1 call: 1 new, 0 updates), 1 invalid row; nothing written." in (
        failed.output
    )
    skipped = cli("import", "calls", tmp_path / "bad.csv", "--dry-run", "--skip-invalid")
    assert skipped.exit_code == 0
    assert snapshot(engine) == before


def test_not_utf8_and_empty_files_are_refused(app, engine, cli, tmp_path):
    latin = tmp_path / "latin.csv"
    latin.write_bytes("call_id,agent,transcript\nC-1,José,Agent: hola\n".encode("latin-1"))
    result = cli("import", "calls", latin)
    assert result.exit_code == 1 and "not UTF-8 (byte 0xe9 on line 2)" in result.output
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    assert "the file is empty" in cli("import", "calls", empty).output
    assert snapshot(engine)["calls"] == []


def test_jsonl_import_with_turn_lists(app, engine, cli, tmp_path):
    path = tmp_path / "calls.jsonl"
    path.write_text(
        json.dumps(
            {
                "call_id": "J-1",
                "agent": "Ana",
                "channel": "chat",
                "transcript": [
                    {"speaker": "Agent", "text": "Hi"},
                    {"speaker": "Customer", "text": "Hello"},
                ],
            }
        )
        + "\n"
    )
    assert cli("import", "calls", path).exit_code == 0
    with Session(engine) as session:
        assert session.exec(select(Call.channel)).all() == ["chat"]


def test_outcomes_import_is_all_or_nothing_and_reports_unknown_calls(app, engine, cli, tmp_path):
    cli("import", "calls", write_calls(tmp_path / "calls.csv", [good_row("C-1"), good_row("C-2")]))
    outcomes = tmp_path / "outcomes.csv"
    outcomes.write_text("call_id,saved,credit_amount\nC-1,yes,10\nC-404,no,0\n", encoding="utf-8")
    before = snapshot(engine)
    result = cli("import", "outcomes", outcomes)
    assert result.exit_code == 1
    assert "outcomes.csv: row 3: unknown call_id 'C-404'" in result.stderr
    assert snapshot(engine) == before

    outcomes.write_text("call_id,saved,credit_amount\nC-1,yes,10\nC-2,no,\n", encoding="utf-8")
    result = cli("import", "outcomes", outcomes)
    # Two rows holding three values (a blank cell records nothing): rows are counted as rows.
    assert result.exit_code == 0
    assert "Imported 2 rows (3 outcome values): 3 created, 0 updated, 0 unchanged." in (
        result.output
    )
    again = cli("import", "outcomes", outcomes, "--dry-run")
    assert "Dry run: 2 valid rows (3 outcome values), 0 invalid rows; nothing written." in (
        again.output
    )
    assert "Imported 2 rows (3 outcome values): 0 created, 0 updated, 3 unchanged." in (
        cli("import", "outcomes", outcomes).output
    )
    with Session(engine) as session:
        values = {(o.name, o.kind, o.value) for o in session.exec(select(Outcome))}
    assert values == {
        ("saved", "boolean", 1.0),
        ("credit_amount", "number", 10.0),
        ("saved", "boolean", 0.0),
    }


def test_outcome_kind_cannot_change_once_stored(app, engine, cli, tmp_path):
    cli("import", "calls", write_calls(tmp_path / "calls.csv", [good_row("C-1")]))
    path = tmp_path / "o.csv"
    path.write_text("call_id,saved\nC-1,true\n", encoding="utf-8")
    cli("import", "outcomes", path)
    path.write_text("call_id,saved\nC-1,0.5\n", encoding="utf-8")
    result = cli("import", "outcomes", path)
    assert result.exit_code == 1 and "saved is boolean" in result.stderr


def test_broken_files_are_refused_whole_with_the_place_named(app, engine, cli, tmp_path):
    """Odd files an export from another tool can produce: nothing written, a clear reason."""
    cli("import", "calls", write_calls(tmp_path / "first.csv", [good_row("C-1")]))
    before = snapshot(engine)
    open_quote = tmp_path / "quote.csv"
    open_quote.write_text('call_id,agent,transcript\nQ-4,Ann,"Agent: hi\nQ-5,Bob,Agent: yo\n')
    result = cli("import", "calls", open_quote)
    assert result.exit_code == 1 and "a quote may be left open" in result.output
    nul = tmp_path / "nul.csv"
    nul.write_text("call_id,agent,transcript\nQ-6,A\x00nn,Agent: hi\n")
    result = cli("import", "calls", nul)
    assert result.exit_code == 1 and "line 2 contains a NUL character" in result.output
    odd = tmp_path / "odd.jsonl"
    odd.write_text(
        json.dumps({"call_id": "Q-7", "agent": "A", "transcript": "Agent: hi"})
        + "\n"
        + '{"call_id": "Q-8", "n": '
        + "9" * 5000
        + "}\n"
        + json.dumps(
            {
                "call_id": "Q-9",
                "agent": "A",
                "transcript": "Agent: hi",
                "started_at": "9999-12-31T23:59:59-01:00",
                "agent_tenure_days": "99999999999999999999",
            }
        )
        + "\n"
    )
    result = cli("import", "calls", odd)
    assert result.exit_code == 1
    assert "line 2: JSON too large or too deeply nested" in result.output
    assert "started_at: 9999-12-31 is outside the years 1900 to 2199" in result.output
    assert "more than 100 years" in result.output
    assert snapshot(engine) == before


def test_long_transcripts_import(app, engine, cli, tmp_path):
    long_text = "Agent: " + "word " * 40_000  # 200,000 characters in one cell
    path = write_calls(tmp_path / "long.csv", [good_row("C-9", transcript=long_text)])
    result = cli("import", "calls", path)
    assert result.exit_code == 0, result.output


def test_output_files_are_checked_before_any_work(app, engine, cli, tmp_path):
    rows = [good_row("C-1"), good_row("C-2", agent="")]
    path = write_calls(tmp_path / "skip.csv", rows)
    before = snapshot(engine)
    same = cli("import", "calls", path, "--skip-invalid", "--rejects", path)
    assert same.exit_code == 1 and "is the input file" in same.output
    nowhere = tmp_path / "missing" / "r.csv"
    missing = cli("import", "calls", path, "--skip-invalid", "--rejects", nowhere)
    assert missing.exit_code == 1 and "does not exist" in missing.output
    assert snapshot(engine) == before  # the valid row was not written either
    export = cli("export", "flags", "--out", tmp_path / "missing" / "f.xlsx")
    assert export.exit_code == 1 and "does not exist" in export.output
