"""The experiment store: the lock, the seeded assignment stored and reproducible, and the
report refused before the lock (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from qa_app.domain.experiments.assignment import assign_units
from qa_app.models import Experiment, ExperimentUnit
from qa_app.store.experiments.plans import ExperimentStoreError, assign, load, register, save_draft
from qa_app.store.experiments.reports import report
from tests.store.test_experiment_cli import QUEUES, plan_text


def test_the_assignment_is_stored_and_reproducible_from_the_seed(engine):
    with Session(engine) as db:
        for name in ("first", "second"):
            register(db, plan_text(name), f"{name}.toml", None)
        one = assign(db, "first", 424242, None)
        two = assign(db, "second", 424242, None)
        db.commit()
    # The same design and seed draw the same arms; the draw is the documented function's.
    expected = assign_units(QUEUES, ["control", "training", "playbook"], 424242)
    assert one.assignment == two.assignment == expected
    with Session(engine) as db:
        stored = load(db, "first")
        assert stored.row.seed == 424242 and stored.row.assigned_at is not None
        assert stored.assignment == one.assignment and stored.strata == QUEUES
        with pytest.raises(ExperimentStoreError, match="an assignment is made once"):
            assign(db, "first", 1, None)


def test_a_draft_is_neither_assigned_nor_reported(engine):
    with Session(engine) as db:
        row = save_draft(db, plan_text(), "pilot.toml", None)
        db.commit()
        assert row.status == "draft" and row.locked_at is None
        with pytest.raises(ExperimentStoreError, match="register \\(lock\\) it before assigning"):
            assign(db, "pilot", 1, None)
        with pytest.raises(ExperimentStoreError, match="results are not computed before the plan"):
            report(db, "pilot")
        assert db.exec(select(ExperimentUnit)).all() == []
        row, created = register(db, plan_text(), "pilot.toml", None)
        db.commit()
        assert created and row.status == "locked" and row.locked_at is not None
        stored = db.exec(select(Experiment)).one()
        assert len(stored.content_hash) == 64 and stored.content == plan_text()
        with pytest.raises(ExperimentStoreError, match="is registered .* a change is an amend"):
            save_draft(db, plan_text(extra='description = "x"'), "pilot.toml", None)


def test_an_amendment_keeps_the_registered_plan_and_cannot_redraw_the_units(engine):
    from qa_app.store.experiments.plans import amend

    with Session(engine) as db:
        row, _ = register(db, plan_text(), "pilot.toml", None)
        registered_hash = row.content_hash
        assign(db, "pilot", 3, None)
        fewer_arms = plan_text().replace('"training", "playbook"]', '"training"]')
        with pytest.raises(
            ExperimentStoreError, match="its units, strata, arms and allocation are fixed"
        ):
            amend(db, "pilot", fewer_arms, "v2.toml", "Drop an arm", None)
        with pytest.raises(ExperimentStoreError, match="unchanged: nothing to amend"):
            amend(db, "pilot", plan_text(), "v1.toml", "Nothing", None)
        later = plan_text().replace("end = 2027-02-05", "end = 2027-02-12")
        amend(db, "pilot", later, "v2.toml", "Training ran a week late", None)
        db.commit()
        stored = load(db, "pilot")
    assert stored.row.content_hash == registered_hash  # the registered plan is kept as it was
    assert stored.registered_plan.window_end.isoformat() == "2027-02-05"
    assert stored.plan.window_end.isoformat() == "2027-02-12"
    assert [a.reason for a in stored.amendments] == ["Training ran a week late"]


def test_calls_count_from_the_end_of_the_lag_after_assignment(engine):
    from datetime import UTC, date, datetime

    from qa_app.store.experiments.reports import analysis_days

    with Session(engine) as db:
        register(db, plan_text(), "pilot.toml", None)
        assign(db, "pilot", 3, None)
        row = db.exec(select(Experiment)).one()
        # Assigned late in the evening of 20 January (UTC) with a 7-day lag.
        row.assigned_at = datetime(2027, 1, 20, 23, 30, tzinfo=UTC)
        db.add(row)
        db.commit()
        assert analysis_days(load(db, "pilot")) == (date(2027, 1, 27), date(2027, 2, 5))


def test_the_plans_allocation_is_the_assignments_and_fixed_once_assigned(engine):
    """Two of six queues trained: the allocation is read from the (registered or amended)
    plan, the stored draw is assign_units' with it, and it cannot change after assignment."""
    from qa_app.store.experiments.plans import amend

    two_arms = plan_text().replace('"training", "playbook"]', '"training"]')
    two_to_one = two_arms.replace(
        'arms = ["control", "training"]',
        'arms = ["control", "training"]\nallocation = { control = 2, training = 1 }',
    )
    with Session(engine) as db:
        register(db, two_to_one, "pilot.toml", None)
        result = assign(db, "pilot", 99, None)
        db.commit()
        allocation = {"control": 2, "training": 1}
        assert result.assignment == assign_units(QUEUES, ["control", "training"], 99, allocation)
        assert sorted(result.assignment.values()).count("training") == 2
        assert all(row["training"] * 2 == row["control"] for row in result.balance)
        with pytest.raises(ExperimentStoreError, match="arms and allocation are fixed"):
            amend(db, "pilot", two_arms, "even.toml", "back to even arms", None)


def test_an_amended_primary_metric_and_window_are_never_reported_as_pre_registered(engine):
    """After assignment a lead makes another metric primary and lengthens the window: the
    report's pre-registered metrics are still the registered ones over the registered window;
    the amended ones appear only below, labelled as amended, with what changed and why."""
    from qa_app.cli.experiments import report_lines
    from qa_app.store.experiments.plans import amend
    from qa_app.store.experiments.reports import AMENDED

    amended_text = (
        plan_text()
        .replace('primary_metric = "outcome:csat"', 'primary_metric = "outcome:saved"')
        .replace('secondary_metrics = ["outcome:saved"]', 'secondary_metrics = ["outcome:nps"]')
        .replace("end = 2027-02-05", "end = 2027-02-12")
    )
    with Session(engine) as db:
        register(db, plan_text(), "pilot.toml", None)
        assign(db, "pilot", 3, None)
        amend(db, "pilot", amended_text, "v2.toml", "Saves matter more than CSAT", None)
        db.commit()
        data = report(db, "pilot", permutations=99)

    assert [
        (m["metric"], m["primary"]) for m in data["metrics"] if m["treatment"] == "training"
    ] == [
        ("outcome:csat", True),
        ("outcome:saved", False),
    ]
    assert data["analysis_window"]["last_day"] == "2027-02-05"
    assert data["plan"]["primary_metric"] == "outcome:csat"
    assert data["plan"]["window"]["end"] == "2027-02-05"
    assert data["amendments"][0]["changes"][:3] == [
        "primary metric changed from outcome:csat to outcome:saved",
        "metric added: outcome:nps",
        "metric removed: outcome:csat",
    ]
    amended = data["amended_analysis"]
    assert amended["label"] == AMENDED == "Amended after registration — not pre-registered"
    assert [r["reason"] for r in amended["reasons"]] == ["Saves matter more than CSAT"]
    assert (
        "window changed from 2027-01-11 to 2027-02-05 to 2027-01-11 to 2027-02-12"
        in (amended["changes"])
    )
    assert amended["analysis_window"]["last_day"] == "2027-02-12"
    training = [m for m in amended["metrics"] if m["treatment"] == "training"]
    assert [(m["metric"], m["primary"]) for m in training] == [
        ("outcome:saved", True),
        ("outcome:nps", False),
    ]
    assert "outcome:nps" not in {m["metric"] for m in data["metrics"]}

    text = "\n".join(report_lines(data))
    assert text.index("Pre-registered analysis") < text.index("PRIMARY outcome:csat")
    assert text.index("PRIMARY outcome:csat") < text.index(AMENDED)
    assert text.index(AMENDED) < text.index("PRIMARY outcome:saved")
    assert "reason" in text and "Saves matter more than CSAT" in text


def test_a_reworded_amendment_adds_no_amended_analysis(engine):
    from qa_app.store.experiments.plans import amend

    with Session(engine) as db:
        register(db, plan_text(), "pilot.toml", None)
        assign(db, "pilot", 3, None)
        amend(db, "pilot", plan_text(extra='description = "x"'), "v2.toml", "Wording", None)
        db.commit()
        data = report(db, "pilot", permutations=99)
    assert data["amended_analysis"] is None
    assert data["amendments"][0]["changes"] == [] and data["amendments"][0]["reason"] == "Wording"
