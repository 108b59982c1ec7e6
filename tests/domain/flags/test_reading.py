"""The Coaching page's answer: the largest standardised difference that can be read, one whose
interval leaves out zero first; never a row too small to read."""

from __future__ import annotations

from qa_app.domain.flags.reading import headline


def row(script, flag, difference, ci, too_small=False):
    return {"save_script": script, "flag": flag, "standardized_difference": difference,
            "standardized_ci": ci, "too_small": too_small}  # fmt: skip


def test_a_clear_difference_leads_over_a_larger_uncertain_one():
    groups = [
        row("a", "x", -0.30, [-0.70, 0.10]),  # larger, but its interval holds zero
        row("b", "y", -0.12, [-0.20, -0.04]),
        row("c", "z", 0.50, [0.20, 0.80], too_small=True),  # too few calls: never the answer
    ]
    assert headline(groups)["flag"] == "y"


def test_without_a_clear_one_the_largest_readable_leads_and_none_when_nothing_is_readable():
    assert headline([row("a", "x", -0.3, [-0.7, 0.1]), row("b", "y", 0.1, [-0.1, 0.3])])[
        "flag"
    ] == "x"
    assert headline([row("a", "x", 0.5, [0.2, 0.8], too_small=True)]) is None
    assert headline([row("a", "x", None, None)]) is None
