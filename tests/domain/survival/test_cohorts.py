"""Cohort selection on hand-made timelines: anchors, windows, censoring at as-of, left-out."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from qa_app.domain.survival.analysis import analyse
from qa_app.domain.survival.cohorts import (
    CallRecord,
    CustomerRecord,
    EventRecord,
    SurvivalError,
    build_cohort,
    latest_date,
)

T0 = datetime(2025, 1, 1)


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


def call(call_id, customer, at, acknowledged=True, **fields):
    flags = {"acknowledged": acknowledged, "summarized": False}
    return CallRecord(call_id, customer, day(at), flags, **fields)


def by_id(cohort):
    return {m.customer_id: m for m in cohort.members}


def test_onboarding_takes_the_first_reviewed_call_within_30_days():
    customers = [
        CustomerRecord("A", day(0), ended_at=day(100)),
        CustomerRecord("B", day(0)),  # active: censored at as-of
        CustomerRecord("C", day(0)),  # first call on day 31: outside the window
        CustomerRecord("D", day(10), ended_at=day(5)),  # ended before the call
        CustomerRecord("E", day(0)),  # N/A flag
        CustomerRecord("F", day(0)),  # no call at all
    ]
    calls = [
        call("A2", "A", 20, acknowledged=False),
        call("A1", "A", 5),  # the first in the window, though listed second
        call("B1", "B", 30, acknowledged=False),
        call("C1", "C", 31),
        call("D1", "D", 12),
        call("E1", "E", 3, acknowledged=None),
        call("X1", None, 3),  # no customer: ignored
    ]
    cohort = build_cohort(customers, [], calls, "onboarding", as_of=day(200))
    members = by_id(cohort)
    assert set(members) == {"A", "B"}
    assert (members["A"].call_id, members["A"].exposed) == ("A1", True)
    assert (members["A"].days, members["A"].ended) == (95, True)
    assert (members["B"].exposed, members["B"].days, members["B"].ended) == (False, 170, False)
    assert cohort.left_out == {
        "no_call_in_window": 2,
        "ended_before_call": 1,
        "flag_not_applicable": 1,
    }
    assert cohort.window == (0, 30)


def test_an_end_after_as_of_is_censored_at_as_of_and_later_calls_are_unseen():
    customers = [
        CustomerRecord("A", day(0), ended_at=day(300)),
        CustomerRecord("B", day(0)),
    ]
    calls = [call("A1", "A", 10), call("B1", "B", 25)]
    early = by_id(build_cohort(customers, [], calls, as_of=day(110)))
    assert (early["A"].days, early["A"].ended) == (100, False)
    assert (early["B"].days, early["B"].ended) == (85, False)
    late = by_id(build_cohort(customers, [], calls, as_of=day(400)))
    assert (late["A"].days, late["A"].ended) == (290, True)
    # A call after the as-of date has not happened yet, as far as the analysis knows.
    before_b = build_cohort(customers, [], calls, as_of=day(20))
    assert set(by_id(before_b)) == {"A"} and before_b.left_out == {"no_call_in_window": 1}


def test_as_of_defaults_to_the_latest_date_in_the_data():
    customers = [CustomerRecord("A", day(0), ended_at=day(50)), CustomerRecord("B", day(0))]
    events = [EventRecord("B", day(80), "nps")]
    calls = [call("A1", "A", 1), call("B1", "B", 2)]
    assert latest_date(customers, events, calls) == day(80)
    cohort = build_cohort(customers, events, calls)
    assert cohort.as_of == day(80)
    assert by_id(cohort)["B"].days == 78


def test_renewal_windows_look_both_sides_and_a_window_can_be_set():
    customers = [CustomerRecord(c, day(0)) for c in "ABCD"]
    events = [
        EventRecord("A", day(365), "renewal"),
        EventRecord("B", day(365), "renewal"),
        EventRecord("C", day(365), "incident"),  # not a renewal: no anchor
        EventRecord("D", day(365), "renewal"),
    ]
    calls = [
        call("A1", "A", 340),  # 25 days before the renewal
        call("B1", "B", 390),  # 25 days after
        call("C1", "C", 365),
        call("D1", "D", 300),  # 65 days before: outside ±30
    ]
    cohort = build_cohort(customers, events, calls, "renewal", as_of=day(500))
    assert set(by_id(cohort)) == {"A", "B"}
    assert cohort.window == (30, 30)
    assert cohort.left_out == {"no_anchor": 1, "no_call_in_window": 1}
    narrow = build_cohort(customers, events, calls, "renewal", as_of=day(500), window=20)
    assert set(by_id(narrow)) == set() and narrow.window == (20, 20)
    wide = build_cohort(customers, events, calls, "renewal", as_of=day(500), window=70)
    assert set(by_id(wide)) == {"A", "B", "D"}


def test_incident_window_is_14_days_after_the_incident():
    customers = [CustomerRecord(c, day(0)) for c in "ABC"]
    events = [EventRecord(c, day(100), "incident") for c in "ABC"]
    calls = [call("A1", "A", 99), call("B1", "B", 114), call("C1", "C", 115)]
    cohort = build_cohort(customers, events, calls, "incident", as_of=day(200))
    assert set(by_id(cohort)) == {"B"}
    assert by_id(cohort)["B"].days == 86
    assert cohort.left_out == {"no_call_in_window": 2}


def test_the_flag_is_chosen_and_an_unknown_flag_is_named():
    customers = [CustomerRecord("A", day(0))]
    calls = [call("A1", "A", 1)]
    cohort = build_cohort(customers, [], calls, flag="summarized", as_of=day(10))
    assert by_id(cohort)["A"].exposed is False
    with pytest.raises(SurvivalError, match="unknown flag 'kind'.*acknowledged, summarized"):
        build_cohort(customers, [], calls, flag="kind", as_of=day(10))
    with pytest.raises(SurvivalError, match="unknown cohort"):
        build_cohort(customers, [], calls, cohort="birthday")


def _cohort_of(n_with, n_without, **call_fields):
    customers, calls = [], []
    for i in range(n_with + n_without):
        ended = day(40 + 7 * i) if i % 3 else None
        customers.append(CustomerRecord(f"K{i}", day(0), ended, "smb" if i % 2 else "enterprise",
                                        100.0))  # fmt: skip
        calls.append(call(f"K{i}-1", f"K{i}", 2, acknowledged=i < n_with, **call_fields))
    return build_cohort(customers, [], calls, as_of=day(400))


def test_small_groups_are_marked_and_constant_covariates_left_out_by_name():
    cohort = _cohort_of(8, 12, channel="voice", interaction_type="billing", agent_tenure_days=30)
    report = analyse(cohort, horizon=365)
    assert [g["small"] for g in report["groups"]] == [True, True]
    assert any("small" in w for w in report["warnings"])
    cox = report["cox"]
    assert cox["adjusted_for"] == []
    assert [c["covariate"] for c in cox["not_adjusted_for"]] == list(
        ("interaction_type", "channel", "agent_tenure_days")
    )
    assert "association" in report["association"]
    assert report["value"]["monthly_value_mean"] == 100.0


def test_one_group_only_gives_reasons_not_errors_and_by_splits_strata():
    cohort = _cohort_of(10, 0)
    report = analyse(cohort, by="segment")
    assert report["logrank"] == {"statistic": None, "p_value": None}
    assert report["cox"]["hazard_ratio"] is None
    assert "one group is empty" in " ".join(report["warnings"])
    assert [s["stratum"] for s in report["strata"]] == ["enterprise", "smb"]
    with pytest.raises(SurvivalError, match="cannot group by"):
        analyse(cohort, by="team")
