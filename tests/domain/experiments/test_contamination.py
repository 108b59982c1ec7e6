"""The contamination check of an experiment (qa_app.domain.experiments.contamination)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from qa_app.domain.experiments.contamination import contamination_check


def test_contamination_counts_on_a_hand_made_log():
    calls = pd.DataFrame(
        [
            # ann works only a treatment queue, trained before her calls
            (1, "ann", "q1", "empathy", "2026-03-02T09:00:00Z"),
            (2, "ann", "q1", "empathy", "2026-03-03T09:00:00Z"),
            # bob crosses arms; trained on 3 March: one control call after it, one before
            (3, "bob", "q1", "empathy", "2026-03-02T10:00:00Z"),
            (4, "bob", "q2", "control", "2026-03-02T11:00:00Z"),
            (5, "bob", "q2", "control", "2026-03-04T11:00:00Z"),
            (6, "bob", "q2", "control", "2026-03-05T11:00:00Z"),
            # cat works treatment queues and is never trained
            (7, "cat", "q3", "empathy", "2026-03-02T12:00:00Z"),
            (8, "cat", "q3", "empathy", "2026-03-02T13:00:00Z"),
            # dan works control only, untrained
            (9, "dan", "q2", "control", "2026-03-02T14:00:00Z"),
            (10, None, "q2", "control", "2026-03-02T15:00:00Z"),
        ],
        columns=["call_id", "agent", "unit", "arm", "started_at"],
    )
    exposures = pd.DataFrame(
        [
            ("ann", "empathy-training", "2026-03-01T08:00:00Z"),
            ("bob", "empathy-training", "2026-03-03T08:00:00Z"),
            ("eve", "empathy-training", "2026-03-01T08:00:00Z"),  # trained, never on a call
            ("dan", "new-script", "2026-03-01T08:00:00Z"),  # another intervention: ignored
        ],
        columns=["agent", "intervention", "at"],
    )
    result = contamination_check(
        calls, exposures, intervention="empathy-training", treatment_arms=["empathy"]
    )
    assert result.agents_in_both_arms == 1
    assert result.agents_in_both_arms_top == [
        {"agent": "bob", "calls_by_arm": {"control": 3, "empathy": 1}}
    ]
    assert result.calls_outside_arm == 2  # bob's control calls on 4 and 5 March
    assert result.treatment_calls_unexposed == 2  # cat's
    assert result.treatment_calls_before_exposure == 1  # bob's call on 2 March
    assert result.exposures_without_calls == 1 and result.agents_exposed_without_calls == ["eve"]
    assert result.calls == 9 and result.calls_without_agent == 1 and result.agents == 4
    assert not result.clean
    out = json.loads(json.dumps(result.to_json()))
    assert out["calls_outside_arm"] == 2 and out["agents_in_both_arms_top"][0]["agent"] == "bob"


def test_contamination_check_refuses_missing_columns_and_bad_times():
    calls = pd.DataFrame(
        {"call_id": [1], "agent": ["a"], "unit": ["q"], "arm": ["x"], "started_at": ["soon"]}
    )
    exposures = pd.DataFrame({"agent": ["a"], "intervention": ["t"], "at": ["2026-03-01"]})
    with pytest.raises(ValueError, match="the exposures lack column\\(s\\): at"):
        contamination_check(
            calls, exposures.drop(columns="at"), intervention="t", treatment_arms=["x"]
        )
    with pytest.raises(ValueError, match="calls.started_at: not a date and time"):
        contamination_check(calls, exposures, intervention="t", treatment_arms=["x"])
