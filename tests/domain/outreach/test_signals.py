"""Outreach signals on hand-made timelines, just below and just above each threshold."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from qa_app.domain.outreach.rules import load_rules
from qa_app.domain.outreach.signals import (
    OutreachCall,
    UsagePoint,
    call_sentiment,
    find_signals,
    reasons,
    text_sentiment,
    usage_drop,
)

AS_OF = date(2026, 3, 31)
END = datetime(2026, 4, 1)  # the window's end: midnight after AS_OF
SETTINGS = load_rules().settings  # the shipped defaults: 14 days, 60-day baseline, 30%, 3 calls


def usage(recent: float, baseline: float = 100.0) -> list[UsagePoint]:
    """Two baseline points 20 and 50 days before the window, one point in it."""
    return [
        UsagePoint("K", END - timedelta(days=14 + 20), baseline),
        UsagePoint("K", END - timedelta(days=14 + 50), baseline),
        UsagePoint("K", END - timedelta(days=3), recent),
    ]


def call(call_id: str, days_before_end: float, **fields) -> OutreachCall:
    return OutreachCall(call_id, "K", END - timedelta(days=days_before_end), **fields)


@pytest.mark.parametrize(("recent", "dips"), [(70.0, True), (70.1, False), (40.0, True)])
def test_usage_dip_at_thirty_percent(recent, dips):
    found = find_signals([], usage(recent), AS_OF, SETTINGS)
    assert ("usage_dip" in found.signals) is dips


def test_usage_dip_needs_both_spans_and_ignores_points_outside_them():
    assert usage_drop(usage(50.0)[:2], AS_OF, 14, 60) is None  # nothing in the window
    assert usage_drop(usage(50.0)[2:], AS_OF, 14, 60) is None  # no baseline
    old = [UsagePoint("K", END - timedelta(days=14 + 61), 1000.0), *usage(70.0)]
    assert usage_drop(old, AS_OF, 14, 60) == pytest.approx(0.30)  # 75 days ago: not baseline
    # A point exactly 14 days before the window's end belongs to the window.
    edge = [*usage(100.0)[:2], UsagePoint("K", END - timedelta(days=14), 10.0)]
    assert usage_drop(edge, AS_OF, 14, 60) == pytest.approx(0.90)


@pytest.mark.parametrize(
    ("ages", "repeated"),
    [((1, 5, 13.9), True), ((1, 5, 14.1), False), ((1, 5), False), ((0.5, 1, 2, 3), True)],
)
def test_repeated_contacts_three_calls_within_fourteen_days(ages, repeated):
    calls = [call(f"C{i}", age) for i, age in enumerate(ages)]
    found = find_signals(calls, [], AS_OF, SETTINGS)
    assert ("repeated_contacts" in found.signals) is repeated
    if repeated:
        assert found.contacts == len(ages)


@pytest.mark.parametrize(("sentiment", "negative"), [(-0.05, True), (-0.04, False), (-0.9, True)])
def test_imported_sentiment_at_the_threshold(sentiment, negative):
    found = find_signals([call("C1", 2, sentiment=sentiment)], [], AS_OF, SETTINGS)
    assert ("negative_sentiment" in found.signals) is negative


def test_imported_sentiment_takes_precedence_over_the_transcript():
    angry = ("This is terrible, I am furious and nobody helps me.",)
    assert text_sentiment(angry) < -0.5  # VADER scores the customer's words
    assert call_sentiment(call("C1", 2, customer_text=angry)) < -0.5
    assert call_sentiment(call("C1", 2, customer_text=angry, sentiment=0.4)) == 0.4
    happy = call("C2", 2, customer_text=("Thanks so much, that is great!",))
    assert "negative_sentiment" not in find_signals([happy], [], AS_OF, SETTINGS).signals
    upset = call("C3", 2, customer_text=angry)
    assert "negative_sentiment" in find_signals([upset], [], AS_OF, SETTINGS).signals
    # Outside the 14-day window it no longer counts.
    old = call("C4", 15, customer_text=angry)
    assert "negative_sentiment" not in find_signals([old], [], AS_OF, SETTINGS).signals


def test_empathy_absent_on_a_reviewed_call_in_the_window():
    scores = {"acknowledgment": 1, "summary": 3}
    flagged = call("C1", 13.9, flags={"empathy_absent": True}, scores=scores)
    found = find_signals([flagged], [], AS_OF, SETTINGS)
    assert found.signals == {"empathy_absent"} and found.trigger.call_id == "C1"
    late = call("C1", 14.1, flags={"empathy_absent": True}, scores=scores)
    assert find_signals([late], [], AS_OF, SETTINGS).signals == set()
    fine = call("C2", 2, flags={"empathy_absent": False}, scores={"acknowledgment": 4})
    unknown = call("C3", 2, flags={"empathy_absent": None}, scores={"acknowledgment": None})
    assert find_signals([fine, unknown], [], AS_OF, SETTINGS).signals == set()
    # Any rubric flag can be the trigger when the rules name it.
    other = {**SETTINGS, "empathy_absent": {"flag": "rushed", "window_days": 14}}
    rushed = call("C4", 2, flags={"rushed": True}, scores={"acknowledgment": 4})
    assert find_signals([rushed], [], AS_OF, other).signals == {"empathy_absent"}


def test_reasons_in_plain_words():
    calls = [
        call("C1", 6, team="Harbour"),
        call("C2", 3, flags={"empathy_absent": True},
             scores={"acknowledgment": 1, "summary": 3}),  # fmt: skip
        call("C3", 1),
    ]
    found = find_signals(calls, usage(55.0), AS_OF, SETTINGS)
    assert found.signals == {"empathy_absent", "usage_dip", "repeated_contacts"}
    said = reasons(found, {"acknowledgment": "Acknowledgment"})
    assert said == [
        "usage down 45% on their baseline",
        "three calls in a week",
        "last call scored 1 on acknowledgment",
    ]
