"""The experiment plan file: broken files name their lines; units, strata and subgroups."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from qa_app.domain.experiments.plan import ExperimentPlanError, parse_experiment_plan
from qa_app.domain.experiments.units import (
    design_summary,
    minimum_detectable,
    strata_from_calls,
    subgroup_values,
    unit_of_call,
    units_per_arm,
)

EXAMPLE = Path(__file__).resolve().parents[3] / "experiments" / "empathy-pilot-example.toml"
SCHEDULE = """\
name = "shifts"
hypothesis = "h"
decision_rule = "d"
unit = "schedule_block"
arms = ["control", "script"]
primary_metric = "outcome:saved"
stratify_by = "shift"

[intervention]
kind = "script"
name = "save-script-v2"
playbook = "playbooks/save-v2.md"

[schedule]
timezone = "Europe/London"

[schedule.shifts]
early = [6, 14]
late = [14, 22]
night = [22, 6]

[window]
start = 2027-06-01
end = 2027-06-30
"""


def problems(text: str) -> list[str]:
    with pytest.raises(ExperimentPlanError) as caught:
        parse_experiment_plan(text, "plan.toml")
    return caught.value.problems


def test_the_shipped_example_is_the_issues_pilot_two_of_six_queues_trained():
    plan = parse_experiment_plan(EXAMPLE.read_text("utf-8"), EXAMPLE.name)
    assert plan.name == "empathy-pilot" and len(plan.units) == 6
    assert plan.control == "control" and plan.primary_metric == "flag:empathy_absent"
    assert plan.arms == ("control", "training")
    assert plan.allocation == {"control": 2, "training": 1}
    assert units_per_arm(plan) == {"control": 4, "training": 2}
    # what such a pilot can and cannot show, worked out from its design (two strata of three
    # queues, one trained in each: 3 x 3 = 9 assignments)
    design = design_summary(plan)
    assert design["exploratory"] and design["smallest_p_value"] == pytest.approx(1 / 9)
    assert "can never fall below 0.111" in design["note"] and "exploratory" in design["note"]
    assert design["note"].startswith("6 units (control 4, training 2): ")
    power = minimum_detectable(plan)
    assert power["units_per_arm"] == 2 and power["control_units"] == 4
    assert any("never fall below 0.111" in w for w in power["warnings"])
    assert plan.subgroups.columns == ("complexity", "tenure", "channel")
    assert plan.power.binary is True  # a flag rate


def test_a_design_whose_arms_do_not_divide_the_units_says_where_the_rest_go():
    """5 queues, two arms 1 : 1: each is sure of 2, and the fifth is said, so it adds up."""
    text = EXAMPLE.read_text("utf-8").replace("allocation = { control = 2, training = 1 }\n", "")
    text = text.replace('[[units]]\nname = "email-care"\nstratum = "digital"\n', "")
    plan = parse_experiment_plan(text, "plan.toml")
    assert len(plan.units) == 5 and plan.allocation is None, plan
    note = design_summary(plan)["note"]
    assert note.startswith(
        "5 units (control at least 2, training at least 2; the 1 unit left over goes to an arm "
        "at random): "
    ), note


def test_every_problem_is_listed_with_its_line():
    text = EXAMPLE.read_text("utf-8")
    broken = (
        text.replace('unit = "queue"', 'unit = "agent"')
        .replace('primary_metric = "flag:empathy_absent"', 'primary_metric = "nps"')
        .replace("start = 2027-01-11", "start = 2027-04-01")
        .replace("icc = 0.02 ", "icc = 1.5 ")
        .replace('stratum = "digital"', 'stratum = ""', 1)
        .replace("after_assignment_days = 7", "after_assignment_days = -1")
    )
    lines = text.splitlines()

    def line(prefix: str, nth: int = 0) -> int:
        return [i + 1 for i, s in enumerate(lines) if s.startswith(prefix)][nth]

    found = problems(broken)
    expected = {
        f"plan.toml:{line('unit =')}: 'unit' must be one of queue, schedule_block",
        f"plan.toml:{line('primary_metric')}: unknown metric 'nps'",
        f"plan.toml:{line('end =')}: [window] 'end' (2027-03-05) is before 'start'",
        f"plan.toml:{line('icc =')}: [power] 'icc' must be from 0 to below 1",
        f"plan.toml:{line('[[units]]', 3)}: unit 4: 'stratum' must be a short label",
        f"plan.toml:{line('after_assignment_days')}: [lags] 'after_assignment_days' must be",
    }
    for start in expected:
        assert any(p.startswith(start) for p in found), (start, found)
    assert len(found) == len(expected)


def test_empty_unreadable_and_unknown_settings():
    assert problems("") == ["plan.toml: the file is empty"]
    assert problems("name = ")[0].startswith("plan.toml: invalid TOML")
    text = EXAMPLE.read_text("utf-8").replace('unit = "queue"', 'unit = "queue"\ncolour = 1', 1)
    assert any("unknown setting 'colour'" in p for p in problems(text))
    twice = SCHEDULE.replace('stratify_by = "shift"', 'units = ["mon-early", "mon-early"]')
    assert any("unit 'mon-early' is listed twice" in p for p in problems(twice))
    overlap = SCHEDULE.replace("late = [14, 22]", "late = [12, 22]")
    assert "plan.toml:19: [schedule.shifts] shifts early, late overlap at hour 12" in problems(
        overlap
    )


def test_schedule_blocks_follow_the_plans_time_zone_and_nights_cross_midnight():
    plan = parse_experiment_plan(SCHEDULE, "s.toml")
    assert len(plan.units) == 21  # every weekday x three shifts
    # 2027-06-07 is a Monday; London is UTC+1 in June.
    assert unit_of_call(plan, None, datetime(2027, 6, 7, 5, 30, tzinfo=UTC)) == "mon-early"
    assert unit_of_call(plan, None, datetime(2027, 6, 7, 21, 30)) == "mon-night"  # naive = UTC
    # 01:00 on Tuesday in London is still Monday's night shift.
    assert unit_of_call(plan, None, datetime(2027, 6, 8, 0, 0, tzinfo=UTC)) == "mon-night"
    assert unit_of_call(plan, None, None) is None
    assert strata_from_calls(plan, [])["tue-late"] == "late"


def test_strata_from_a_call_attribute_and_subgroups():
    text = EXAMPLE.read_text("utf-8")
    head = text.split("[[units]]")[0].replace(
        'unit = "queue"',
        'unit = "queue"\nunits = ["billing", "chat", "email"]\nstratify_by = "channel"',
    )
    plan = parse_experiment_plan(head + text[text.index("[window]") :], "p.toml")
    assert plan.strata is None
    calls = [("billing", "voice"), ("billing", "voice"), ("billing", "chat"), ("chat", "chat"),
             ("elsewhere", "voice")]  # fmt: skip
    assert strata_from_calls(plan, calls) == {
        "billing": "voice", "chat": "chat", "email": "(no calls)",
    }  # fmt: skip
    assert subgroup_values(plan, "escalation", 30, "chat") == {
        "complexity": "complex", "tenure": "new (< 90 days)", "channel": "chat",
    }  # fmt: skip
    assert subgroup_values(plan, None, None, None) == {
        "complexity": "unknown", "tenure": "unknown", "channel": "unknown",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("allocation", "message"),
    [
        ("allocation = 2", "'allocation' must be a table of ratios, one per arm"),
        ("allocation = { control = 2, training = 0 }",
         "the ratio of 'training' must be a whole number from 1 to 100; got 0"),
        ("allocation = { control = 2, training = 1.5 }", "the ratio of 'training' must be"),
        ("allocation = { control = 2, coaching = 1 }", "'coaching' is not one of the arms"),
        ("allocation = { control = 2 }", "give a ratio for every arm; missing: training"),
        ("allocation = { control = 6, training = 1 }",
         "with 6 units, arm 'training' would get 0.86 of a unit"),
    ],
)  # fmt: skip
def test_a_bad_allocation_is_named_at_its_line(allocation, message):
    text = EXAMPLE.read_text("utf-8")
    original = "allocation = { control = 2, training = 1 }"
    line = text.splitlines().index(original) + 1
    found = problems(text.replace(original, allocation))
    assert all(problem.startswith(f"plan.toml:{line}: ") for problem in found), found
    assert any(message in problem for problem in found), found


def test_a_plan_cannot_take_the_new_experiment_pages_name():
    """/experiments/new is the form, so a plan named 'new' could never be opened: refused."""
    text = EXAMPLE.read_text(encoding="utf-8").replace('name = "empathy-pilot"', 'name = "new"', 1)
    with pytest.raises(ExperimentPlanError) as refused:
        parse_experiment_plan(text, "plan.toml")
    problems = refused.value.problems
    assert any("'name' cannot be 'new'" in p and p.startswith("plan.toml:5:") for p in problems)
