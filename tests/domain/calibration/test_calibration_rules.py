"""Calibration rules: states, reveal, rotated items, alignment and the QA-panel gap."""

from __future__ import annotations

import statistics
from datetime import UTC, datetime, timedelta

import pytest

from qa_app.domain.calibration.sessions import (
    CalibrationError,
    alignment,
    check_reveal,
    check_transition,
    qa_panel_gap,
    rotated_items,
)

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("current", "target"),
    [("draft", "open"), ("open", "revealed"), ("revealed", "closed"), ("closed", "revealed")],
)
def test_allowed_steps(current, target):
    check_transition(current, target)


@pytest.mark.parametrize(
    ("current", "target"),
    [("draft", "revealed"), ("open", "closed"), ("closed", "open"), ("revealed", "draft")],
)
def test_refused_steps_say_what_is_possible(current, target):
    with pytest.raises(CalibrationError, match=f"A {current} session cannot become {target}"):
        check_transition(current, target)


def test_reveal_waits_for_everyone_unless_deadline_or_confirmation():
    progress = {"Rita": 3, "Customer A": 1}
    with pytest.raises(CalibrationError, match=r"Not everyone has finished: Customer A \(1 of 3\)"):
        check_reveal(progress, 3, None, NOW, confirmed=False)
    check_reveal(progress, 3, None, NOW, confirmed=True)
    check_reveal(progress, 3, NOW - timedelta(minutes=1), NOW, confirmed=False)
    check_reveal({"Rita": 3}, 3, None, NOW, confirmed=False)


def test_items_rotate_per_panelist():
    items = ["a", "b", "c", "d"]
    assert rotated_items(items, 0) == items
    assert rotated_items(items, 1) == ["b", "c", "d", "a"]
    assert rotated_items(items, 5) == ["b", "c", "d", "a"]


def test_alignment_is_the_commercial_percentage():
    assert alignment(4, 4, 1, 5) == 100.0
    assert alignment(2, 4, 1, 5) == 50.0
    assert alignment(1, 7, 1, 7) == 0.0


def test_gap_is_the_mean_per_call_difference_with_an_interval():
    qa = {"c1": [4, 4], "c2": [3, 5], "c3": [2, 2]}
    panel = {"c1": [3], "c2": [2, 2], "c3": [2], "c4": [5]}
    gap = qa_panel_gap(qa, panel)
    differences = [1, 2, 0]
    assert gap.calls == 3 and gap.mean == pytest.approx(1.0)
    half = 4.302653 * statistics.stdev(differences) / 3**0.5  # t(2; 0.975), not 1.96
    assert (gap.low, gap.high) == pytest.approx((1 - half, 1 + half))
    assert qa_panel_gap({"c1": [4]}, {"c2": [3]}).mean is None


def test_rater_history_flags_a_rater_drifting_past_the_threshold():
    from qa_app.domain.calibration.drift import SessionInput, rater_history
    from qa_app.domain.calibration.sessions import SessionRating

    def session(name, day, rob_shift):
        ratings = []
        for call, truth in (("c1", 2), ("c2", 3), ("c3", 4), ("c4", 5)):
            ratings.append(SessionRating(call, "Rita", "qa", "acknowledgment", truth))
            ratings.append(
                SessionRating(call, "Rob", "qa", "acknowledgment", min(5, truth + rob_shift))
            )
            ratings.append(SessionRating(call, "Panel", "panel", "acknowledgment", truth))
        consensus = {
            (c, "acknowledgment"): t for c, t in (("c1", 2), ("c2", 3), ("c3", 4), ("c4", 5))
        }
        return SessionInput(name, datetime(2026, 6, day, tzinfo=UTC), ratings, consensus)

    points = rater_history(
        [session("July", 20, 1), session("June", 1, 0)], ["acknowledgment"], threshold=0.5
    )
    assert [(p.session, p.participant) for p in points] == [
        ("June", "Rita"),
        ("June", "Rob"),
        ("July", "Rita"),
        ("July", "Rob"),
    ]
    june_rob, july_rob = points[1], points[3]
    assert june_rob.bias == pytest.approx(0.0) and not june_rob.flagged
    # July: Rob is one point above the others on three calls (capped at 5 on the fourth).
    assert july_rob.distance == pytest.approx(0.75) and july_rob.flagged
    assert july_rob.bias == pytest.approx(0.75)
    assert not points[2].flagged


def test_panel_links_end_with_the_session_and_after_the_deadline_grace():
    from qa_app.domain.calibration.sessions import panel_link_state

    deadline = NOW - timedelta(hours=3)
    assert panel_link_state("draft", None, None, NOW) == "not_started"
    assert panel_link_state("open", None, None, NOW) == "open"
    assert panel_link_state("open", deadline, None, NOW) == "open"  # no grace: until closed
    assert panel_link_state("open", deadline, 4, NOW) == "open"
    assert panel_link_state("open", deadline, 3, NOW) == "ended"
    assert panel_link_state("open", deadline, 0, NOW) == "ended"
    assert panel_link_state("open", None, 0, NOW) == "open"  # no deadline to count from
    assert panel_link_state("revealed", None, None, NOW) == "ended"
    assert panel_link_state("closed", None, None, NOW) == "ended"
    naive = deadline.replace(tzinfo=None)
    assert panel_link_state("open", naive, 1, NOW) == "ended"
    last_moment = datetime(9999, 12, 31, 23, 59, tzinfo=UTC)
    assert panel_link_state("open", last_moment, 48, NOW) == "open"


@pytest.mark.parametrize(
    ("text", "hours", "refused"),
    [
        ("", None, False),
        (" 48 ", 48, False),
        ("0", 0, False),
        ("-1", None, True),
        ("1.5", None, True),
        ("²", None, True),
        ("99999999999999999999", None, True),
    ],
)
def test_link_grace_is_whole_hours_or_blank(text, hours, refused):
    from qa_app.domain.calibration.sessions import parse_link_grace

    value, problem = parse_link_grace(text)
    assert value == hours and (problem is not None) == refused
