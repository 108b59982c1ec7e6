"""Sampling plans on a real database: store, preview, draw, assign, and weight every figure back.

Checked against direct counts and a direct computation of the Hájek estimate from the rows
the test itself wrote.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select

from qa_app.models import (
    Assignment,
    AuditEvent,
    Call,
    Review,
    ReviewStatus,
    SampledCall,
    SamplingPlan,
    User,
)
from tests.conftest import RUBRICS_DIR
from tests.store.helpers import snapshot
from tests.store.test_imports import HEADER, write_calls

TRANSCRIPT = "Agent: Hello.\nCustomer: Hi."
# interaction type: calls in December (the plan's period); 3 more of each start in November.
DECEMBER = {"escalation": 12, "quick_win": 40, "billing_correction": 8}
PLAN = """\
name = "dec-hard"
since = 2026-12-01
until = 2026-12-31
seed = 11
strata = ["interaction_type"]
reviewers = ["rita@example.com", "rob@example.com"]

[sizes]
escalation = 6
quick_win = 4
billing_correction = 2
"""
REVIEWERS = ("rita@example.com", "rob@example.com")


def _calls() -> list[list[str]]:
    rows = []
    for kind, count in DECEMBER.items():
        for i in range(count):
            started = f"2026-12-{1 + i % 28:02d}T10:00:00Z"
            rows.append([f"{kind}-{i:02d}", f"Agent {i % 5}", TRANSCRIPT, "T", "q", "voice",
                         kind, started])  # fmt: skip
        for i in range(3):
            rows.append([f"{kind}-nov-{i}", "Agent 0", TRANSCRIPT, "T", "q", "voice", kind,
                         "2026-11-15T10:00:00Z"])  # fmt: skip
    return rows


@pytest.fixture
def loaded(app, cli, tmp_path):
    cli("rubric", "load", RUBRICS_DIR / "empathy-v1.toml")
    header = HEADER[:8]
    assert cli("import", "calls", write_calls(tmp_path / "c.csv", _calls(), header)).exit_code == 0
    for email in REVIEWERS:
        result = cli("users", "add", "--email", email, "--name", email[:3], "--role", "reviewer",
                     "--password-stdin", input="a-long-enough-password\n")  # fmt: skip
        assert result.exit_code == 0
    (tmp_path / "plan.toml").write_text(PLAN)
    return tmp_path


def _json(result) -> dict:
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_preview_counts_the_population_and_draws_n_over_N(loaded, cli):
    assert cli("sample", "plan", "create", loaded / "plan.toml").exit_code == 0
    preview = _json(cli("sample", "preview", "dec-hard", "--format", "json"))
    rows = {r["stratum"]["interaction_type"]: r for r in preview["strata"]}
    assert preview["population"] == sum(DECEMBER.values())  # November's calls are not in it
    assert {k: r["population"] for k, r in rows.items()} == DECEMBER
    assert rows["escalation"]["probability"] == pytest.approx(6 / 12, abs=1e-6)
    assert rows["quick_win"]["probability"] == pytest.approx(4 / 40, abs=1e-6)
    assert rows["quick_win"]["population_share"] == pytest.approx(40 / 60, abs=1e-4)
    assert rows["escalation"]["sample_share"] == pytest.approx(6 / 12, abs=1e-4)
    assert preview["planned"] == 12 and preview["design_effect"] > 1


def test_a_dry_run_draws_what_the_real_draw_then_stores_and_assigns(loaded, cli, engine):
    cli("sample", "plan", "create", loaded / "plan.toml")
    before = snapshot(engine)
    dry = _json(cli("sample", "draw", "dec-hard", "--dry-run", "--format", "json"))
    assert snapshot(engine) == before
    with Session(engine) as db:
        assert db.exec(select(SampledCall)).all() == []
        assert db.exec(select(SamplingPlan.drawn_at)).one() is None
    real = _json(cli("sample", "draw", "dec-hard", "--format", "json"))
    assert real["calls"] == dry["calls"] and real["drawn"] == 12 and real["seed"] == 11
    assert {s["stratum"]["interaction_type"]: (s["population"], s["drawn"], s["probability"])
            for s in real["strata"]} == {
        "escalation": (12, 6, 0.5), "quick_win": (40, 4, 0.1), "billing_correction": (8, 2, 0.25)
    }  # fmt: skip
    with Session(engine) as db:
        stored = db.exec(
            select(Call.call_id, Call.interaction_type, SampledCall.probability).join(
                SampledCall, SampledCall.call_pk == Call.id
            )
        ).all()
        assert sorted(c for c, _k, _p in stored) == sorted(real["calls"])
        for _call_id, kind, probability in stored:
            assert probability == pytest.approx(real_probability(real, kind))
        per_reviewer = {}
        for reviewer in db.exec(
            select(User.email).join(Assignment, Assignment.reviewer_id == User.id)
        ):
            per_reviewer[reviewer] = per_reviewer.get(reviewer, 0) + 1
        assert per_reviewer == {"rita@example.com": 6, "rob@example.com": 6}
        actions = [e.action for e in db.exec(select(AuditEvent).order_by(AuditEvent.id))]
        assert "plan.saved" in actions and "plan.drawn" in actions
    again = cli("sample", "draw", "dec-hard")
    assert again.exit_code != 0 and "already drawn" in again.output


def real_probability(report: dict, kind: str) -> float:
    return next(
        s["probability"] for s in report["strata"] if s["stratum"]["interaction_type"] == kind
    )


def test_an_overlapping_plan_never_draws_a_call_twice(loaded, cli, engine):
    cli("sample", "plan", "create", loaded / "plan.toml")
    first = _json(cli("sample", "draw", "dec-hard", "--format", "json"))
    second_plan = PLAN.replace('name = "dec-hard"', 'name = "dec-second"').replace(
        "since = 2026-12-01", "since = 2026-11-01"
    )
    (loaded / "second.toml").write_text(second_plan)
    assert cli("sample", "plan", "create", loaded / "second.toml").exit_code == 0
    preview = _json(cli("sample", "preview", "dec-second", "--format", "json"))
    # November's 3 per type join the population; the first plan's 12 calls leave it.
    assert preview["population"] == sum(DECEMBER.values()) + 9 - 12
    second = _json(cli("sample", "draw", "dec-second", "--format", "json"))
    assert not set(first["calls"]) & set(second["calls"])


def test_a_bad_plan_is_refused_with_its_line_and_changes_nothing(loaded, cli, engine):
    (loaded / "bad.toml").write_text(PLAN.replace("seed = 11", "seed = 'eleven'"))
    before = snapshot(engine)
    result = cli("sample", "plan", "create", loaded / "bad.toml")
    assert result.exit_code != 0
    assert "bad.toml:4: 'seed' must be a whole number" in result.output
    (loaded / "stranger.toml").write_text(PLAN.replace("rob@example.com", "nobody@example.com"))
    result = cli("sample", "plan", "create", loaded / "stranger.toml")
    assert result.exit_code != 0 and "'nobody@example.com' has no account" in result.output
    assert snapshot(engine) == before
    with Session(engine) as db:
        assert db.exec(select(SamplingPlan)).all() == []


def _review_drawn(cli, folder, calls: list[str], acknowledged: set[str]) -> None:
    """Submit a review for each call: acknowledgment 5 for calls in ``acknowledged``, else 1."""
    lines = ["call_id,reviewer,dimension,score"]
    for call_id in calls:
        for dimension in ("acknowledgment", "summary", "next_steps", "loop_closure"):
            score = 5 if (dimension != "acknowledgment" or call_id in acknowledged) else 1
            lines.append(f"{call_id},rita@example.com,{dimension},{score}")
    (folder / "r.csv").write_text("\n".join(lines) + "\n")
    assert cli("import", "reviews", folder / "r.csv").exit_code == 0


def test_weighted_figures_use_the_design_weight_of_each_drawn_call(loaded, cli, tmp_path):
    cli("sample", "plan", "create", loaded / "plan.toml")
    drawn = _json(cli("sample", "draw", "dec-hard", "--format", "json"))["calls"]
    # Every escalation and billing correction acknowledged, no quick win: the flag's rate in
    # the population the plan stands for is (12 + 8) / 60, whatever the draw oversampled.
    acknowledged = {c for c in drawn if not c.startswith("quick_win")}
    _review_drawn(cli, loaded, drawn, acknowledged)
    out = tmp_path / "flags.csv"
    assert cli("export", "flags", "--format", "csv", "--out", out).exit_code == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    weights = {r["call_id"]: float(r["weight"]) for r in rows}
    n_over = {"escalation": 12 / 6, "quick_win": 40 / 4, "billing_correction": 8 / 2}
    for row in rows:
        assert weights[row["call_id"]] == pytest.approx(n_over[row["interaction_type"]])
    summary = _json(cli("flags", "summary", "--format", "json"))
    figure = summary["groups"][0]["flags"]["acknowledged"]
    assert summary["weighting"] == "plan"
    direct = sum(w for c, w in weights.items() if c in acknowledged) / sum(weights.values())
    assert figure["weighted_rate"] == pytest.approx(direct, abs=1e-4)
    assert figure["weighted_rate"] == pytest.approx(20 / 60, abs=1e-4)
    assert figure["rate"] == pytest.approx(8 / 12, abs=1e-4)  # the oversampled view
    assert figure["ci"][0] <= figure["weighted_rate"] <= figure["ci"][1]
    kish = sum(weights.values()) ** 2 / sum(w * w for w in weights.values())
    assert figure["effective_n"] == pytest.approx(kish, abs=0.05)
    # Team score averages are weighted the same way: acknowledgment 5 or 1 as above.
    score = summary["groups"][0]["scores"]["acknowledgment"]
    assert score["weighted_mean"] == pytest.approx(1 + 4 * direct, abs=1e-4)
    assert score["mean"] == pytest.approx(1 + 4 * 8 / 12, abs=1e-4)
    assert score["ci"][0] <= score["weighted_mean"] <= score["ci"][1]
    by_type = _json(cli("flags", "summary", "--by", "interaction_type", "--format", "json"))
    rates = {g["group"]: g["flags"]["acknowledged"]["weighted_rate"] for g in by_type["groups"]}
    assert rates == {"billing_correction": 1.0, "escalation": 1.0, "quick_win": 0.0}


def test_without_plans_figures_are_weighted_to_the_mix_and_say_so(loaded, cli, tmp_path):
    calls = ["escalation-00", "escalation-01", "quick_win-00", "billing_correction-00"]
    _review_drawn(cli, loaded, calls, {"escalation-00", "escalation-01"})
    summary = _json(cli("flags", "summary", "--format", "json"))
    assert summary["weighting"] == "mix" and "interaction mix" in summary["weighting_note"]
    figure = summary["groups"][0]["flags"]["acknowledged"]
    # Mix weights: escalation 15/69 of all calls over 2/4 of reviewed ones, and so on.
    shares = {"escalation": 15 / 69 / (2 / 4), "quick_win": 43 / 69 / (1 / 4),
              "billing_correction": 11 / 69 / (1 / 4)}  # fmt: skip
    expected = (
        2
        * shares["escalation"]
        / (2 * shares["escalation"] + shares["quick_win"] + shares["billing_correction"])
    )
    assert figure["weighted_rate"] == pytest.approx(expected, abs=1e-4)
    assert figure["rate"] == 0.5 and figure["too_small"] is True


def test_the_demo_reviews_october_through_a_drawn_plan(app, cli, engine):
    assert cli("demo", "--no-machine").exit_code == 0
    with Session(engine) as db:
        plan = db.exec(select(SamplingPlan)).one()
        drawn = db.exec(select(SampledCall.call_pk).where(SampledCall.plan_id == plan.id)).all()
        reviewed = set(
            db.exec(select(Review.call_pk).where(Review.status == ReviewStatus.SUBMITTED)).all()
        )
    assert plan.drawn_at is not None and len(drawn) == 40 and set(drawn) <= reviewed
    summary = _json(cli("flags", "summary", "--since", "2026-10-01", "--until", "2026-10-31",
                        "--format", "json"))  # fmt: skip
    assert summary["weighting"] == "plan"
    assert cli("demo", "--no-machine").output.startswith(
        "Demo data already loaded; nothing changed."
    )


def test_dates_off_the_calendar_are_refused_with_their_place_named(loaded, cli):
    far = loaded / "far.toml"
    far.write_text(PLAN.replace("until = 2026-12-31", "until = 9999-12-31"))
    assert "until = 9999-12-31" in far.read_text()
    refused = cli("sample", "plan", "create", far)
    assert refused.exit_code == 1
    assert "far.toml:3: 'until' must be a date" in refused.output
    assert "in the years 1900 to 2199" in refused.output and "Traceback" not in refused.output
    for command in (("flags", "summary"), ("export", "flags", "--out", str(loaded / "f.xlsx"))):
        result = cli(*command, "--until", "9999-12-31")
        assert result.exit_code == 2, result.output
        assert "'--until': 9999-12-31 is outside the years 1900 to 2199" in result.output


MACHINE_PLAN = PLAN.replace('strata = ["interaction_type"]',
                            'strata = ["interaction_type", "machine:empathy_absent"]')
MACHINE_PLAN = MACHINE_PLAN[: MACHINE_PLAN.index("[sizes]")] + """
total = 20
[oversample]
escalation = 1.0
[machine_oversample]
flagged = 4.0
"""


def _machine_scores(engine, acknowledgment_of) -> None:
    """A machine model of empathy@1 that scored December's calls, as stored rows: the
    stratum reads only the scores, so no model is trained here."""
    from qa_app.models import MachineModel, MachineScore, RubricVersion

    with Session(engine) as db:
        rubric = db.exec(select(RubricVersion)).one()
        model = MachineModel(rubric_pk=rubric.id, version=1, kind="external",
                             training_calls=0, training_hash="-", content=b"")  # fmt: skip
        db.add(model)
        db.flush()
        december = datetime(2026, 12, 1, tzinfo=UTC)
        for call in db.exec(select(Call).where(Call.started_at >= december)):
            score = acknowledgment_of(call.call_id)
            if score is not None:
                db.add(MachineScore(model_pk=model.id, call_pk=call.id, confidence=0.9,
                                    dimension="acknowledgment", score=score))  # fmt: skip
        db.commit()


def test_a_plan_stratified_on_the_machine_prediction_draws_and_weights_by_band(
    loaded, cli, engine
):
    (loaded / "machine.toml").write_text(MACHINE_PLAN)
    assert cli("sample", "plan", "create", loaded / "machine.toml").exit_code == 0
    before = snapshot(engine)
    refused = cli("sample", "preview", "dec-hard")
    assert refused.exit_code != 0 and "needs a machine model" in refused.output
    assert snapshot(engine) == before

    # The machine flags escalations 0-5 (acknowledgment 1) and passes the rest of the
    # escalations and every quick win (4); billing corrections it has not scored.
    _machine_scores(engine, lambda call_id: None if call_id.startswith("billing") else
                    1 if call_id in {f"escalation-{i:02d}" for i in range(6)} else 4)  # fmt: skip
    preview = _json(cli("sample", "preview", "dec-hard", "--format", "json"))
    assert preview["machine_model"] == "empathy@1 machine model v1 (external)"
    rows = {tuple(r["stratum"].values()): r for r in preview["strata"]}
    assert {k: r["population"] for k, r in rows.items()} == {
        ("escalation", "flagged"): 6, ("escalation", "not flagged"): 6,
        ("quick_win", "not flagged"): 40, ("billing_correction", "(none)"): 8,
    }  # fmt: skip
    # 20 calls over 6×4 + 6 + 40 + 8 = 78 weighted calls: the flagged band gets 4× its share.
    flagged, passed = rows[("escalation", "flagged")], rows[("escalation", "not flagged")]
    assert flagged["planned"] == 6 and passed["planned"] == 2
    drawn = _json(cli("sample", "draw", "dec-hard", "--format", "json"))
    assert drawn["machine_model"] == preview["machine_model"] and drawn["drawn"] == 20
    with Session(engine) as db:
        stored = dict(db.exec(select(SampledCall.stratum, SampledCall.probability)).all())
        assert stored["escalation / flagged"] == pytest.approx(6 / 6)
        assert stored["escalation / not flagged"] == pytest.approx(2 / 6)
        event = db.exec(select(AuditEvent).where(AuditEvent.action == "plan.drawn")).one()
        assert event.after["machine_model"] == preview["machine_model"]


def test_a_machine_stratum_naming_nothing_the_rubric_has_is_refused(loaded, cli, engine):
    (loaded / "machine.toml").write_text(MACHINE_PLAN.replace("empathy_absent", "rudeness"))
    cli("sample", "plan", "create", loaded / "machine.toml")
    _machine_scores(engine, lambda call_id: 3)
    refused = cli("sample", "draw", "dec-hard")
    assert refused.exit_code != 0
    assert "'machine:rudeness' names no flag or dimension of empathy@1" in refused.output
    assert "empathy_absent" in refused.output
    with Session(engine) as db:
        assert db.exec(select(SampledCall)).all() == []
