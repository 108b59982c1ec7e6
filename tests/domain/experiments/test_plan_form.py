"""The New experiment form's fields written as a plan: the real checker reads it back with the
same values, hostile text stays data, and a bad value is named by the checker with its line."""

from __future__ import annotations

import re
import tomllib
from datetime import date

import pytest

from qa_app.domain.experiments.plan import ExperimentPlanError, parse_experiment_plan
from qa_app.domain.experiments.plan_form import form_problem, plan_toml, toml_string


def fields(**changes) -> dict:
    base = {
        "name": "empathy-pilot",
        "hypothesis": "Trained queues leave the empathy-absent flag on fewer calls",
        "decision_rule": "Roll out if the effect is negative and saves do not fall",
        "intervention_kind": "training",
        "intervention_name": "Empathy foundations",
        "intervention_playbook": "https://wiki.example.com/empathy",
        "control": "control",
        "treatments": ["training"],
        "allocation": {"control": "2", "training": "1"},
        "queues": [
            {"name": q, "stratum": s}
            for q, s in (
                ("billing", "phone"),
                ("retention", "phone"),
                ("tech", "phone"),
                ("chat-a", "digital"),
                ("chat-b", "digital"),
                ("email", "digital"),
            )
        ],  # fmt: skip
        "primary_metric": "flag:empathy_absent",
        "secondary_metrics": ["outcome:saved", "dimension:acknowledgment"],
        "window_start": "2027-01-11",
        "window_end": "2027-03-05",
        "after_assignment_days": "7",
        "after_exposure_days": "2",
        "complex_interaction_types": ["escalation", "policy_exception"],
        "new_agent_days": "90",
        "channel": True,
        "baseline_mean": "0.30",
        "baseline_sd": "0.46",
        "icc": "0.02",
        "calls_per_unit": "400",
        "alpha": "0.05",
        "power": "0.8",
        "binary": "true",
    }
    return base | changes


def test_the_written_plan_parses_and_round_trips_every_field():
    plan = parse_experiment_plan(plan_toml(fields()), "plan")
    assert plan.name == "empathy-pilot" and plan.unit == "queue"
    assert plan.hypothesis.startswith("Trained queues")
    assert plan.decision_rule.startswith("Roll out if")
    assert (plan.intervention.kind, plan.intervention.name, plan.intervention.playbook) == (
        "training", "Empathy foundations", "https://wiki.example.com/empathy",
    )  # fmt: skip
    assert plan.arms == ("control", "training")
    assert plan.allocation == {"control": 2, "training": 1}
    assert plan.units == ("billing", "retention", "tech", "chat-a", "chat-b", "email")
    assert plan.strata["chat-a"] == "digital" and plan.strata["billing"] == "phone"
    assert plan.primary_metric == "flag:empathy_absent"
    assert plan.secondary_metrics == ("outcome:saved", "dimension:acknowledgment")
    assert (plan.window_start, plan.window_end) == (date(2027, 1, 11), date(2027, 3, 5))
    assert (plan.lag_after_assignment_days, plan.lag_after_exposure_days) == (7, 2)
    assert plan.subgroups.complex_types == ("escalation", "policy_exception")
    assert plan.subgroups.new_agent_days == 90 and plan.subgroups.channel is True
    assert plan.power.baseline_mean == 0.30 and plan.power.calls_per_unit == 400
    assert plan.power.icc == 0.02 and plan.power.binary is True


def test_optional_parts_left_blank_are_left_out():
    blank = dict.fromkeys(("baseline_mean", "baseline_sd", "icc", "calls_per_unit", "alpha",
                           "power", "new_agent_days", "binary"), "")  # fmt: skip
    queues = [{"name": q, "stratum": ""} for q in ("a", "b", "c")]
    plan = parse_experiment_plan(
        plan_toml(
            fields(
                **blank, queues=queues, allocation={}, channel=False, complex_interaction_types=[]
            )
        ),  # fmt: skip
        "plan",
    )
    assert plan.power is None and plan.allocation is None and plan.strata is None
    assert plan.units == ("a", "b", "c") and plan.subgroups.columns == ()


@pytest.mark.parametrize(
    "hostile",
    ['He said "no"', 'line one\nline two', '"""\nname = "evil"\n"""', "back\\slash\t\x7f\x01",
     "ünïcode 😀 ' single", "x\"]\n[power]\nicc = 0.9"],
)  # fmt: skip
def test_hostile_text_stays_data(hostile):
    arm = "treat"  # arm names are checked labels; the free texts take anything
    text = plan_toml(fields(hypothesis=hostile, decision_rule=hostile, intervention_name=hostile,
                            treatments=[arm], allocation={}))  # fmt: skip
    doc = tomllib.loads(text)
    assert doc["hypothesis"] == hostile and doc["decision_rule"] == hostile
    assert doc["intervention"]["name"] == hostile
    assert doc["name"] == "empathy-pilot" and doc["power"]["icc"] == 0.02
    assert tomllib.loads(f"v = {toml_string(hostile)}")["v"] == hostile


def test_a_hostile_name_is_refused_by_the_checker_not_injected():
    text = plan_toml(fields(name='x"\nunit = "agent'))
    assert tomllib.loads(text)["unit"] == "queue"
    with pytest.raises(ExperimentPlanError) as caught:
        parse_experiment_plan(text, "plan")
    assert any(p.startswith("plan:2: ") and "name" in p for p in caught.value.problems)


def test_a_hostile_arm_name_is_a_quoted_key():
    text = plan_toml(fields(treatments=['t" = 1, x = { y'], allocation={"control": "1"}))
    doc = tomllib.loads(text)
    assert set(doc["allocation"]) == {"control", 't" = 1, x = { y'}


def test_bad_values_are_named_by_the_checker_with_their_line():
    text = plan_toml(fields(window_end="2027-01-01", icc="lots", after_assignment_days="a week"))
    with pytest.raises(ExperimentPlanError) as caught:
        parse_experiment_plan(text, "plan")
    lines = text.splitlines()
    problems = caught.value.problems
    end_line = next(n for n, line in enumerate(lines, 1) if line.startswith("end = "))
    assert (
        f"plan:{end_line}: [window] 'end' (2027-01-01) is before 'start' (2027-01-11)" in problems
    )
    assert any("'icc' must be from 0 to below 1" in p for p in problems)
    assert any("after_assignment_days" in p for p in problems)


def test_each_problem_is_said_in_the_form_words_beside_its_field():
    text = plan_toml(fields(window_end="2027-01-01", icc="lots", intervention_kind="memo",
                            intervention_playbook=""))  # fmt: skip
    with pytest.raises(ExperimentPlanError) as caught:
        parse_experiment_plan(text, "plan")
    said = {form_problem(text, p) for p in caught.value.problems}
    assert {(field, label) for field, label, _message in said} == {
        ("window_end", "Window end"), ("icc", "Intra-class correlation"),
        ("intervention_kind", "Intervention kind"), ("intervention_playbook", "Playbook"),
    }, said  # fmt: skip
    messages = {message for _field, _label, message in said}
    assert "Window end (2027-01-01) is before Window start (2027-01-11)" in messages
    assert "Playbook is required: text of at most 1,000 characters" in messages
    # No file, line, table or key names: the form's words only.
    assert not any(re.search(r"plan:|\[\w+\]|'\w+'", m) for m in messages), messages
    assert form_problem(text, "plan: the file is empty") == (None, None, "the file is empty")


def test_alpha_and_power_alone_ask_for_no_power_calculation():
    """The form starts with alpha 0.05 and power 0.8 filled in: a plan with only those is a
    plan without a power calculation, not one missing four figures."""
    text = plan_toml(fields(baseline_mean="", baseline_sd="", icc="", calls_per_unit=""))
    assert "[power]" not in text
    assert parse_experiment_plan(text, "plan").power is None
