"""Analysis plan files: a good plan parsed, every problem listed with its line."""

from __future__ import annotations

import pytest

from qa_app.cli import panels as cli_panel
from qa_app.domain.panels.plan import (
    DOSES,
    OUTCOMES,
    AnalysisPlanError,
    parse_analysis_plan,
    parse_lags,
)

GOOD = """\
name = "empathy-2026"
flag = "acknowledged"
description = "Fixed before the Q3 review"

[outcomes]
nps = [1]
renewal = [3]
spend = [12, 1]
"""


def test_a_good_plan():
    spec = parse_analysis_plan(GOOD, "plan.toml", {"acknowledged", "summarized"})
    assert spec.name == "empathy-2026" and spec.flag == "acknowledged" and spec.dose == "share"
    assert spec.outcomes == {"nps": (1,), "renewal": (3,), "spend": (1, 12)}


def _problems(text: str, known=None) -> list[str]:
    with pytest.raises(AnalysisPlanError) as caught:
        parse_analysis_plan(text, "plan.toml", known)
    return caught.value.problems


def test_every_problem_names_its_line():
    text = """\
name = "Empathy 2026"
flag = "acknowledged"
dose = "lots"
colour = "blue"

[outcomes]
nps = [1, 1]
revenue = [3]
churn = [40]
"""
    problems = _problems(text)
    assert any(p.startswith("plan.toml:1: 'name'") for p in problems)
    assert any(p.startswith("plan.toml:3: 'dose'") for p in problems)
    assert any(p.startswith("plan.toml:4: unknown setting 'colour'") for p in problems)
    assert any(p.startswith("plan.toml:7: 'nps' must be a list of distinct") for p in problems)
    assert any(p.startswith("plan.toml:8: unknown outcome 'revenue'") for p in problems)
    assert any(p.startswith("plan.toml:9: 'churn'") for p in problems)
    assert len(problems) == 6


def test_unknown_flag_named_with_the_rubric_flags():
    (problem,) = _problems(GOOD.replace("acknowledged", "kind"), {"acknowledged", "summarized"})
    assert problem.startswith("plan.toml:2: unknown flag 'kind'") and "summarized" in problem


def test_missing_outcomes_empty_and_broken_files():
    assert "[outcomes]" in _problems('name = "a"\nflag = "acknowledged"\n')[0]
    assert _problems("  \n") == ["plan.toml: the file is empty"]
    assert "invalid TOML" in _problems("name = \n")[0]


def test_lags_on_the_command_line():
    assert parse_lags("12, 1,3,1") == [1, 3, 12]
    for bad in ("", "1,,3", "-1", "one", "99", "1.5"):
        with pytest.raises(ValueError, match="whole months"):
            parse_lags(bad)


def test_cli_choices_match_the_domain():
    assert cli_panel.OUTCOMES == OUTCOMES and cli_panel.DOSES == DOSES
