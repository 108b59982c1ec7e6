"""Staggered difference-in-differences: a published value, planted effects and pre-trends,
placebos, and the coverage of the ATT interval."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qa_app.domain.rollouts.did import DidError, fit_did, prepare_panel, pretrend_sentence
from qa_app.domain.rollouts.evaluation import evaluate_did

MPDTA = Path(__file__).parents[2] / "data" / "mpdta.csv"


def _mpdta_fit(control: str = "never"):
    frame, notes = prepare_panel(
        pd.read_csv(MPDTA),
        unit="countyreal",
        time="year",
        outcome="lemp",
        first_treated="first.treat",
    )
    assert notes == []
    return fit_did(frame, control)


def test_minimum_wage_panel_matches_the_published_overall_att():
    """Callaway and Sant'Anna (2021), county teen employment panel `mpdta` (R package did).

    The did package's README and "Getting started" vignette print the simple aggregation with
    never-treated controls and no covariates as ATT -0.04 (SE about 0.012, bootstrap). The
    exact analytic figures below are R did's output for att_gt(yname = "lemp", tname =
    "year", idname = "countyreal", gname = "first.treat", xformla = ~1, control_group =
    "nevertreated", bstrap = FALSE) followed by aggte(type = "simple" / "dynamic"), as stored
    in d2cml-ai/csdid, csdid/test_csdid/r_ref/ref_aggte.csv and ref_pretest.csv (scenario
    mpdta_nev_dr; without covariates every did estimation method gives the same ATT(g,t)).
    """
    fit = _mpdta_fit()
    assert round(fit.att, 2) == -0.04
    assert fit.att == pytest.approx(-0.0399512751551763, abs=1e-6)
    assert fit.se == pytest.approx(0.0120340127701854, abs=1e-6)
    assert fit.ci[0] == pytest.approx(-0.0399512751551763 - 1.959964 * 0.0120340127701854, abs=1e-5)
    published_dynamic = {  # relative period: (estimate, se)
        -3: (0.0305066555832928, 0.01503356028013),
        -2: (-0.000563084626385429, 0.01329164473655),
        -1: (-0.0244587449711696, 0.0142364022105193),
        0: (-0.0199318167892593, 0.0118263640580582),
        1: (-0.0509573670651939, 0.016893476268678),
        2: (-0.137258738889403, 0.0364356642876865),
        3: (-0.100811363085404, 0.0343592258346733),
    }
    ours = {e["relative_period"]: (e["estimate"], e["se"]) for e in fit.event_study}
    assert set(ours) == set(published_dynamic)
    for period, (estimate, se) in published_dynamic.items():
        assert ours[period][0] == pytest.approx(estimate, abs=1e-5)
        assert ours[period][1] == pytest.approx(se, abs=1e-5)
    # R did's Wald pre-test over every pre-treatment ATT(g,t): W = 7.7912, p = 0.16812.
    assert fit.group_time_pretest["wald"] == pytest.approx(7.79123662720035, abs=1e-4)
    assert fit.group_time_pretest["p_value"] == pytest.approx(0.16812, abs=1e-4)
    # Our headline test is over the three event-study leads, with their joint covariance.
    assert fit.pretrend_leads == 3
    assert 0.05 < fit.pretrend_p_value < 0.2


def test_minimum_wage_panel_not_yet_treated_controls():
    """Same source, scenario mpdta_nyt_dr: simple ATT -0.0397636256230437, SE 0.01205242."""
    fit = _mpdta_fit("notyet")
    assert fit.att == pytest.approx(-0.0397636256230437, abs=1e-6)
    assert fit.se == pytest.approx(0.0120524247873419, abs=1e-6)


def simulate(seed, units=12, periods=6, effect=0.0, trend=0.0, cohorts=(0, 3, 5)):
    """Units split evenly over the cohorts (0 = never); two-way fixed effects, noise sd 1;
    ``trend`` per period for adopting units only (a violation of parallel trends)."""
    rng = np.random.default_rng(seed)
    unit_effect = rng.normal(0, 1, units)
    period_effect = rng.normal(0, 1, periods + 1)
    rows = []
    for i in range(units):
        cohort = cohorts[i % len(cohorts)]
        for t in range(1, periods + 1):
            treated = cohort > 0 and t >= cohort
            y = (
                unit_effect[i]
                + period_effect[t]
                + (trend * t if cohort else 0.0)
                + (effect if treated else 0.0)
                + rng.normal(0, 1)
            )
            rows.append((f"q{i:02d}", t, y, cohort))
    return pd.DataFrame(rows, columns=["queue", "week", "score", "adopted"])


def _report(panel, **kwargs):
    return evaluate_did(
        panel, unit="queue", time="week", outcome="score", first_treated="adopted", **kwargs
    ).to_json()


def test_planted_effect_is_recovered_with_quiet_pretrends_and_placebos():
    report = _report(simulate(seed=1, units=15, effect=2.0))
    assert report["method"] == "did"
    low, high = report["ci"]
    assert low <= 2.0 <= high and low > 0
    assert report["pretrend_p_value"] > 0.05
    assert report["pretrend"].startswith("no evidence against parallel trends")
    # Cohorts adopt in periods 3 and 5: one period early is 2 and 4; two early, 3 (the
    # period-3 cohort's fake start, 1, has no period before it and is left out).
    assert [p["shift_periods"] for p in report["placebos"]] == [1, 2]
    assert [p["fake_starts"] for p in report["placebos"]] == [[2, 4], [3]]
    assert [p["fake_start"] for p in report["placebos"]] == [2, 3]
    for placebo in report["placebos"]:
        assert placebo["ci"][0] <= 0 <= placebo["ci"][1]
        assert abs(placebo["estimate"]) < 1.0
    loo = report["sensitivity"]["leave_one_out"]
    assert loo["runs"] == 15 and loo["min"] <= report["att"] <= loo["max"]
    assert report["sensitivity"]["shorter_window"]["periods"] == [2, 5]
    assert "not_run" in report["sensitivity"]["longer_window"]
    # 15 units: the pre-trend test is read with care (see test_pretrend_size), nothing else.
    assert report["warnings"] == [
        "15 units: below 60 the pre-trend test rejects parallel trends too often (in "
        "simulation 11.5% at 12 units, 9% at 30 and 6.5% at 60, against 5%); read a rejection "
        "as a reason to look at the event study, not as proof"
    ]
    assert "association" in report["association"]
    at_adoption = next(e for e in report["event_study"] if e["relative_period"] == 0)
    assert at_adoption["ci"][0] <= 2.0 <= at_adoption["ci"][1]


def test_planted_pretrend_is_detected():
    frame, _ = prepare_panel(
        simulate(seed=4, units=30, trend=0.6),
        unit="queue",
        time="week",
        outcome="score",
        first_treated="adopted",
    )
    fit = fit_did(frame)
    assert fit.pretrend_p_value < 0.05
    assert pretrend_sentence(fit.pretrend_p_value).startswith("pre-trends differ")


def test_att_interval_covers_the_planted_effect_at_its_nominal_rate():
    """Seeded coverage of the 95% interval: 100 small panels (30 units, one cohort adopting
    in period 2 of 3), so that each fit is quick."""
    covered = 0
    for seed in range(100):
        frame, _ = prepare_panel(
            simulate(seed=1000 + seed, units=30, periods=3, effect=0.5, cohorts=(0, 2)),
            unit="queue",
            time="week",
            outcome="score",
            first_treated="adopted",
        )
        low, high = fit_did(frame, details=False).ci
        covered += low <= 0.5 <= high
    assert 88 <= covered <= 100  # 95 expected; 88 is three binomial SDs below


def test_panel_problems_are_named():
    panel = simulate(seed=1)
    with pytest.raises(DidError, match="no column 'team'"):
        prepare_panel(panel, unit="team", time="week", outcome="score", first_treated="adopted")
    doubled = pd.concat([panel, panel.iloc[[0]]])
    with pytest.raises(DidError, match="unit 'q00' has more than one row for period 1"):
        prepare_panel(doubled, unit="queue", time="week", outcome="score", first_treated="adopted")
    never = panel.assign(adopted=0)
    frame, _ = prepare_panel(
        never, unit="queue", time="week", outcome="score", first_treated="adopted"
    )
    with pytest.raises(DidError, match="no unit adopted"):
        fit_did(frame)


def test_units_that_cannot_be_compared_are_left_out_with_a_warning():
    panel = simulate(seed=2, units=15, cohorts=(0, 3, 5, 1, 9))
    panel = panel[~((panel["queue"] == "q00") & (panel["week"] == 2))]
    report = _report(panel)
    text = " ".join(report["warnings"])
    assert "3 unit(s) adopted in or before the first period" in text
    assert "3 unit(s) adopted after the last period" in text and "never treated" in text
    assert "1 unit-period(s) have no value (1 unit(s): q00): the panel is unbalanced" in text
    assert report["units"] == 12


def test_without_never_treated_units_not_yet_treated_are_the_controls():
    report = _report(simulate(seed=5, units=12, cohorts=(3, 5, 6), effect=1.0))
    assert report["control_group"] == "not_yet_treated"
    assert any("no unit is never treated" in w for w in report["warnings"])
    # The 8 units adopting in weeks 5 and 6 are the comparison before they adopt (not 0).
    assert (report["treated_units"], report["control_units"]) == (12, 8)
    assert not any(w.startswith("few units") for w in report["warnings"])
    few = _report(simulate(seed=5, units=6, cohorts=(3, 5, 6), effect=1.0))
    assert (few["treated_units"], few["control_units"]) == (6, 4)
    assert any(w.startswith("few units (6 adopting, 4 comparison)") for w in few["warnings"])


def test_a_panel_with_no_estimable_effect_is_refused_in_words():
    """Adopting units seen only after adoption have nothing to compare with."""
    panel = simulate(seed=6, units=12, cohorts=(0, 3))
    adopting = panel["adopted"] > 0
    panel = panel[~adopting | (panel["week"] >= 3)]
    with pytest.raises(DidError, match="no group-time effect could be estimated"):
        evaluate_did(panel, unit="queue", time="week", outcome="score", first_treated="adopted")


UPGRADE_NOTE = (
    "differences {version}: the pre-trend tests in qa_app/domain/rollout_did.py (_leads_wald, "
    "_group_time_pretest) read this library's internals, which have no public accessor: {what}. "
    "After upgrading `differences`, find where the event aggregation keeps each relative "
    "period's ATT and influence function, and where the ATT(g,t) results and wald_pre_test "
    "live, then update those two functions (the mpdta test checks the figures)."
)


def test_the_differences_internals_the_pretrend_tests_read_are_there():
    """Written for differences 0.3.0. If this fails after an upgrade, read its message."""
    import differences
    from differences.models.attgt import utility_ntl

    from qa_app.domain.rollouts.did import _aggregate, _run

    def need(condition, what):
        assert condition, UPGRADE_NOTE.format(version=differences.__version__, what=what)

    for name in ("get_vcv_from_if", "stack_influence_funcs", "wald_pre_test"):
        need(callable(getattr(utility_ntl, name, None)), f"utility_ntl.{name} is gone")
    frame, _ = prepare_panel(
        simulate(seed=4, units=9),
        unit="queue",
        time="week",
        outcome="score",
        first_treated="adopted",
    )
    model, _ = _run(frame, "never_treated", 0.05)
    public = _aggregate(model, "event", 0.05)
    results = getattr(model, "_result_dict", None)
    need(isinstance(results, dict) and "full_sample" in results, "model._result_dict changed")
    full = results["full_sample"]
    need("aggregate_inst" in full and "ATTgt_ntl" in full, f"its keys are now {sorted(full)}")
    event = list(full["aggregate_inst"].event)
    need(event, "aggregate_inst.event is empty after an event aggregation")
    for field in ("relative_period", "ATT", "influence_func"):
        need(all(hasattr(r, field) for r in event), f"event rows have no '{field}'")
    need(
        [int(r.relative_period) for r in event] == [int(k) for k in public.index]
        and np.allclose([r.ATT for r in event], public["ATT"]),
        "the event rows no longer match the public event aggregation (period by period)",
    )
    lead = next(r for r in event if r.relative_period == -1)
    need(np.shape(lead.influence_func) == (9,), "influence_func is not one value per unit")
    pretest = utility_ntl.wald_pre_test(full["ATTgt_ntl"])
    need({"W", "p_value"} <= set(pretest), "wald_pre_test no longer returns W and p_value")


def test_a_tiny_pretrend_p_value_from_few_units_is_not_printed_as_a_figure():
    """With 2 adopting and 3 comparison units the asymptotic test gives p-values like 3.5e-37:
    shown as "p < 0.001" and said to be rough, not as a figure nobody can stand behind."""
    sentence = pretrend_sentence(3.54e-37, "2 adopting, 3 comparison")
    assert sentence.startswith("pre-trends differ: p < 0.001 (with only 2 adopting, 3 comparison")
    assert "e-37" not in sentence and "rejects too often" in sentence
    assert pretrend_sentence(0.41) == "no evidence against parallel trends (p = 0.41)"
    assert pretrend_sentence(0.003).startswith("pre-trends differ: p = 0.003 —")
