"""`qa-app export flags` and `qa-app outcomes compare` on a real database, checked independently."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pandas as pd
import pytest
from openpyxl import load_workbook
from sqlmodel import Session, select

from qa_app.domain.rubrics.scoring import DimensionAnswer
from qa_app.models import Call, RubricVersion, User
from qa_app.store.flags.rows import iter_flag_rows, plan_export
from qa_app.store.reviews.queue import CallFilters
from qa_app.store.reviews.reviews import save_draft_answer
from tests.conftest import RUBRICS_DIR
from tests.store.test_imports import HEADER, write_calls

TRANSCRIPT = "Agent: Hello.\nCustomer: Hi."
CALLS = [
    # call_id, agent, team, type, channel, script, tenure
    ("E-1", '=HYPERLINK("x")', "+Team", "escalation", "voice", "empathy-first", 30),
    ("E-2", "Ben", "-Team", "escalation", "chat", "discount-first", 400),
    ("E-3", "@Cara", "Harbour", "quick_win", "voice", "", 200),
    ("E-4", "Dan", "Harbour", "quick_win", "email", "", 10),
    ("E-5", "Eve", "Harbour", "quick_win", "voice", "", 90),  # never reviewed
    ("E-6", "Fay", "Harbour", "quick_win", "voice", "", 120),  # never reviewed
]
REVIEWS = {  # call -> [(reviewer, ack, summary, next_steps, loop_closure)]
    "E-1": [("rita@example.com", 5, 4, 4, 4), ("rob@example.com", 3, 2, 4, "N/A")],
    "E-2": [("rita@example.com", 2, 2, 1, 1)],
    "E-3": [("rita@example.com", 4, 4, "N/A", "N/A")],
    "E-4": [
        ("rob@example.com", 4, 5, 4, 5),
        ("rita@example.com", 4, 3, 2, 5),
        ("lee@example.com", 1, 3, 2, 4),
    ],
}
OUTCOMES = "call_id,saved,credit_amount\nE-1,yes,0\nE-2,no,25\nE-3,yes,\nE-4,no,\n"


def load(cli, tmp_path):
    cli("rubric", "load", RUBRICS_DIR / "empathy-v1.toml")
    rows = [
        [
            cid,
            agent,
            TRANSCRIPT,
            team,
            "q",
            channel,
            kind,
            f"2026-03-0{cid[-1]}T10:00:00Z",
            script,
            str(tenure),
        ]
        for cid, agent, team, kind, channel, script, tenure in CALLS
    ]
    assert cli("import", "calls", write_calls(tmp_path / "c.csv", rows, HEADER)).exit_code == 0
    for email in ("rita@example.com", "rob@example.com", "lee@example.com"):
        cli(
            "users",
            "add",
            "--email",
            email,
            "--name",
            email[:3],
            "--role",
            "reviewer",
            "--password-stdin",
            input="a-long-enough-password\n",
        )
    lines = ["call_id,reviewer,dimension,score"]
    for call_id, reviews in REVIEWS.items():
        for reviewer, *scores in reviews:
            for dimension, score in zip(
                ("acknowledgment", "summary", "next_steps", "loop_closure"), scores, strict=True
            ):
                lines.append(f"{call_id},{reviewer},{dimension},{score}")
    (tmp_path / "r.csv").write_text("\n".join(lines) + "\n")
    assert cli("import", "reviews", tmp_path / "r.csv").exit_code == 0
    (tmp_path / "o.csv").write_text(OUTCOMES)
    assert cli("import", "outcomes", tmp_path / "o.csv").exit_code == 0


EXPECTED_COLUMNS = [
    "call_id",
    "started_at",
    "agent",
    "team",
    "queue",
    "channel",
    "interaction_type",
    "save_script",
    "agent_tenure_days",
    "score_acknowledgment",
    "score_summary",
    "score_next_steps",
    "score_loop_closure",
    "flag_acknowledged",
    "flag_summarized",
    "flag_confirmed_next_steps",
    "flag_closed_emotional_loop",
    "flag_empathy_absent",
    "score_source",
    "review_count",
    "weight",
    "outcome_credit_amount",
    "outcome_saved",
]


def test_xlsx_export_matches_an_independent_computation(app, cli, tmp_path):
    load(cli, tmp_path)
    out = tmp_path / "flags.xlsx"
    result = cli("export", "flags", "--out", out)
    assert result.exit_code == 0, result.output
    assert "Wrote 4 call(s) under empathy@1" in result.output
    workbook = load_workbook(out)
    assert workbook.sheetnames == [
        "Flags",
        "Data dictionary",
        "About",
        "Comparison",
        "Comparison by segment",
    ]
    sheet = workbook["Flags"]
    assert [c.value for c in sheet[1]] == EXPECTED_COLUMNS
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:W5"
    rows = {
        r[0]: dict(zip(EXPECTED_COLUMNS, r, strict=True))
        for r in sheet.iter_rows(min_row=2, values_only=True)
    }
    assert set(rows) == {"E-1", "E-2", "E-3", "E-4"}
    # Independent: E-1 has two reviews -> medians; E-4 three reviews; E-2, E-3 one each.
    e1, e2, e3, e4 = rows["E-1"], rows["E-2"], rows["E-3"], rows["E-4"]
    assert (e1["score_acknowledgment"], e1["score_summary"], e1["score_loop_closure"]) == (4, 3, 4)
    assert e1["score_source"] == "median of reviews" and e1["review_count"] == 2
    assert (e4["score_acknowledgment"], e4["score_summary"], e4["score_next_steps"]) == (4, 3, 2)
    assert e3["score_next_steps"] is None and e3["flag_confirmed_next_steps"] is None
    assert e2["flag_empathy_absent"] is True and e2["flag_acknowledged"] is False
    assert e1["flag_acknowledged"] is True and e1["flag_closed_emotional_loop"] is True
    # Weights: all calls 2 escalation / 4 quick win; reviewed 2 / 2.
    assert e1["weight"] == pytest.approx((2 / 6) / (2 / 4))
    assert e3["weight"] == pytest.approx((4 / 6) / (2 / 4))
    assert e1["outcome_saved"] is True and e2["outcome_credit_amount"] == 25
    assert e3["outcome_credit_amount"] is None
    assert e1["started_at"].year == 2026 and isinstance(e1["agent_tenure_days"], int)
    # Formula injection: agent and team names from outside are text.
    assert e1["agent"] == '\'=HYPERLINK("x")' and e1["team"] == "'+Team"
    assert e2["team"] == "'-Team" and e3["agent"] == "'@Cara"
    dictionary = [r[0] for r in workbook["Data dictionary"].iter_rows(min_row=2, values_only=True)]
    assert set(EXPECTED_COLUMNS) <= set(dictionary)
    rules = {
        r[0]: r[2]
        for r in workbook["Data dictionary"].iter_rows(min_row=2, values_only=True)
        if r[1] == "rule"
    }
    assert rules["flag_empathy_absent"].startswith("acknowledgment <= 2")
    about = {r[0]: r[1] for r in workbook["About"].iter_rows(min_row=2, values_only=True)}
    assert about["rubric"] == "empathy@1" and about["rows"] == 4
    assert len(workbook["Comparison"]._charts) == 1


def _side(rows, flag, present):
    """Independent numbers for one side: n, rate, weighted rate, credit per save."""
    side = [r for r in rows if r[f"flag_{flag}"] is present]
    if not side:
        return None
    saved = [float(r["outcome_saved"]) for r in side]
    weights = [r["weight"] for r in side]
    credited = [r for r in side if r["outcome_credit_amount"] is not None]
    saves = sum(float(r["outcome_saved"]) for r in credited)
    return {
        "n": len(side),
        "rate": sum(saved) / len(side),
        "weighted": sum(w * y for w, y in zip(weights, saved, strict=True)) / sum(weights),
        "credit_per_save": sum(r["outcome_credit_amount"] for r in credited) / saves
        if saves
        else None,
    }


def _table(sheet, first_header: str) -> list[dict]:
    lines = list(sheet.iter_rows(values_only=True))
    at = next(i for i, line in enumerate(lines) if line[0] == first_header)
    return [dict(zip(lines[at], line, strict=True)) for line in lines[at + 1 :] if line[0]]


def _check(line, rows):
    for present, suffix in ((True, "with"), (False, "without")):
        expected = _side(rows, line["flag"], present)
        if expected is None:
            assert line[f"n {suffix}"] == 0 and line[suffix] is None
            continue
        assert line[f"n {suffix}"] == expected["n"]
        assert line[suffix] == pytest.approx(expected["rate"])
        assert line[f"weighted {suffix}"] == pytest.approx(expected["weighted"])
        assert line[f"credit per save {suffix}"] == pytest.approx(expected["credit_per_save"])


def test_comparison_sheets_match_a_computation_from_the_flag_rows(app, cli, tmp_path):
    """Every cell of both comparison sheets, recomputed from the exported Flags rows."""
    load(cli, tmp_path)
    out = tmp_path / "flags.xlsx"
    assert cli("export", "flags", "--out", out).exit_code == 0
    workbook = load_workbook(out)
    rows = [
        dict(zip(EXPECTED_COLUMNS, r, strict=True))
        for r in workbook["Flags"].iter_rows(min_row=2, values_only=True)
    ]
    sheet = workbook["Comparison"]
    table = _table(sheet, "save_script")
    scripts = {r["save_script"] or "(none)" for r in rows}
    assert {line["save_script"] for line in table} == scripts | {"(all)"}
    for line in table:
        script = line["save_script"]
        _check(line, [r for r in rows if script in ("(all)", r["save_script"] or "(none)")])
    explained = " ".join(str(r[0]) for r in sheet.iter_rows(max_row=8, values_only=True))
    assert "Credit per save" in explained and "weighted to the interaction mix" in explained
    assert explained.startswith("Association, not effect: calls with and without the flag")
    assert "Newcombe" in explained and "HC3" in explained
    header = next(r for r in sheet.iter_rows() if r[0].value == "save_script")
    columns = {c.value: c.column_letter for c in header}
    for name in ("with", "difference", "95% high", "weighted 95% low", "standardised with"):
        cells = [c for c in sheet[columns[name]] if type(c.value) in (int, float)][1:]
        assert cells and {c.number_format for c in cells} == {"0.0%"}, name
    # Print setup: landscape, one page wide, the header on every page, frozen below it.
    assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.fitToWidth == 1
    assert sheet.sheet_properties.pageSetUpPr.fitToPage is True
    assert sheet.print_title_rows == f"${header[0].row}:${header[0].row}"
    assert sheet.freeze_panes == f"C{header[0].row + 1}"
    chart = sheet._charts[0]
    assert chart.x_axis.delete is False and chart.y_axis.delete is False

    segment_sheet = workbook["Comparison by segment"]
    assert segment_sheet["A1"].value.startswith("Association, not effect")
    assert segment_sheet.print_title_rows == "$2:$2" and segment_sheet.freeze_panes == "E3"
    assert segment_sheet.page_setup.orientation == "landscape"
    segments = _table(segment_sheet, "cut")
    new_agents = [r for r in rows if r["agent_tenure_days"] < 90]
    tenure_lines = [s for s in segments if s["segment"] == "new (<90 days)"]
    assert tenure_lines and {s["cut"] for s in tenure_lines} == {"agent tenure"}
    for line in tenure_lines:
        script = line["save_script"]
        _check(line, [r for r in new_agents if script in ("(all)", r["save_script"] or "(none)")])
    assert {s["cut"] for s in segments} == {"agent tenure", "channel", "interaction type"}


def test_csv_export_has_the_same_columns_and_values(app, cli, tmp_path):
    load(cli, tmp_path)
    out = tmp_path / "flags.csv"
    assert cli("export", "flags", "--out", out).exit_code == 0
    frame = pd.read_csv(out, encoding="utf-8")
    assert list(frame.columns) == EXPECTED_COLUMNS
    by_id = frame.set_index("call_id")
    assert by_id.loc["E-1", "score_summary"] == 3 and by_id.loc["E-1", "agent"].startswith("'=")
    assert bool(by_id.loc["E-2", "flag_empathy_absent"]) is True
    assert by_id.loc["E-3", "weight"] == pytest.approx(4 / 3)


def test_a_finished_export_removes_what_a_killed_one_left_beside_it(app, cli, tmp_path):
    load(cli, tmp_path)
    out = tmp_path / "flags.csv"
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    killed = tmp_path / f".flags.csv.{gone}.partial"
    killed.write_text("call_id\n")
    two_minutes_ago = time.time() - 120
    os.utime(killed, (two_minutes_ago, two_minutes_ago))  # killed two minutes ago
    assert cli("export", "flags", "--out", out).exit_code == 0
    assert out.exists() and not killed.exists()


def test_filters_empty_results_and_unknown_values(app, cli, tmp_path):
    load(cli, tmp_path)
    out = tmp_path / "escalations.csv"
    cli("export", "flags", "--out", out, "--interaction-type", "escalation")
    assert list(pd.read_csv(out)["call_id"]) == ["E-1", "E-2"]
    empty = tmp_path / "empty.xlsx"
    result = cli("export", "flags", "--out", empty, "--since", "2027-01-01")
    assert result.exit_code == 0 and "Wrote 0 call(s)" in result.output
    sheet = load_workbook(empty)["Flags"]
    assert sheet.max_row == 1 and sheet["A1"].value == "call_id"
    result = cli("export", "flags", "--out", tmp_path / "x.xlsx", "--channel", "fax")
    assert result.exit_code == 1
    assert "no call has channel 'fax'; known values: chat, email, voice" in result.output
    assert not (tmp_path / "x.xlsx").exists()
    result = cli("export", "flags", "--out", tmp_path / "x.xlsx", "--since", "March")
    assert result.exit_code == 2 and "'March' is not a date (YYYY-MM-DD)" in result.output
    result = cli("export", "flags", "--out", out, "--since", "2026-03-05", "--until", "2026-03-01")
    assert result.exit_code == 1
    assert "since 2026-03-05 is after until 2026-03-01" in result.output
    # A failed export leaves the earlier file of that name as it was.
    assert list(pd.read_csv(out)["call_id"]) == ["E-1", "E-2"]
    assert [p.name for p in tmp_path.glob("*.partial")] == []


def test_mixed_rubric_versions_need_a_choice(app, cli, tmp_path):
    load(cli, tmp_path)
    v2 = tmp_path / "empathy-v2.toml"
    v2.write_text(
        (RUBRICS_DIR / "empathy-v1.toml")
        .read_text()
        .replace("version = 1", "version = 2")
        .replace('"acknowledgment >= 4"', '"acknowledgment >= 3"')
    )
    cli("rubric", "load", v2)
    (tmp_path / "r2.csv").write_text(
        "call_id,reviewer,dimension,score,rubric\n"
        + "".join(
            f"E-5,rita@example.com,{d},3,empathy@2\n"
            for d in ("acknowledgment", "summary", "next_steps", "loop_closure")
        )
    )
    assert cli("import", "reviews", tmp_path / "r2.csv").exit_code == 0
    result = cli("export", "flags", "--out", tmp_path / "mixed.xlsx")
    assert result.exit_code == 1
    assert "several rubric versions: empathy@1 (4 calls), empathy@2 (1 calls)" in result.output
    out = tmp_path / "v2.csv"
    assert cli("export", "flags", "--out", out, "--rubric", "empathy@2").exit_code == 0
    frame = pd.read_csv(out)
    assert list(frame["call_id"]) == ["E-5"] and bool(frame["flag_acknowledged"][0]) is True
    assert (
        "unknown rubric 'empathy@7'"
        in cli("export", "flags", "--out", out, "--rubric", "empathy@7").output
    )


def test_outcomes_compare_json(app, cli, tmp_path):
    load(cli, tmp_path)
    result = cli(
        "outcomes", "compare", "--outcome", "saved", "--flag", "acknowledged", "--format", "json"
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["outcome"] == "saved" and report["weighting"] == "mix"
    assert report["estimand"] == "association"
    assert report["association_note"].startswith("Association, not effect")
    groups = {(g["save_script"], g["flag"]): g for g in report["groups"]}
    everyone = groups[("(all)", "acknowledged")]
    # acknowledged: E-1 (saved), E-3 (saved), E-4 (not saved); not acknowledged: E-2 (not saved)
    assert everyone["with"]["n"] == 3 and everyone["with"]["value"] == pytest.approx(2 / 3)
    assert everyone["without"] == {
        "n": 1,
        "effective_n": 1.0,
        "value": 0.0,
        "weighted_value": 0.0,
        "standardized_value": 0.0,
        "credit_per_save": None,
        "weighted_credit_per_save": None,
    }
    # Every group has its four differences, each with its own interval inside [-1, 1].
    for group in report["groups"]:
        for key in ("weighted_ci", "standardized_difference", "standardized_ci"):
            assert key in group
        for key in ("ci", "weighted_ci", "standardized_ci", "adjusted_ci"):
            if group[key] is not None:
                assert -1 <= group[key][0] <= group[key][1] <= 1
    # Only escalation calls are unacknowledged: quick wins, all acknowledged, are left out.
    assert any("quick_win" in w and "leaves out" in w for w in everyone["warnings"])
    weights = {"E-1": 2 / 3, "E-3": 4 / 3, "E-4": 4 / 3}
    expected = (weights["E-1"] + weights["E-3"]) / sum(weights.values())
    assert everyone["with"]["weighted_value"] == pytest.approx(expected)
    assert everyone["too_small"] is True
    empathy_first = groups[("empathy-first", "acknowledged")]
    assert empathy_first["without"]["value"] is None and empathy_first["difference"] is None
    assert {c["cut"] for c in report["equity"]} == {"agent_tenure", "channel", "interaction_type"}
    unknown = cli("outcomes", "compare", "--outcome", "churn")
    assert unknown.exit_code == 1 and "unknown outcome 'churn'" in unknown.output
    bad_flag = cli("outcomes", "compare", "--outcome", "saved", "--flag", "kind")
    assert bad_flag.exit_code == 1 and "unknown flag(s) kind" in bad_flag.output
    for by in ("team", "queue", "channel", "interaction_type"):
        grouped = cli("outcomes", "compare", "--outcome", "saved", "--by", by, "--format", "json")
        assert grouped.exit_code == 0, grouped.output
        assert json.loads(grouped.stdout)["by"] == by
    teams = json.loads(
        cli("outcomes", "compare", "--outcome", "saved", "--by", "team", "--format", "json").stdout
    )
    # Harbour: E-3 (saved) and E-4 (not saved), both acknowledged.
    harbour = next(
        g for g in teams["groups"] if g["team"] == "Harbour" and g["flag"] == "acknowledged"
    )
    assert harbour["with"]["n"] == 2 and harbour["with"]["value"] == 0.5
    table = cli("outcomes", "compare", "--outcome", "saved").stdout
    assert "saved (rate) by save_script and flag" in table and "too small" in table
    assert "Association, not effect" in table
    for name in ("crude (95%)", "weighted (95%)", "standardised (95%)"):
        assert name in table
    # Credit per save (E-1: 0 credit, saved) and the equity cuts follow the main table.
    assert "cr/save" in table and "agent tenure: new (<90 days)" in table
    assert "channel: chat/email/other" in table and "interaction type: escalation" in table


def test_rows_stream_in_partitions_with_the_same_result(app, engine, cli, tmp_path):
    """Small partitions (a server-side cursor on PostgreSQL) interleaved with the per-batch
    queries for answers and outcomes give the same rows as one big batch."""
    load(cli, tmp_path)
    filters = CallFilters()
    with Session(engine) as session:
        plan = plan_export(session, filters, None, "empathy")
        whole = list(iter_flag_rows(session, filters, plan))
        streamed = list(iter_flag_rows(session, filters, plan, batch_size=1))
    assert [r["call_id"] for r in whole] == ["E-1", "E-2", "E-3", "E-4"]
    assert streamed == whole


def test_drafts_and_other_rubric_versions_do_not_change_final_scores(app, engine, cli, tmp_path):
    load(cli, tmp_path)
    v2 = tmp_path / "empathy-v2.toml"
    v2.write_text(
        (RUBRICS_DIR / "empathy-v1.toml").read_text().replace("version = 1", "version = 2")
    )
    cli("rubric", "load", v2)
    (tmp_path / "r2.csv").write_text(
        "call_id,reviewer,dimension,score,rubric\n"
        + "".join(
            f"E-2,rob@example.com,{d},5,empathy@2\n"
            for d in ("acknowledgment", "summary", "next_steps", "loop_closure")
        )
    )
    assert cli("import", "reviews", tmp_path / "r2.csv").exit_code == 0
    with Session(engine) as session:
        call = session.exec(select(Call).where(Call.call_id == "E-2")).one()
        lee = session.exec(select(User).where(User.email == "lee@example.com")).one()
        rubric_row = session.exec(select(RubricVersion).where(RubricVersion.version == 1)).one()
        save_draft_answer(
            session, None, call.id, lee, rubric_row, "acknowledgment", DimensionAnswer(5), 0
        )
        session.commit()
    out = tmp_path / "v1.csv"
    assert cli("export", "flags", "--out", out, "--rubric", "empathy@1").exit_code == 0
    e2 = pd.read_csv(out).set_index("call_id").loc["E-2"]
    # Only rita's submitted empathy@1 review: not lee's draft, not rob's empathy@2 review.
    assert (e2["score_acknowledgment"], e2["review_count"]) == (2, 1)
