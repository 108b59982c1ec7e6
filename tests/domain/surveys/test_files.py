"""The shipped customer surveys, the checker's line-named messages on broken files, and the
rotated item order (balanced across respondents)."""

from __future__ import annotations

from collections import Counter
from itertools import pairwise

import pytest

from qa_app.domain.surveys.definition import SurveyError, parse_survey
from qa_app.store.surveys.files import load_surveys, rubric_dimensions, shipped_surveys_dir

FIVE = shipped_surveys_dir() / "customer-empathy-v1.toml"
SEVEN = shipped_surveys_dir() / "customer-empathy-7pt-v1.toml"
SEED_ITEMS = {
    "felt_understood": ("I felt understood.", "loop_closure"),
    "acknowledged_situation": ("The agent acknowledged my situation.", "acknowledgment"),
    "clear_next_steps": ("I left with clear next steps.", "next_steps"),
}


def test_the_seed_items_ship_in_a_five_and_a_seven_point_version():
    surveys = load_surveys()
    assert set(surveys) == {"customer-empathy@1", "customer-empathy-7pt@1"}
    five, seven = surveys["customer-empathy@1"], surveys["customer-empathy-7pt@1"]
    assert list(five.scale) == [1, 2, 3, 4, 5] and five.rubric == "empathy"
    assert list(seven.scale) == list(range(1, 8)) and seven.rubric == "empathy-7pt"
    for survey in (five, seven):
        assert {i.id: (i.text, i.dimension) for i in survey.items} == SEED_ITEMS
        assert sorted(survey.labels) == list(survey.scale)  # every point labelled
        assert survey.rotate and survey.open_text.endswith("?")
    assert five.labels[1] == "Strongly disagree" and seven.labels[7] == "Strongly agree"


def _with(change: tuple[str, str]) -> str:
    return FIVE.read_text(encoding="utf-8").replace(*change, 1)


def _problems(text: str) -> list[str]:
    with pytest.raises(SurveyError) as caught:
        parse_survey(text, "s.toml", rubric_dimensions())
    return caught.value.problems


def _line(text: str, fragment: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if fragment in line)


@pytest.mark.parametrize(
    ("change", "fragment", "message"),
    [
        (("max = 5", "max = 6"), "max = 6", "has 6 points; a survey scale has 5 or 7"),
        (('3 = "Neither agree nor disagree"', '3 = ""'), '3 = ""', "label for point 3 is empty"),
        (('5 = "Strongly agree"\n', ""), "[scale.labels]", "point 5 has no label"),
        (('5 = "Strongly agree"', '9 = "Strongly agree"'), '9 = "Strongly', "outside the scale"),
        (
            ('dimension = "next_steps"', 'dimension = "next_step"'),
            'dimension = "next_step"',
            "dimension 'next_step' is not in rubric 'empathy'",
        ),
        (
            ('id = "clear_next_steps"', 'id = "felt_understood"'),
            'id = "felt_understood"\ntext = "I left',
            "item 'felt_understood' is defined twice",
        ),
        (
            ('rubric = "empathy"', 'rubric = "empathie"'),
            'rubric = "empathie"',
            "not a known rubric",
        ),
        (("rotate = true", 'rotate = "yes"'), 'rotate = "yes"', "'rotate' must be true or false"),
        (
            ('text = "I felt understood."', 'txt = "I felt understood."'),
            'txt = "I felt',
            "unknown key 'txt'",
        ),  # fmt: skip
        (("version = 1", "version = 0"), "version = 0", "'version' must be a whole number"),
    ],
)
def test_a_broken_survey_file_is_refused_with_its_line_named(change, fragment, message):
    text = _with(change)
    problems = _problems(text)
    if "\n" in fragment:  # the second of two identical lines
        first = fragment.split("\n")[0]
        lines = [n for n, line in enumerate(text.splitlines(), 1) if first in line]
        expected_line = lines[-1]
    else:
        expected_line = _line(text, fragment)
    assert any(p.startswith(f"s.toml:{expected_line}: ") and message in p for p in problems), (
        problems
    )


def test_missing_parts_are_named_and_every_problem_is_reported_at_once():
    text = _with(("[open_text]", "[other]"))
    text = text.replace('title = "After your call"\n', "")
    problems = _problems(text)
    assert any("'[open_text]' with a 'question' is missing" in p for p in problems)
    assert any("'title' is missing or empty" in p for p in problems)
    assert any("unknown setting 'other'" in p for p in problems)
    assert _problems("") == ["s.toml: the file is empty"]
    assert _problems("id = ")[0].startswith("s.toml: invalid TOML")


def test_survey_check_command_names_the_file_and_line(cli, tmp_path):
    assert "2 survey file(s) OK." in cli("survey", "check").output
    broken = tmp_path / "broken.toml"
    broken.write_text(_with(("max = 5", "max = 4")), encoding="utf-8")
    result = cli("survey", "check", broken)
    assert result.exit_code == 1
    assert f"{broken}:{_line(broken.read_text(), 'max = 4')}: scale 1–4 has 4 points" in (
        result.output
    )


def test_rotation_is_balanced_across_respondents_and_unrotated_keeps_file_order():
    survey = load_surveys()["customer-empathy@1"]
    orders = [survey.order_for(n) for n in range(600)]
    assert all(sorted(order) == sorted(SEED_ITEMS) for order in orders)
    assert len({tuple(o) for o in orders}) == 6  # every order of three items is used
    # Each item is shown in each position to exactly a third of 600 respondents ...
    positions = Counter((item, pos) for order in orders for pos, item in enumerate(order))
    assert set(positions.values()) == {200}
    # ... and follows each other item equally often (first-order carry-over balanced).
    follows = Counter(pair for order in orders for pair in pairwise(order))
    assert set(follows.values()) == {200}
    fixed = parse_survey(_with(("rotate = true", "rotate = false")))
    assert {tuple(fixed.order_for(n)) for n in range(10)} == {
        ("felt_understood", "acknowledged_situation", "clear_next_steps")
    }
