"""`qa-app machine train|score|evaluate`: a model trained on the team's own reviews, measured
like a rater, its scores kept apart from every human figure.

Two made-up teams: in one the agent's words carry the score people gave (a planted
signal, which the machine must find: alpha at least 0.6 against people on calls it never
saw); in the other the words are noise (alpha near 0).
"""

from __future__ import annotations

import json

import numpy as np
from sqlmodel import Session, func, select

from qa_app.cli import machine as machine_cli
from qa_app.domain.machine import training
from qa_app.models import FinalValue, MachineModel, MachineScore, Review, ReviewScore
from tests.conftest import RUBRICS_DIR
from tests.store.test_imports import write_calls

DIMENSIONS = ("acknowledgment", "summary", "next_steps", "loop_closure")
# What an agent says at each score point (the planted signal), per dimension.
PHRASES = {
    "acknowledgment": ["ignores the worry", "notes it briefly", "says it is a problem",
                       "names the worry warmly", "names the worry and its weight"],
    "summary": ["no recap", "partial recap", "recap with gaps", "clear recap", "recap confirmed"],
    "next_steps": ["no plan", "vague plan", "plan without dates", "plan with dates",
                   "plan with dates and owner"],
    "loop_closure": ["hangs up", "ends flatly", "asks if done", "checks feelings",
                     "checks feelings and thanks"],
}  # fmt: skip
FILLER = "account bill payment order refund delivery address card balance plan".split()
CALLS = 125


def make_team(
    cli, tmp_path, planted: bool, seed: int = 3, doubles: int = 0, unreviewed: int = 0
) -> dict[str, dict[str, int]]:
    """Calls and one review each: scores 1..5 evenly per dimension; the agent's words say
    the score (``planted``) or are drawn at random. The first ``doubles`` calls get a
    second reviewer, who agrees within a point."""
    rng = np.random.default_rng(seed)
    cli("rubric", "load", RUBRICS_DIR / "empathy-v1.toml")
    for name in ("rita", "sam"):
        cli("users", "add", "--email", f"{name}@example.com", "--name", name, "--role",
            "reviewer", "--password-stdin", input="a-long-enough-password\n")  # fmt: skip
    scores, rows, reviews = {}, [], ["call_id,reviewer,dimension,score,submitted_at"]
    for n in range(CALLS + unreviewed):
        call_id = f"C-{n:04d}"
        scores[call_id] = {d: int(rng.integers(1, 6)) if n >= 25 else 1 + (n + i) % 5
                           for i, d in enumerate(DIMENSIONS)}  # fmt: skip
        said = []
        for dimension, score in scores[call_id].items():
            if planted:  # mostly what people scored, sometimes a neighbouring point
                shown = score + int(rng.choice([-1, 0, 0, 0, 0, 0, 1]))
                said.append(PHRASES[dimension][min(5, max(1, shown)) - 1])
            else:
                said.append(PHRASES[dimension][int(rng.integers(0, 5))])
        filler = " ".join(rng.choice(FILLER, 6))
        transcript = (f"Agent: Thanks for calling about your {filler}.\n"
                      f"Customer: My {rng.choice(FILLER)} is wrong.\n"
                      + "".join(f"Agent: The agent {s}.\n" for s in said))  # fmt: skip
        started = f"2026-03-{1 + n % 28:02d}T10:00:00Z"
        rows.append([call_id, f"Agent {n % 7}", transcript, "Harbour", "billing",
                     ("voice", "chat")[n % 2], "billing_correction", started, "",
                     str(30 + 40 * (n % 5))])  # fmt: skip
        if n >= CALLS:
            continue  # not reviewed: only the machine scores it
        reviews += [f"{call_id},rita@example.com,{d},{s},2026-04-01T09:00:00Z"
                    for d, s in scores[call_id].items()]  # fmt: skip
        if n < doubles:
            reviews += [f"{call_id},sam@example.com,{d},"
                        f"{min(5, max(1, s + int(rng.choice([-1, 0, 0, 1]))))},2026-04-02T09:00:00Z"
                        for d, s in scores[call_id].items()]  # fmt: skip
    assert cli("import", "calls", write_calls(tmp_path / "calls.csv", rows)).exit_code == 0
    (tmp_path / "reviews.csv").write_text("\n".join(reviews) + "\n")
    result = cli("import", "reviews", tmp_path / "reviews.csv")
    assert result.exit_code == 0, result.output
    return scores


def test_a_planted_signal_is_found_and_measured_on_calls_the_model_never_saw(
    app, engine, cli, tmp_path
):
    make_team(cli, tmp_path, planted=True, doubles=30)
    trained = cli("machine", "train", "--seed", "1")
    assert trained.exit_code == 0, trained.output
    assert "Stored machine model empathy@1 v1 (125 calls)." in trained.output
    report = json.loads(cli("machine", "evaluate", "--format", "json").stdout)
    assert report["model"]["training_calls"] == CALLS and report["model"]["version"] == 1
    assert set(report["model"]["libraries"]) >= {"scikit-learn", "skops", "numpy"}
    for dimension in DIMENSIONS:
        figures = report["dimensions"][dimension]
        assert figures["n_calls"] == CALLS
        assert figures["alpha"] >= 0.6, (dimension, figures["alpha"])
        assert figures["ci"][0] < figures["alpha"] < figures["ci"][1]
        assert sum(map(sum, figures["confusion"])) == CALLS
        # Beside it, people's agreement with each other on the 30 double-reviewed calls.
        assert figures["human_calls"] == 30 and 0.3 < figures["human_alpha"] < 1
        assert figures["human_ci"][0] < figures["human_alpha"] < figures["human_ci"][1]
        assert {s["field"] for s in figures["segments"]} >= {"channel", "tenure_band"}
    # The same reviews and seed give the same model.
    with Session(engine) as session:
        first = session.exec(select(MachineModel)).one()
    again = cli("machine", "train", "--seed", "1")
    assert "v2" in again.output
    with Session(engine) as session:
        second = session.exec(select(MachineModel).where(MachineModel.version == 2)).one()
    assert second.training_hash == first.training_hash and second.metrics == first.metrics


def test_noise_gives_an_alpha_near_zero(app, engine, cli, tmp_path):
    make_team(cli, tmp_path, planted=False)
    assert cli("machine", "train").exit_code == 0
    report = json.loads(cli("machine", "evaluate", "--format", "json").stdout)
    for dimension in DIMENSIONS:
        figures = report["dimensions"][dimension]
        assert abs(figures["alpha"]) < 0.2, (dimension, figures["alpha"])
        assert figures["human_alpha"] is None and figures["human_calls"] == 0
        assert figures["ci"][0] < 0.1


def test_too_few_reviews_at_a_score_point_are_named_and_nothing_is_stored(
    app, engine, cli, tmp_path
):
    make_team(cli, tmp_path, planted=True)
    result = cli("machine", "train", "--min-per-point", "40")
    assert result.exit_code == 1
    assert "acknowledgment: too few reviewed calls at score 1 (" in result.output
    assert "at least 40 at every point of the scale are needed" in result.output
    assert "nothing was stored" in result.output
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(MachineModel)).one() == 0


def test_scoring_every_call_keeps_human_figures_untouched_and_resumes(
    app, engine, cli, tmp_path, monkeypatch
):
    from qa_app.store import machine as machine_store

    make_team(cli, tmp_path, planted=True)
    assert cli("machine", "train").exit_code == 0
    with Session(engine) as session:
        human = (session.exec(select(ReviewScore.score)).all(),
                 session.exec(select(FinalValue.value)).all(),
                 session.exec(select(func.count()).select_from(Review)).one())  # fmt: skip
    summary_before = cli("flags", "summary", "--format", "json").stdout
    # A run stopped after its first batch keeps that batch; the next carries on.
    real = machine_store.score_unscored

    def stops_after_one_batch(*args, **kwargs):
        progress = args[5]

        def stop(done):
            progress(done)
            raise KeyboardInterrupt

        return real(*args[:5], progress=stop, batch=40)

    monkeypatch.setattr(machine_store, "score_unscored", stops_after_one_batch)
    stopped = cli("machine", "score")
    assert stopped.exit_code == 1 and "Aborted" in stopped.output
    with Session(engine) as session:
        assert session.exec(select(func.count(func.distinct(MachineScore.call_pk)))).one() == 40
    monkeypatch.setattr(machine_store, "score_unscored", real)
    result = cli("machine", "score")
    assert result.exit_code == 0 and f"Scored {CALLS - 40} calls" in result.output
    assert "Scored 0 calls" in cli("machine", "score").output
    with Session(engine) as session:
        rows = session.exec(select(MachineScore)).all()
        assert len(rows) == CALLS * len(DIMENSIONS)
        assert all(1 <= r.score <= 5 and 0 < r.confidence <= 1 for r in rows)
        # Evidence names turns of the call: the planted phrases are turns 2 to 5.
        assert sum(bool(set(r.evidence) & {2, 3, 4, 5}) for r in rows) > 0.9 * len(rows)
        assert (session.exec(select(ReviewScore.score)).all(),
                session.exec(select(FinalValue.value)).all(),
                session.exec(select(func.count()).select_from(Review)).one()) == human  # fmt: skip
    assert cli("flags", "summary", "--format", "json").stdout == summary_before


def test_a_tampered_model_is_refused_not_loaded(app, engine, cli, tmp_path):
    import skops.io

    make_team(cli, tmp_path, planted=True)
    assert cli("machine", "train").exit_code == 0
    with Session(engine) as session:
        model = session.exec(select(MachineModel)).one()
        model.content = skops.io.dumps({"acknowledgment": Review})  # a type no model has
        session.add(model)
        session.commit()
    result = cli("machine", "score")
    assert result.exit_code == 1
    assert "not trusted, so it was not loaded" in result.output
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(MachineScore)).one() == 0


def test_the_command_and_the_domain_agree_on_the_default_minimum():
    assert machine_cli.DEFAULT_MIN_PER_POINT == training.DEFAULT_MIN_PER_POINT


def test_flag_rates_made_more_precise_by_the_machine_only_when_asked(app, engine, cli, tmp_path):
    """125 reviewed calls and 600 the machine alone scored: the prediction-powered rates
    come beside the design-based ones, narrower for a machine that tracks people."""
    make_team(cli, tmp_path, planted=True, unreviewed=600)
    assert cli("machine", "train").exit_code == 0
    assert cli("machine", "score").exit_code == 0
    plain = json.loads(cli("flags", "summary", "--format", "json").stdout)
    assert "machine" not in plain and "ppi_ci" not in json.dumps(plain)
    report = json.loads(cli("flags", "summary", "--machine", "--format", "json").stdout)
    assert report["machine"]["version"] == 1 and report["machine"]["scored_calls"] == 725
    (group,) = report["groups"]
    ratios = []
    for kind in ("flags", "scores"):
        for name, figure in group[kind].items():
            assert figure["human_ci"] == figure["ci"]
            low, high = figure["ppi_ci"]
            assert low <= figure["ppi_estimate"] <= high, name
            ratios.append(figure["width_ratio"])
    assert sum(r < 1 for r in ratios) >= len(ratios) - 1, ratios
    assert plain["groups"][0]["flags"] == {
        name: {k: v for k, v in figure.items()
               if k not in ("human_ci", "ppi_estimate", "ppi_ci", "width_ratio", "ppi_note")}
        for name, figure in group["flags"].items()
    }  # fmt: skip
    table = cli("flags", "summary", "--machine").output
    assert "Machine: model v1 scored 725 calls; prediction-powered inference" in table
    assert "with the machine" in table and "x the width" in table
