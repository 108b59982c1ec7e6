"""The experiment's analysis (qa_app.domain.experiments.analysis): published clustered errors,
the degenerate cases, subgroups and their interaction test, exact randomisation tests of small
designs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qa_app.domain.experiments.analysis import CLUSTER, RANDOMISATION, estimate_effect
from qa_app.domain.experiments.assignment import assign_units
from qa_app.domain.experiments.clustered_errors import cluster_robust_ols

PETERSEN = Path(__file__).resolve().parents[2] / "data" / "petersen_test_data.csv"
ARMS = ["control", "empathy"]


def test_clustered_errors_match_petersens_published_values():
    """Mitchell Petersen, "Estimating Standard Errors in Finance Panel Data Sets: Comparing
    Approaches", Review of Financial Studies 22(1), 2009; his test data set (500 firms × 10
    years, test_data.txt on his Kellogg web page) publishes for y ~ x: coefficient on x 1.0348,
    OLS standard error 0.0286, standard error clustered by firm 0.0506 (intercept 0.0297, SE
    0.0670), clustered by year 0.0334. The data here are that set as shipped by the R package
    sandwich (PetersenCL)."""
    data = pd.read_csv(PETERSEN)
    assert data.shape == (5000, 4) and data["firm"].nunique() == 500
    exog = pd.DataFrame({"const": 1.0, "x": data["x"]})
    by_firm = cluster_robust_ols(data["y"], exog, data["firm"])
    assert by_firm.params["x"] == pytest.approx(1.0348, abs=5e-5)
    assert by_firm.bse["x"] == pytest.approx(0.0506, abs=5e-5)
    assert by_firm.params["const"] == pytest.approx(0.0297, abs=5e-5)
    assert by_firm.bse["const"] == pytest.approx(0.0670, abs=5e-5)
    assert by_firm.bse["x"] / 0.0286 > 1.7  # clustering by firm matters: errors 77% wider
    by_year = cluster_robust_ols(data["y"], exog, data["year"])
    assert by_year.bse["x"] == pytest.approx(0.0334, abs=5e-5)
    # t on G − 1 degrees of freedom, as Stata's regress, vce(cluster firm)
    assert by_firm.df_resid_inference == 499


def _experiment(n_units, effect, seed, calls_per_unit=30, icc_sd=0.5, chat_extra=0.0):
    rng = np.random.default_rng(seed)
    strata = {f"q{i:02d}": "billing" if i % 2 else "sales" for i in range(n_units)}
    assignment = assign_units(strata, ARMS, seed=seed)
    rows = []
    for unit in sorted(strata):
        level = rng.normal(0, icc_sd)
        treated = assignment[unit] == "empathy"
        for _ in range(calls_per_unit):
            chat = rng.random() < 0.4
            value = level + rng.normal() + treated * (effect + chat * chat_extra)
            rows.append({"unit": unit, "arm": assignment[unit], "value": value,
                         "channel": "chat" if chat else "voice",
                         "tenure": "new" if rng.random() < 0.3 else "experienced"})  # fmt: skip
    return strata, pd.DataFrame(rows)


def _estimate(strata, rows, **kwargs):
    kwargs.setdefault("subgroup_columns", ())
    return estimate_effect(
        rows, metric="csat", primary=True, control="control", treatment="empathy",
        strata=strata, arms=ARMS, seed=11, **kwargs,
    )  # fmt: skip


def test_json_has_the_issue_shape_and_subgroups_are_labelled():
    strata, rows = _experiment(40, 0.5, seed=3)
    result = _estimate(strata, rows, subgroup_columns=["channel", "tenure"])
    assert result.method == CLUSTER and result.n_units == 40 and result.n_calls == 1200
    out = json.loads(json.dumps(result.to_json()))  # plain JSON types throughout
    assert {"metric", "primary", "effect", "ci", "p_value", "method", "subgroups"} <= set(out)
    assert out["metric"] == "csat" and out["primary"] is True
    assert len(out["ci"]) == 2 and out["ci"][0] < out["effect"] < out["ci"][1]
    labels = [s["subgroup"] for s in out["subgroups"]]
    assert labels == ["channel=chat", "channel=voice", "tenure=experienced", "tenure=new"]
    assert set(out["interaction_p_values"]) == {"channel", "tenure"}
    assert out["arm_means"]["empathy"] - out["arm_means"]["control"] == pytest.approx(out["effect"])


def test_fewer_than_30_units_use_randomisation_inference_with_the_recorded_design():
    strata, rows = _experiment(12, 0.0, seed=5)
    result = _estimate(strata, rows)
    assert result.method == RANDOMISATION
    assert result.ci is not None and "inverted" in result.ci_method
    assert 1 / 2001 <= result.p_value <= 1
    out = json.loads(json.dumps(result.to_json()))
    assert out["randomisation"].startswith("the recorded design re-drawn")
    # two strata of six, three of each arm in each: C(6, 3)² = 400 assignments, all listed
    assert out["permutations"] == out["distinct_assignments"] == 400
    assert out["smallest_p_value"] == pytest.approx(2 / 400)
    # a design with more assignments than re-draws is sampled: 2,000 re-draws of C(40, 20)
    big_strata, big = _experiment(40, 0.0, seed=5)
    sampled = _estimate(big_strata, big, ri_unit_threshold=41)
    assert sampled.permutations == 2000 and sampled.randomisation == "the recorded design re-drawn"
    # the same seed gives the same p-value; the draws are the design's, not a free shuffle
    assert _estimate(strata, rows).p_value == result.p_value
    with pytest.raises(ValueError, match="at least 1000 re-draws; got 500"):
        _estimate(strata, rows, permutations=500)


def test_a_design_too_small_to_reject_has_no_interval_and_says_why():
    # 4 units in one stratum: 6 possible assignments, so no p-value can fall below 1/6.
    strata, rows = _experiment(4, 3.0, seed=2)
    strata = dict.fromkeys(strata, "all")
    result = _estimate(strata, rows)
    assert result.p_value > 0.1 and result.ci is None
    assert any("unbounded" in w for w in result.warnings)


def test_degenerate_data_give_warnings_and_missing_figures_not_errors():
    strata, rows = _experiment(6, 0.5, seed=4)
    only_control = rows[rows.arm == "control"]
    empty = _estimate(strata, only_control)
    assert empty.effect is None and empty.p_value is None and empty.ci is None
    assert "no calls in the treatment arm" in empty.warnings[0]

    one_each = rows[rows.unit.isin([rows[rows.arm == a].unit.iloc[0] for a in ARMS])]
    single = _estimate(strata, one_each)
    assert single.effect is not None and single.ci is None and single.p_value is None
    assert "single unit in an arm" in single.warnings[0]

    constant = rows.assign(value=4.0)
    flat = _estimate(strata, constant, subgroup_columns=["channel"])
    assert flat.effect == 0.0 and flat.ci is None and flat.p_value is None
    assert "same value on every call" in flat.warnings[0]
    assert all(s.warning for s in flat.subgroups)

    big_strata, big = _experiment(40, 0.5, seed=4)
    by_arm = big.assign(value=(big.arm == "empathy").astype(float))  # no variation within arms
    split = _estimate(big_strata, by_arm)
    assert split.effect == pytest.approx(1.0) and split.ci is None and split.p_value is None
    assert "do not vary within the arms" in split.warnings[0]

    blanks = rows.assign(value=rows["value"].where(rows.index % 10 != 0, None))
    assert "18 call(s) without a value for csat were left out" in _estimate(strata, blanks).warnings


def _other(arm):
    return "empathy" if arm == "control" else "control"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: r.drop(columns="arm"), "lack column\\(s\\): arm"),
        (lambda r: r.assign(unit=r.unit.where(r.index != 3, "q99")), "not in the design: q99"),
        (lambda r: r.assign(arm=r.arm.where(r.index != 7, "placebo")), "call row 8: arm 'placebo'"),
        (lambda r: r.assign(arm=r.arm.where(r.index != 0, _other(r.arm[0]))),
         "unit q00 appears under arms control, empathy"),
    ],
)  # fmt: skip
def test_bad_rows_are_refused_with_the_row_named(change, message):
    strata, rows = _experiment(6, 0.5, seed=4)
    with pytest.raises(ValueError, match=message):
        _estimate(strata, change(rows))


def test_control_and_treatment_must_be_distinct_plan_arms():
    strata, rows = _experiment(6, 0.5, seed=4)
    with pytest.raises(ValueError, match="both are 'control'"):
        estimate_effect(rows, metric="m", primary=False, control="control", treatment="control",
                        strata=strata, arms=ARMS, seed=1)  # fmt: skip
    with pytest.raises(ValueError, match="treatment arm 'script' is not one of the plan's arms"):
        estimate_effect(rows, metric="m", primary=False, control="control", treatment="script",
                        strata=strata, arms=ARMS, seed=1)  # fmt: skip


def test_interaction_test_detects_a_planted_interaction_and_not_an_absent_one():
    """Seeded: 40 experiments of 40 queues × 30 calls each. Planted: the training helps chat
    by 0.6 and voice by 0. Absent: it helps both by 0.3. Measured: the interaction test rejected
    at 5% in 100% of the planted and 2.5% of the absent experiments."""
    planted, absent = [], []
    for seed in range(40):
        strata, rows = _experiment(40, 0.0, seed=seed, chat_extra=0.6)
        planted.append(_estimate(strata, rows, subgroup_columns=["channel"]))
        strata, rows = _experiment(40, 0.3, seed=1000 + seed)
        absent.append(_estimate(strata, rows, subgroup_columns=["channel"]))
    planted_rate = np.mean([r.interaction_p_values["channel"] < 0.05 for r in planted])
    absent_rate = np.mean([r.interaction_p_values["channel"] < 0.05 for r in absent])
    assert planted_rate >= 0.8, planted_rate
    assert absent_rate <= 0.12, absent_rate
    chat = np.mean([s.effect for r in planted for s in r.subgroups if s.level == "chat"])
    voice = np.mean([s.effect for r in planted for s in r.subgroups if s.level == "voice"])
    assert chat == pytest.approx(0.6, abs=0.08) and voice == pytest.approx(0.0, abs=0.08)


@pytest.mark.parametrize(
    ("strata", "distinct"),
    [
        ({f"q{i}": "all" for i in range(6)}, 15),  # C(6, 2)
        ({f"q{i}": "phone" if i < 3 else "chat" for i in range(6)}, 9),  # one of 3 in each
    ],
)
def test_two_of_six_queues_p_value_is_the_exact_enumeration(strata, distinct):
    """A hand-made pilot: six queues, two trained (allocation control 2 : training 1). The
    randomisation p-value must be exactly the share of the design's possible assignments
    whose |difference in means| is at least the observed one (Fisher's exact test, listed
    here by hand with itertools), and its smallest attainable value 1 / distinct."""
    from itertools import combinations, product

    arms, allocation = ["control", "training"], {"control": 2, "training": 1}
    assignment = assign_units(strata, arms, seed=42, allocation=allocation)
    level = {"q0": 0.1, "q1": 0.9, "q2": 0.4, "q3": 0.35, "q4": 0.7, "q5": 0.2}
    rows = pd.DataFrame(
        [
            {"unit": u, "arm": assignment[u], "value": level[u] + 0.1 * k + 0.3 * (u in "q1q4")}
            for u in sorted(strata)
            for k in range(3)
        ]
    )
    result = estimate_effect(
        rows, metric="m", primary=True, control="control", treatment="training",
        strata=strata, arms=arms, seed=42, allocation=allocation,
    )  # fmt: skip
    means = rows.groupby("unit")["value"].mean()  # equal calls per unit: mean of unit means

    def difference(treated):
        treated = list(treated)
        return means[treated].mean() - means.drop(treated).mean()

    groups = [sorted(u for u in strata if strata[u] == s) for s in sorted(set(strata.values()))]
    per_group = [sum(assignment[u] == "training" for u in g) for g in groups]
    every = [
        sum(picks, ())
        for picks in product(*(combinations(g, n) for g, n in zip(groups, per_group, strict=True)))
    ]
    assert len(every) == distinct
    observed = difference(u for u in strata if assignment[u] == "training")
    exact = sum(abs(difference(t)) >= abs(observed) - 1e-12 for t in every) / distinct
    assert result.p_value == pytest.approx(exact, abs=1e-12)
    assert result.distinct_assignments == distinct
    assert result.smallest_p_value == pytest.approx(1 / distinct)
    assert "enumerated (exact test)" in result.randomisation
    assert any("never give a p-value below" in w and "exploratory" in w for w in result.warnings)


def test_few_units_per_subgroup_give_no_interaction_test_and_never_a_nan():
    """Five queues, few calls, three channels (some rare): the interaction model has more
    coefficients than the units can identify, and statsmodels' clustered errors used to warn
    "invalid value encountered in sqrt" and return NaN. Warnings are errors in the test run,
    so this fails if the warning comes back; the report says why there is no test instead."""
    rng = np.random.default_rng(1)  # the draw that produced the warning
    strata = {f"q{i}": "all" for i in range(int(rng.integers(4, 8)))}
    assignment = assign_units(strata, ARMS, 1)
    rows = pd.DataFrame(
        [
            {"unit": u, "arm": assignment[u], "value": float(rng.random() < 0.4),
             "channel": str(rng.choice(["chat", "voice", "email"], p=[0.2, 0.6, 0.2])),
             "tenure": str(rng.choice(["new", "exp"], p=[0.1, 0.9]))}
            for u in strata
            for _ in range(int(rng.integers(1, 15)))
        ]
    )  # fmt: skip
    assert len(strata) == 5
    result = _estimate(strata, rows, subgroup_columns=["channel", "tenure"])
    assert not any(np.isnan(s.effect) for s in result.subgroups if s.effect is not None)
    assert result.interaction_p_values == {"channel": None, "tenure": None}
    assert any("tenure: only 5 units; an interaction test needs at least 10" in w
               for w in result.warnings)  # fmt: skip
    json.dumps(result.to_json(), allow_nan=False)  # no NaN reaches the report
    # The subgroup estimates by clustered errors (30 or more units) are guarded the same way.
    big_strata, big = _experiment(30, 0.5, seed=9, calls_per_unit=4)
    few = big[big["unit"].isin(sorted(big_strata)[:3]) | (big["channel"] == "voice")]
    out = _estimate(big_strata, few, subgroup_columns=["channel"]).to_json()
    json.dumps(out, allow_nan=False)
