"""What an amendment changed in the analysis, and the plan the pre-registered analysis reads:
the registered metrics, window, lags and subgroups, with the assignment's design."""

from __future__ import annotations

from qa_app.domain.experiments.amendments import (
    analysis_changed,
    analysis_changes,
    registered_analysis,
)
from qa_app.domain.experiments.plan import parse_experiment_plan
from tests.store.test_experiment_cli import plan_text


def _amended() -> str:
    return (
        plan_text()
        .replace('primary_metric = "outcome:csat"', 'primary_metric = "outcome:saved"')
        .replace('secondary_metrics = ["outcome:saved"]', 'secondary_metrics = ["outcome:nps"]')
        .replace("end = 2027-02-05", "end = 2027-02-12")
        .replace("after_assignment_days = 7", "after_assignment_days = 3")
        .replace("channel = true", "channel = false")
    )


def test_every_change_to_the_analysis_is_named():
    registered = parse_experiment_plan(plan_text(), "v1.toml")
    amended = parse_experiment_plan(_amended(), "v2.toml")
    assert analysis_changes(registered, amended) == [
        "primary metric changed from outcome:csat to outcome:saved",
        "metric added: outcome:nps",
        "metric removed: outcome:csat",
        "window changed from 2027-01-11 to 2027-02-05 to 2027-01-11 to 2027-02-12",
        "lag after assignment changed from 7 to 3 day(s)",
        "equity subgroups changed from tenure, channel to tenure",
    ]
    assert analysis_changed(registered, amended)


def test_a_reworded_plan_changes_nothing_in_the_analysis():
    registered = parse_experiment_plan(plan_text(), "v1.toml")
    reworded = parse_experiment_plan(plan_text(extra='description = "Clearer"'), "v2.toml")
    assert analysis_changes(registered, reworded) == []
    assert not analysis_changed(registered, reworded)


def test_the_registered_analysis_keeps_the_registered_metrics_and_window():
    registered = parse_experiment_plan(plan_text(), "v1.toml")
    amended = parse_experiment_plan(_amended(), "v2.toml")
    plan = registered_analysis(registered, amended)
    assert plan.metrics == ("outcome:csat", "outcome:saved")
    assert str(plan.window_end) == "2027-02-05" and plan.lag_after_assignment_days == 7
    assert plan.subgroups.columns == ("tenure", "channel")
    assert plan.units == amended.units and plan.arms == amended.arms
