"""`qa-app import ratings` and `qa-app session report` on a real database."""

from __future__ import annotations

import json

import pytest
from openpyxl import load_workbook
from sqlmodel import Session, select

from qa_app.models import CalibrationSession, User
from tests.conftest import RUBRICS_DIR
from tests.store.helpers import snapshot
from tests.store.test_imports import good_row, write_calls

DIMENSIONS = ("acknowledgment", "summary", "next_steps", "loop_closure")


def rows(call_id, rater, role, scores, comment=""):
    return "".join(
        f"{call_id},{rater},{role},{d},{s},{comment if i == 0 else ''}\n"
        for i, (d, s) in enumerate(zip(DIMENSIONS, scores, strict=True))
    )


def setup(cli, tmp_path):
    cli("rubric", "load", RUBRICS_DIR / "empathy-v1.toml")
    cli("import", "calls", write_calls(tmp_path / "c.csv", [good_row("C-1"), good_row("C-2")]))
    cli(
        "users",
        "add",
        "--email",
        "lee@example.com",
        "--name",
        "Lee",
        "--role",
        "lead",
        "--password-stdin",
        input="a-long-enough-password\n",
    )
    cli(
        "users",
        "add",
        "--email",
        "rita@example.com",
        "--name",
        "Rita",
        "--role",
        "reviewer",
        "--password-stdin",
        input="a-long-enough-password\n",
    )


HEADER = "call_id,rater,role,dimension,score,comment\n"


def test_paper_panel_ratings_create_a_revealed_session_and_a_report(app, engine, cli, tmp_path):
    setup(cli, tmp_path)
    path = tmp_path / "ratings.csv"
    path.write_text(
        HEADER
        + rows("C-1", "rita@example.com", "qa", ("4", "3", "4", "N/A"))
        + rows("C-1", "Panel 7", "panel", ("2", "3", "4", "5"), "=felt rushed")
        + rows("C-2", "rita@example.com", "qa", ("2", "2", "", "2"))
        + rows("C-2", "Panel 7", "panel", ("1", "2", "3", "2"))
        + rows("C-1", "old@example.com", "qa", ("4", "4", "4", "4"))
    )
    unknown = cli("import", "ratings", path, "--session", "Paper panel", "--by", "lee@example.com")
    # old@example.com has no account: the rows that name them are named (header is row 1).
    assert unknown.exit_code == 1
    assert "row(s) 18, 19, 20, 21: no user 'old@example.com'" in unknown.output
    result = cli(
        "import",
        "ratings",
        path,
        "--session",
        "Paper panel",
        "--by",
        "lee@example.com",
        "--create-reviewers",
    )
    assert result.exit_code == 0, result.output
    assert (
        "Imported 20 rows (20 ratings by 3 raters on 2 calls) into 'Paper panel' (revealed)."
        in result.output
    )
    with Session(engine) as session:
        stored = session.exec(select(CalibrationSession)).one()
        ghost = session.exec(select(User).where(User.email == "old@example.com")).one()
    assert stored.state == "revealed" and not ghost.active

    out = tmp_path / "report.xlsx"
    result = cli("session", "report", "Paper panel", "--out", out)
    assert result.exit_code == 0, result.output
    workbook = load_workbook(out)
    assert workbook.sheetnames == ["Summary", "Ratings", "Per call", "Per rater", "About"]
    # The command's help names every sheet the report really has.
    report_help = " ".join(cli("session", "report", "--help").output.split())
    assert [name for name in workbook.sheetnames if name not in report_help] == []
    ratings = list(workbook["Ratings"].iter_rows(values_only=True))
    assert ratings[0] == (
        "session",
        "call_id",
        "participant",
        "role",
        "dimension",
        "score",
        "item_position",
        "comment",
        "submitted_at",
        "rubric",
    )
    assert len(ratings) == 21
    assert any(r[7] == "'=felt rushed" for r in ratings[1:])  # never a formula
    summary = {
        (r[0], r[1]): r
        for r in workbook["Summary"].iter_rows(min_row=2, values_only=True)
        if r and r[0] in ("everyone", "qa", "panel")
    }
    # The report's alpha is the agreement engine's on the same ratings.
    csv_path = tmp_path / "long.csv"
    csv_path.write_text(
        "\n".join(",".join("" if v is None else str(v) for v in r[:6]) for r in ratings) + "\n"
    )
    engine_report = json.loads(cli("agreement", csv_path, "--format", "json").stdout)
    # The CLI rounds its JSON to 12 digits (float noise); the report keeps the full value.
    assert summary[("everyone", "overall")][2] == pytest.approx(
        engine_report["overall"]["alpha"], abs=1e-12
    )


def test_bad_rating_rows_are_named_and_change_nothing(app, engine, cli, tmp_path):
    setup(cli, tmp_path)
    before = snapshot(engine)
    path = tmp_path / "bad.csv"
    path.write_text(
        HEADER
        + rows("C-1", "rita@example.com", "qa", ("9", "3", "4", "4"))
        + rows("C-2", "Panel 7", "jury", ("2", "3", "4", "5"))
        + "C-1,Panel 8,panel,summary,3,\n"
    )
    result = cli("import", "ratings", path, "--session", "Bad", "--by", "lee@example.com")
    assert result.exit_code == 1
    assert "row 2: Acknowledgment: '9' is not a point on the scale 1–5" in result.stderr
    assert "row 6: role 'jury' must be qa or panel" in result.stderr
    # Panel 8 skipped three items (no rows): that is missing data, not a bad row.
    assert "row 10" not in result.stderr
    assert snapshot(engine) == before
    # A lead's account is a QA rater; a coach's is not, and a panelist's name has a length.
    cli(
        "users",
        "add",
        "--email",
        "cora@example.com",
        "--name",
        "Cora",
        "--role",
        "coach",
        "--password-stdin",
        input="a-long-enough-password\n",
    )
    before = snapshot(engine)
    coach = tmp_path / "coach.csv"
    coach.write_text(HEADER + rows("C-1", "cora@example.com", "qa", ("2", "3", "4", "4")))
    refused = cli("import", "ratings", coach, "--session", "Bad", "--by", "lee@example.com")
    assert refused.exit_code == 1
    assert "row(s) 2, 3, 4, 5: cora@example.com is a coach" in refused.output
    long_name = tmp_path / "long.csv"
    long_name.write_text(HEADER + rows("C-1", "P" * 201, "panel", ("2", "3", "4", "4")))
    refused = cli("import", "ratings", long_name, "--session", "Bad", "--by", "lee@example.com")
    assert refused.exit_code == 1 and "at most 200 characters" in refused.output
    assert snapshot(engine) == before
    hidden = cli("session", "report", "Nope", "--out", tmp_path / "x.xlsx")
    assert hidden.exit_code == 1 and "no calibration session named 'Nope'" in hidden.output


def test_a_rater_who_skipped_items_leaves_them_missing_and_the_summary_says_so(
    app, engine, cli, tmp_path
):
    """Paper forms come back with blanks: the skipped items are missing ratings, alpha is
    computed without them, and the summary says how many were skipped and by whom."""
    from qa_app.models import CalibrationRating

    setup(cli, tmp_path)
    path = tmp_path / "paper.csv"
    path.write_text(
        HEADER
        + rows("C-1", "rita@example.com", "qa", ("4.0", "3", "4", "4"))  # a spreadsheet's 4.0
        + rows("C-2", "rita@example.com", "qa", ("2", "2", "3", "2"))
        + rows("C-1", "Panel 7", "panel", ("2", "3", "4", "5"))
        + "C-2,Panel 7,panel,summary,2,\nC-2,Panel 7,panel,next_steps,3,\n"
    )
    result = cli("import", "ratings", path, "--session", "Paper", "--by", "lee@example.com")
    assert result.exit_code == 0, result.output
    assert "Imported 14 rows (14 ratings by 2 raters on 2 calls)" in result.output
    assert (
        "2 items skipped (no row, left missing): Panel 7 2 "
        "(Acknowledgment, Emotional loop closure on C-2)." in result.output
    )
    with Session(engine) as session:
        stored = session.exec(select(CalibrationRating)).all()
    assert len(stored) == 14
    assert {(r.dimension, r.score) for r in stored if r.score == 4} >= {("acknowledgment", 4)}
    out = tmp_path / "report.xlsx"
    assert cli("session", "report", "Paper", "--out", out).exit_code == 0
    summary = [r for r in load_workbook(out)["Summary"].iter_rows(values_only=True) if r and r[0]]
    overall = next(r for r in summary if r[0] == "everyone" and r[1] == "overall")
    assert overall[2] is not None  # alpha on the ratings that are there
