"""Reading call files and validating rows, with the row-level messages a person acts on."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from openpyxl import Workbook

from qa_app.domain.files.tables import FileProblem, read_table
from qa_app.domain.imports.calls import parse_transcript_text, validate_calls

GOOD_TRANSCRIPT = "Agent: Hello, how can I help?\nCustomer: My parcel is late.\nIt was a gift."


def write_csv(path, header, rows):
    import csv

    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_transcript_lines_become_speaker_turns_with_continuations_and_offsets():
    turns = parse_transcript_text(
        "[00:03] Agent: Hello, how can I help?\nCustomer: My parcel is late.\n"
        "It was a gift for my daughter.\n[01:02:05] Agent (Maria): Let me check."
    )
    assert [t.speaker for t in turns] == ["Agent", "Customer", "Agent (Maria)"]
    assert turns[1].text == "My parcel is late.\nIt was a gift for my daughter."
    assert [t.offset_seconds for t in turns] == [3.0, None, 3725.0]


def test_transcript_must_start_with_a_speaker():
    with pytest.raises(ValueError, match="line 1 has no speaker prefix"):
        parse_transcript_text("hello there\nAgent: hi")


def test_valid_csv_rows_become_calls(tmp_path):
    path = write_csv(
        tmp_path / "calls.csv",
        ["call_id", "agent", "transcript", "started_at", "agent_tenure_days", "channel"],
        [["C-1", "Ana B.", GOOD_TRANSCRIPT, "2026-03-01T14:05:00+01:00", "30", "voice"]],
    )
    report = validate_calls(read_table(path))
    assert report.ok
    call = report.records[0]
    assert call.started_at == datetime(2026, 3, 1, 13, 5, tzinfo=UTC)
    assert call.agent_tenure_days == 30 and call.channel == "voice"
    assert len(call.transcript) == 2


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (["C-2", "Ana", "", "", ""], "transcript is empty"),
        (["", "Ana", GOOD_TRANSCRIPT, "", ""], "call_id is empty"),
        (["C-2", "", GOOD_TRANSCRIPT, "", ""], "agent is empty"),
        (
            ["C-2", "Ana", GOOD_TRANSCRIPT, "yesterday", ""],
            "started_at: 'yesterday' is not an ISO 8601",
        ),
        (["C-2", "Ana", GOOD_TRANSCRIPT, "", "-3"], "agent_tenure_days -3 is negative"),
        (["C-2", "Ana", GOOD_TRANSCRIPT, "", "ten"], "agent_tenure_days 'ten' is not a number"),
        (["C-1", "Ana", GOOD_TRANSCRIPT, "", ""], "duplicate call_id 'C-1' (first in row 2)"),
    ],
)
def test_invalid_rows_are_reported_with_row_number_and_reason(tmp_path, row, message):
    header = ["call_id", "agent", "transcript", "started_at", "agent_tenure_days"]
    path = write_csv(tmp_path / "calls.csv", header, [["C-1", "Ana", GOOD_TRANSCRIPT, "", ""], row])
    report = validate_calls(read_table(path))
    assert [e.row for e in report.errors] == [3]
    assert message in report.errors[0].message
    assert str(report.errors[0]).startswith("row 3:")


def test_missing_required_column_is_named(tmp_path):
    path = write_csv(tmp_path / "calls.csv", ["call_id", "agent"], [["C-1", "Ana"]])
    report = validate_calls(read_table(path))
    assert "missing required column(s): transcript" in report.errors[0].message


def test_file_that_is_not_utf8_is_refused_with_the_line(tmp_path):
    path = tmp_path / "calls.csv"
    path.write_bytes(b"call_id,agent,transcript\nC-1,Jos\xe9,Agent: hola\n")
    with pytest.raises(FileProblem, match=r"not UTF-8 \(byte 0xe9 on line 2\)"):
        read_table(path)


def test_unsupported_extension_is_refused(tmp_path):
    path = tmp_path / "calls.txt"
    path.write_text("x")
    with pytest.raises(FileProblem, match="unsupported file type '.txt'"):
        read_table(path)


def test_xlsx_rows_keep_spreadsheet_row_numbers_and_real_dates(tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["call_id", "agent", "transcript", "started_at", "agent_tenure_days"])
    sheet.append(["X-1", "Ana", GOOD_TRANSCRIPT, datetime(2026, 5, 4, 9, 30), 12])
    sheet.append([None, None, None, None, None])
    sheet.append(["X-2", "Ben", "no speaker here", None, None])
    path = tmp_path / "calls.xlsx"
    workbook.save(path)
    report = validate_calls(read_table(path))
    assert report.records[0].started_at == datetime(2026, 5, 4, 9, 30, tzinfo=UTC)
    assert report.records[0].agent_tenure_days == 12
    assert [str(e) for e in report.errors] == [
        "row 4: transcript line 1 has no speaker prefix (write each turn as 'Agent: ...' or "
        "'Customer: ...')"
    ]


def test_jsonl_accepts_turn_lists_and_reports_bad_lines(tmp_path):
    lines = [
        json.dumps(
            {
                "call_id": "J-1",
                "agent": "Ana",
                "transcript": [
                    {"speaker": "Agent", "text": "Hi", "offset": 0},
                    {"speaker": "Customer", "text": "Hello"},
                ],
            }
        ),
        "{not json",
        json.dumps({"call_id": "J-2", "agent": "Ana", "transcript": [{"speaker": "Agent"}]}),
    ]
    path = tmp_path / "calls.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8")
    report = validate_calls(read_table(path))
    assert [r.call_id for r in report.records] == ["J-1"]
    assert report.records[0].transcript[0].offset_seconds == 0.0
    assert [str(e) for e in report.errors] == [
        "line 2: not valid JSON (Expecting property name enclosed in double quotes)",
        "line 3: transcript turn 1 needs both 'speaker' and 'text'",
    ]
