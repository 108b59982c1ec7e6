"""The shipped rubrics, flag rules, content hashing, and the checker's messages on broken files."""

from __future__ import annotations

import pytest

from qa_app.domain.rubrics.definitions import (
    RubricError,
    check_rubric_file,
    load_rubric_file,
    parse_rubric,
)
from tests.conftest import RUBRICS_DIR

EMPATHY = RUBRICS_DIR / "empathy-v1.toml"
SEVEN_POINT = RUBRICS_DIR / "empathy-7pt-v1.toml"


def test_empathy_rubric_defines_every_point_of_the_four_dimensions():
    rubric = load_rubric_file(EMPATHY)
    assert rubric.key == "empathy@1"
    assert list(rubric.scale) == [1, 2, 3, 4, 5]
    assert [d.id for d in rubric.dimensions] == [
        "acknowledgment",
        "summary",
        "next_steps",
        "loop_closure",
    ]
    for dimension in rubric.dimensions:
        assert sorted(dimension.points) == [1, 2, 3, 4, 5]
        assert dimension.question.endswith("?")
        assert dimension.panel_item
    acknowledgment = rubric.dimension("acknowledgment")
    assert "option framing" in acknowledgment.points[5]
    assert "procedural help without emotional attunement" in acknowledgment.points[3].lower()
    panel_items = {d.panel_item for d in rubric.dimensions}
    assert {
        "The agent acknowledged my situation.",
        "I felt understood.",
        "I left with clear next steps.",
    } <= panel_items
    assert rubric.dimension("next_steps").allow_na and not acknowledgment.allow_na


def test_seven_point_rubric_uses_the_same_format():
    rubric = load_rubric_file(SEVEN_POINT)
    assert list(rubric.scale) == list(range(1, 8))
    assert all(sorted(d.points) == list(range(1, 8)) for d in rubric.dimensions)
    assert sorted(rubric.panel_labels) == list(range(1, 8))


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        (
            {"acknowledgment": 4, "summary": 5, "next_steps": 4, "loop_closure": 4},
            {
                "acknowledged": True,
                "summarized": True,
                "confirmed_next_steps": True,
                "closed_emotional_loop": True,
                "empathy_absent": False,
            },
        ),
        (
            {"acknowledgment": 3, "summary": 3, "next_steps": 3, "loop_closure": 3},
            {
                "acknowledged": False,
                "summarized": False,
                "confirmed_next_steps": False,
                "closed_emotional_loop": False,
                "empathy_absent": False,
            },
        ),
        (
            {"acknowledgment": 2, "summary": 1, "next_steps": None, "loop_closure": None},
            {
                "acknowledged": False,
                "summarized": False,
                "confirmed_next_steps": None,
                "closed_emotional_loop": None,
                "empathy_absent": True,
            },
        ),
    ],
)
def test_default_flags_follow_the_rubric_rules(scores, expected):
    assert load_rubric_file(EMPATHY).flags_for(scores) == expected


def test_seven_point_flags_use_seven_point_thresholds():
    rubric = load_rubric_file(SEVEN_POINT)
    assert rubric.flags_for({"acknowledgment": 6})["acknowledged"] is True
    assert rubric.flags_for({"acknowledgment": 5})["acknowledged"] is False
    assert rubric.flags_for({"acknowledgment": 3})["empathy_absent"] is True


def test_combined_rules_need_every_condition():
    text = EMPATHY.read_text().replace(
        'rule = "acknowledgment <= 2"', 'rule = "acknowledgment >= 4 and loop_closure >= 4"'
    )
    flag = {f.name: f for f in parse_rubric(text).flags}["empathy_absent"]
    assert flag.evaluate({"acknowledgment": 5, "loop_closure": 4}) is True
    assert flag.evaluate({"acknowledgment": 5, "loop_closure": 3}) is False


def test_hash_ignores_comments_and_layout_but_not_definitions():
    original = EMPATHY.read_text()
    base = parse_rubric(original).content_hash
    assert parse_rubric("# a new comment\n\n" + original).content_hash == base
    edited = original.replace("No acknowledgment.", "No acknowledgment at all.")
    assert parse_rubric(edited).content_hash != base


BROKEN = [
    ("", "the file is empty", {}),
    ("id = 'x\n", "invalid TOML", {}),
    (
        "DROP_POINT_3",
        "missing from point definitions (scale gap)",
        {"dimension": "acknowledgment", "point": 3},
    ),
    ("DUPLICATE_POINT", "defined more than once", {"dimension": "acknowledgment", "point": 5}),
    ("POINT_OUTSIDE", "outside the scale 1–5", {"dimension": "acknowledgment", "point": 6}),
    ("DUPLICATE_DIMENSION", "duplicate dimension id", {"dimension": "summary"}),
    ("UNKNOWN_DIMENSION_FLAG", "rule names unknown dimension 'empathy'", {"flag": "acknowledged"}),
    (
        "THRESHOLD_OUTSIDE",
        "threshold 6 in 'summary >= 6' is outside the scale 1–5",
        {"flag": "summarized"},
    ),
    ("MIXED_RULE", "mixes 'and' and 'or'", {"flag": "acknowledged"}),
    ("NO_QUESTION", "'question' is missing or empty", {"dimension": "acknowledgment"}),
]


def _broken_text(case: str) -> str:
    text = EMPATHY.read_text()
    first_points = "[dimensions.points]\n1 = "
    edits = {
        "DROP_POINT_3": lambda t: t.replace(
            '3 = "Procedural help without emotional attunement', '# 3 = "', 1
        ),
        "DUPLICATE_POINT": lambda t: t.replace(
            first_points, '[dimensions.points]\n05 = "x"\n1 = ', 1
        ),
        "POINT_OUTSIDE": lambda t: t.replace(first_points, '[dimensions.points]\n6 = "x"\n1 = ', 1),
        "DUPLICATE_DIMENSION": lambda t: t.replace('id = "next_steps"', 'id = "summary"'),
        "UNKNOWN_DIMENSION_FLAG": lambda t: t.replace('"acknowledgment >= 4"', '"empathy >= 4"'),
        "THRESHOLD_OUTSIDE": lambda t: t.replace('"summary >= 4"', '"summary >= 6"'),
        "MIXED_RULE": lambda t: t.replace(
            '"acknowledgment >= 4"', '"acknowledgment >= 4 and summary >= 4 or next_steps >= 4"'
        ),
        "NO_QUESTION": lambda t: t.replace(
            'question = "Did the agent explicitly acknowledge', 'question_x = "', 1
        ),
    }
    return edits[case](text) if case in edits else case


@pytest.mark.parametrize(
    ("case", "message", "where"), BROKEN, ids=[c[0][:24] or "empty" for c in BROKEN]
)
def test_checker_names_file_dimension_and_point(tmp_path, case, message, where):
    path = tmp_path / "broken.toml"
    path.write_text(_broken_text(case), encoding="utf-8")
    problems = check_rubric_file(path)
    matching = [p for p in problems if message in p.message]
    assert matching, [str(p) for p in problems]
    problem = matching[0]
    assert str(problem).startswith(str(path))
    for key, value in where.items():
        assert getattr(problem, key) == value
    with pytest.raises(RubricError):
        load_rubric_file(path)


def test_not_utf8_rubric_is_reported(tmp_path):
    path = tmp_path / "latin1.toml"
    path.write_bytes("title = 'caf\u00e9'".encode("latin-1"))
    assert "not UTF-8" in str(check_rubric_file(path)[0])


def test_odd_but_valid_toml_gets_a_message_not_a_crash():
    base = (RUBRICS_DIR / "empathy-v1.toml").read_text()
    dated = parse_rubric(base.replace("version = 1", "version = 1\ncreated = 2024-01-01", 1))
    assert dated.version == 1 and len(dated.content_hash) == 64
    for text, message in (
        (base.replace("version = 1", "version = 3000000000", 1), "from 1 to 1,000,000"),
        ("x = " + "[" * 5000 + "]" * 5000, "nested too deeply"),
        (base.replace('"acknowledgment >= 4"', '"acknowledgment >= ' + "9" * 5000 + '"'), ""),
    ):
        with pytest.raises(RubricError) as error:
            parse_rubric(text)
        assert message in str(error.value)
