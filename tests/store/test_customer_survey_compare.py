"""`qa-app survey compare` on a real database: the cross-table and Spearman against an
independent computation (pandas' own rank correlation and a plain count) on the same calls."""

from __future__ import annotations

import csv
import json
import random

import pandas as pd

DIMENSIONS = ("acknowledgment", "summary", "next_steps", "loop_closure")


def _world(cli, tmp_path, n: int = 40, seed: int = 3):
    rng = random.Random(seed)
    calls = ["call_id,agent,transcript,interaction_type,channel,started_at"]
    reviews = ["call_id,reviewer,dimension,score,submitted_at"]
    answers = ["call_id,item,score,position"]
    expected = {}
    for k in range(n):
        call_id = f"Q-{k:03d}"
        calls.append(f"{call_id},ana,Agent: hi,billing,voice,2026-03-{1 + k % 20:02d}T10:00:00Z")
        qa = rng.randint(1, 5)
        for dim in DIMENSIONS:
            reviews.append(f"{call_id},rev@example.com,{dim},{qa if dim == 'loop_closure' else 3},"
                           "2026-03-25T10:00:00Z")  # fmt: skip
        if k % 8 == 7:
            continue  # reviewed, no answer: not in the comparison
        customer = min(5, max(1, qa + rng.choice((-2, -1, 0, 0, 1))))
        if k == 0:
            qa_customer = (5, 1)  # a planted disagreement
            reviews[-1] = reviews[-1].replace(f",loop_closure,{qa},", ",loop_closure,5,")
            qa, customer = qa_customer
        answers.append(f"{call_id},felt_understood,{customer},{1 + k % 3}")
        expected[call_id] = (qa, customer)
    calls.append("Q-999,ana,Agent: hi,billing,voice,2026-03-02T10:00:00Z")  # answer, no review
    answers.append("Q-999,felt_understood,5,1")
    for name, lines in (("calls", calls), ("reviews", reviews), ("survey", answers)):
        (tmp_path / f"{name}.csv").write_text("\n".join(lines) + "\n")
    assert cli("rubric", "load").exit_code == 0
    assert cli("import", "calls", tmp_path / "calls.csv").exit_code == 0
    result = cli("import", "reviews", tmp_path / "reviews.csv", "--create-reviewers")
    assert result.exit_code == 0, result.output
    assert cli("import", "survey", tmp_path / "survey.csv").exit_code == 0
    return expected


def test_compare_matches_an_independent_computation(app, cli, tmp_path):
    expected = _world(cli, tmp_path)
    result = cli("survey", "compare", "--item", "felt_understood", "--dimension", "loop_closure",
                 "--format", "json")  # fmt: skip
    assert result.exit_code == 0, result.output
    got = json.loads(result.output)
    assert (got["item"], got["dimension"], got["n"]) == (
        "felt_understood", "loop_closure", len(expected),
    )  # fmt: skip
    frame = pd.DataFrame(expected.values(), columns=["qa", "customer"])
    # pandas ranks and correlates on its own (no scipy): the same rho.
    assert abs(got["spearman"] - frame["qa"].corr(frame["customer"], method="spearman")) < 1e-12
    lo, hi = got["ci"]
    assert lo < got["spearman"] < hi and -1 <= lo and hi <= 1
    counted: dict[str, dict[str, int]] = {}
    for qa, customer in expected.values():
        cell = counted.setdefault(str(qa), {})
        cell[str(customer)] = cell.get(str(customer), 0) + 1
    assert got["crosstab"] == counted
    wrong_way = [c for c, (qa, cu) in expected.items() if (qa >= 4 and cu <= 2)]
    other_way = [c for c, (qa, cu) in expected.items() if (qa <= 2 and cu >= 4)]
    assert sorted(got["disagreements"]) == sorted(wrong_way + other_way)
    assert got["disagreements"][0] == "Q-000"  # QA 5, customer 1: the largest gap first
    assert "Q-999" not in got["disagreements"]  # no QA score: not compared
    assert "association" in got["note"].lower()

    table = cli("survey", "compare", "--item", "felt_understood", "--dimension", "loop_closure")
    assert f"n = {len(expected)}" in table.output
    assert "Spearman's rank correlation" in table.output and "95% interval" in table.output
    assert "QA high, customer low: Q-000" in table.output
    assert "not evidence that one causes the other" in table.output


def test_compare_names_what_is_wrong(app, cli, tmp_path):
    _world(cli, tmp_path, n=8)
    bad_item = cli("survey", "compare", "--item", "felt_heard")
    assert bad_item.exit_code == 1 and "no item 'felt_heard' in customer-empathy@1" in (
        bad_item.output
    )
    bad_dim = cli("survey", "compare", "--item", "felt_understood", "--dimension", "warmth")
    assert bad_dim.exit_code == 1 and "'warmth' is not a dimension of rubric 'empathy'" in (
        bad_dim.output
    )
    few = json.loads(
        cli(
            "survey",
            "compare",
            "--item",
            "felt_understood",
            "--since",
            "2026-03-01",
            "--until",
            "2026-03-05",
            "--format",
            "json",
        ).output  # fmt: skip
    )
    assert few["ci"] is None and any("too few" in w or "no rank" in w for w in few["warnings"])


def test_the_flag_spreadsheet_gains_a_column_per_survey_item(app, cli, tmp_path):
    expected = _world(cli, tmp_path, n=16)
    out = tmp_path / "flags.csv"
    result = cli("export", "flags", "--out", out, "--format", "csv")
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    columns = list(rows[0])
    # After every existing column, one per item answered so far (only felt_understood here).
    assert columns[-1] == "survey_felt_understood"
    assert columns.index("survey_felt_understood") > columns.index("weight")
    by_call = {r["call_id"]: r["survey_felt_understood"] for r in rows}
    assert {c: int(v) for c, v in by_call.items() if v} == {
        c: customer for c, (_qa, customer) in expected.items()
    }
    assert by_call["Q-007"] == ""  # reviewed, never answered: blank
