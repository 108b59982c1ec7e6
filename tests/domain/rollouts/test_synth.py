"""Synthetic control (qa_app.domain.rollouts.synth): a published replication, planted gaps in
simulated panels, and the checks a user sees on bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qa_app.domain.rollouts.synth import synthetic_control
from qa_app.domain.rollouts.synth_fit import fit_synth
from qa_app.domain.rollouts.synth_placebos import placebo_p_value

DATA = Path(__file__).resolve().parents[2] / "data"


def test_basque_country_weights_match_abadie_gardeazabal_2003():
    """Abadie & Gardeazabal (2003), "The Economic Costs of Conflict: A Case Study of the Basque
    Country", American Economic Review 93(1): the synthetic Basque Country is Cataluña 0.8508
    and Madrid 0.1492, all other regions 0. Same predictors as the paper (schooling and
    investment 1964-69, GDP per capita 1960-69, sector shares 1961-69 odd years, population
    density 1969), fitted through the module's seam. Tolerance 0.005 per weight."""
    from pysyncon import Dataprep

    df = pd.read_csv(DATA / "basque.csv")
    treated = "Basque Country (Pais Vasco)"
    controls = [r for r in df["regionname"].unique() if r != treated]
    odd_years = range(1961, 1970, 2)
    prep = Dataprep(
        foo=df,
        predictors=[
            "school.illit",
            "school.prim",
            "school.med",
            "school.high",
            "school.post.high",
            "invest",
        ],
        predictors_op="mean",
        time_predictors_prior=range(1964, 1970),
        special_predictors=[
            ("gdpcap", range(1960, 1970), "mean"),
            ("sec.agriculture", odd_years, "mean"),
            ("sec.energy", odd_years, "mean"),
            ("sec.industry", odd_years, "mean"),
            ("sec.construction", odd_years, "mean"),
            ("sec.services.venta", odd_years, "mean"),
            ("sec.services.nonventa", odd_years, "mean"),
            ("popdens", [1969], "mean"),
        ],
        dependent="gdpcap",
        unit_variable="regionname",
        time_variable="year",
        treatment_identifier=treated,
        controls_identifier=controls,
        time_optimize_ssr=range(1960, 1970),
    )
    weights = pd.Series(fit_synth(prep).W, index=controls)
    assert weights["Cataluna"] == pytest.approx(0.8508, abs=0.005)
    assert weights["Madrid (Comunidad De)"] == pytest.approx(0.1492, abs=0.005)
    others = weights.drop(["Cataluna", "Madrid (Comunidad De)"])
    assert others.max() < 0.005


def simulated_panel(seed: int, effect: float, donors: int = 15, weeks: int = 30, start: int = 20):
    """Queues driven by two random-walk factors; the treated queue is 0.5·q00 + 0.3·q01 +
    0.2·q02 plus noise (sd 0.3), plus ``effect`` from week ``start`` on."""
    rng = np.random.default_rng(seed)
    factors = rng.normal(0, 1, (weeks, 2)).cumsum(axis=0) * 0.5
    loadings = rng.normal(0, 1, (donors, 2))
    levels = 50 + rng.normal(0, 5, donors)
    donor_paths = levels + factors @ loadings.T + rng.normal(0, 0.5, (weeks, donors))
    true_weights = np.zeros(donors)
    true_weights[:3] = [0.5, 0.3, 0.2]
    treated = (
        donor_paths @ true_weights
        + rng.normal(0, 0.3, weeks)
        + effect * (np.arange(weeks) >= start)
    )
    rows = [
        {"queue": f"q{j:02d}", "week": t, "aht": donor_paths[t, j]}
        for t in range(weeks)
        for j in range(donors)
    ]
    rows += [{"queue": "pilot", "week": t, "aht": treated[t]} for t in range(weeks)]
    return pd.DataFrame(rows)


def test_recovers_a_planted_gap_with_the_smallest_possible_placebo_p_value():
    panel = simulated_panel(seed=1, effect=3.0)
    result = synthetic_control(
        panel, unit="queue", time="week", outcome="aht", treated_unit="pilot", treatment_start=20
    ).to_json()
    assert result["method"] == "synth"
    assert result["att"] == pytest.approx(3.0, abs=0.5)
    true_donor_weight = sum(result["weights"].get(q, 0) for q in ("q00", "q01", "q02"))
    assert true_donor_weight > 0.7
    assert sum(result["weights"].values()) == pytest.approx(1.0, abs=0.01)
    # 15 donors + the pilot: the pilot's RMSPE ratio is the largest, p = 1/16.
    assert len(result["placebos"]) == 15
    assert result["placebo_p_value"] == pytest.approx(1 / 16)
    assert result["rmspe_ratio"] > max(p["rmspe_ratio"] for p in result["placebos"])
    assert result["se"] is None and result["ci"] is None and "placebo" in result["inference"]
    assert result["in_time_placebo"]["fake_start"] == 10
    # "Near zero": under a quarter of the planted effect of 3 (weekly gap noise sd ~0.4).
    assert abs(result["in_time_placebo"]["estimate"]) < 0.75
    assert [g["time"] for g in result["gap"]] == list(range(30))
    post = [g["gap"] for g in result["gap"] if g["time"] >= 20]
    assert np.mean(post) == pytest.approx(result["att"])
    assert "association" in result and result["warnings"] == []


def test_no_planted_effect_gives_no_small_p_value_and_a_near_zero_in_time_placebo():
    panel = simulated_panel(seed=2, effect=0.0)
    result = synthetic_control(
        panel, unit="queue", time="week", outcome="aht", treated_unit="pilot", treatment_start=20
    ).to_json()
    assert abs(result["att"]) < 0.5
    assert result["placebo_p_value"] > 0.2
    assert abs(result["in_time_placebo"]["estimate"]) < 0.75


def test_failed_placebos_are_left_out_of_the_rank_and_the_count():
    """A placebo without a post/pre ratio (NaN) once counted in the number of units but not
    in the rank, so the p-value could be smaller than the ranks allow."""
    nan, inf = float("nan"), float("inf")
    assert placebo_p_value(5.0, [1.0, 2.0, nan, nan]) == pytest.approx(1 / 3)
    assert placebo_p_value(2.0, [1.0, 2.0, inf, nan]) == pytest.approx(3 / 4)
    assert placebo_p_value(nan, [1.0, 2.0]) is None


def test_a_failed_placebo_fit_is_warned_about_and_not_counted(monkeypatch):
    from qa_app.domain.rollouts import synth as rollout_synth

    real = rollout_synth.in_space_placebos

    def two_fail(*args, **kwargs):
        # Two donors' placebo fits come back without a ratio, as a fit whose gaps before and
        # after the rollout are both exactly zero does.
        placebos = real(*args, **kwargs)
        for placebo in placebos[:2]:
            placebo["rmspe_ratio"] = float("nan")
        return placebos

    monkeypatch.setattr(rollout_synth, "in_space_placebos", two_fail)
    panel = simulated_panel(seed=1, effect=3.0, donors=8)
    result = synthetic_control(
        panel, unit="queue", time="week", outcome="aht", treated_unit="pilot", treatment_start=20
    ).to_json()
    # 8 donors, 2 failed: the pilot ranks first among 7 units (was 1/9: 1 over all 9).
    assert result["placebo_p_value"] == pytest.approx(1 / 7)
    assert "with 7 units the smallest possible value is 1/7" in result["inference"]
    assert [p["rmspe_ratio"] for p in result["placebos"][:2]] == [None, None]
    assert result["warnings"] == [
        "2 placebo fits failed and are left out of the in-space placebo p-value ('q00', "
        "'q01'): their gaps before and after the rollout are both zero, so they have no "
        "post/pre RMSPE ratio to rank."
    ]


def small_panel(units=("a", "b", "c", "d"), weeks=6, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        [
            {"queue": u, "week": f"2025-W{t + 10}", "csat": 4 + rng.normal(0, 0.2)}
            for u in units
            for t in range(weeks)
        ]
    )


def run(panel, **overrides):
    args = dict(unit="queue", time="week", outcome="csat", treated_unit="a")
    args["treatment_start"] = "2025-W14"
    args.update(overrides)
    return synthetic_control(panel, **args)


def test_bad_inputs_are_refused_with_the_problem_named():
    panel = small_panel()
    with pytest.raises(ValueError, match="treated unit 'zz' is not in the panel"):
        run(panel, treated_unit="zz")
    with pytest.raises(ValueError, match="at least 2 periods before the rollout"):
        run(panel, treatment_start="2025-W11")
    with pytest.raises(ValueError, match=r"1 unit-time cell\(s\) are missing.*unit 'c' at"):
        run(panel.drop(index=14))
    with pytest.raises(ValueError, match="at least 2 donor units"):
        run(small_panel(units=("a", "b")))
    with pytest.raises(ValueError, match="no column\\(s\\) 'score'"):
        run(panel, outcome="score")
    with pytest.raises(ValueError, match="not text"):
        run(panel, treatment_start=14)
    # 2025-W1 ... 2025-W6: as text, a seventh week 2025-W10 would sort before 2025-W2.
    unpadded = small_panel().assign(
        week=lambda f: "2025-W" + f["week"].str[-1:].astype(int).add(1).astype(str)
    )
    with pytest.raises(ValueError, match="period '2025-W1' is not zero-padded.*'2025-W01'"):
        run(unpadded, treatment_start="2025-W5")
    doubled = pd.concat([panel, panel.iloc[[3]]])
    with pytest.raises(ValueError, match="one row per unit and time"):
        run(doubled)


def test_few_pre_periods_and_a_treated_unit_outside_the_donors_are_warned_about():
    panel = small_panel()
    panel.loc[panel["queue"] == "a", "csat"] += 3  # far above every donor
    result = run(panel, in_time_placebo_periods=1).to_json()
    warnings = " ".join(result["warnings"])
    assert "Only 4 periods before the rollout" in warnings
    assert "above every donor's" in warnings
    assert "Poor pre-rollout fit" in warnings
    assert result["in_time_placebo"]["fake_start"] == "2025-W13"
    # Two pre-periods: a fake rollout one period earlier would leave one period to fit on.
    no_placebo = run(small_panel(), treatment_start="2025-W12").to_json()
    assert no_placebo["in_time_placebo"] is None
    assert "No in-time placebo" in " ".join(no_placebo["warnings"])


def test_dated_weeks_and_a_named_predictor_use_pysyncons_predictor_weight_search():
    panel = simulated_panel(seed=1, effect=3.0, donors=8)
    panel["week"] = pd.Timestamp("2025-01-06") + pd.to_timedelta(panel["week"] * 7, unit="D")
    panel["tenure"] = np.random.default_rng(0).normal(10, 2, len(panel))
    result = synthetic_control(
        panel,
        unit="queue",
        time="week",
        outcome="aht",
        treated_unit="pilot",
        treatment_start="2025-05-26",
        predictors=["tenure"],
    )
    out = json.loads(json.dumps(result.to_json()))
    assert out["treatment_start"] == "2025-05-26"
    assert out["gap"][0]["time"] == "2025-01-06"
    assert out["predictors"][-1] == "tenure (pre-period mean)"
    assert out["predictors"][1:4] == ["aht at 2025-01-06", "aht at 2025-03-10", "aht at 2025-05-19"]
    assert sum(out["weights"].get(q, 0) for q in ("q00", "q01", "q02")) > 0.7
    assert out["att"] == pytest.approx(3.0, abs=0.5)
    assert out["placebo_p_value"] == pytest.approx(1 / 9)
