"""Survival figures against published values: the Freireich et al. (1963) leukaemia data.

Freireich EJ et al. (1963), "The effect of 6-mercaptopurine on the duration of steroid-induced
remissions in acute leukemia", Blood 21:699–716: weeks in remission for 21 patients on 6-MP
(9 relapses, 12 censored) and 21 on placebo (all relapsed). The rows are R's MASS::gehan, as
lifelines ships them (lifelines/datasets/gehan.dat). Published figures:

- medians 23 weeks (6-MP) and 8 weeks (placebo), and the Kaplan–Meier table of the 6-MP group
  (0.857 at 6 weeks, 0.807 at 7, 0.753 at 10, 0.690 at 13, 0.627 at 16, 0.538 at 22, 0.448
  at 23): Kleinbaum & Klein, "Survival Analysis: A Self-Learning Text", 3rd ed. (2012), ch. 2;
- log-rank chi-square 16.79 (p < 0.0001): Kleinbaum & Klein, ch. 2;
- Cox hazard ratio of 6-MP against placebo with Efron's method for ties (R's coxph default;
  lifelines uses Efron too): exp(coef) 0.2076, 95% interval 0.0925 to 0.4659 (coef −1.572,
  se 0.412): G. Rodríguez, "Cox Regression", WWS 509 notes, Princeton, data.princeton.edu
  (R output for the Gehan data). Kleinbaum & Klein's 4.52 for placebo against 6-MP is the
  Breslow-method figure (Stata's default), 1/0.2211: not what lifelines computes.
- The placebo group has no censoring, so its restricted mean survival time up to its last
  relapse is the plain mean of its 21 remission times, 182/21 = 8.667 weeks, and the standard
  error of that mean (divisor n) is what the Greenwood-type formula reduces to (Kaplan & Meier
  1958, §7).
"""

from __future__ import annotations

import math
from datetime import datetime

import pytest

from qa_app.domain.survival.analysis import analyse, rmst_with_se
from qa_app.domain.survival.cohorts import Cohort, Member

# (treatment, weeks, relapsed): treatment 1 = 6-MP, 0 = placebo.
SIX_MP = [
    (6, 1), (6, 1), (6, 1), (6, 0), (7, 1), (9, 0), (10, 1), (10, 0), (11, 0), (13, 1), (16, 1),
    (17, 0), (19, 0), (20, 0), (22, 1), (23, 1), (25, 0), (32, 0), (32, 0), (34, 0), (35, 0),
]  # fmt: skip
PLACEBO = [
    (1, 1), (1, 1), (2, 1), (2, 1), (3, 1), (4, 1), (4, 1), (5, 1), (5, 1), (8, 1), (8, 1),
    (8, 1), (8, 1), (11, 1), (11, 1), (12, 1), (12, 1), (15, 1), (17, 1), (22, 1), (23, 1),
]  # fmt: skip


def members() -> list[Member]:
    rows = [(True, *r) for r in SIX_MP] + [(False, *r) for r in PLACEBO]
    return [
        Member(f"P{i}", f"C{i}", exposed, float(weeks), bool(relapsed), None, None, None, None,
               None)
        for i, (exposed, weeks, relapsed) in enumerate(rows)
    ]  # fmt: skip


@pytest.fixture(scope="module")
def report():
    cohort = Cohort("onboarding", "acknowledged", datetime(1963, 1, 1), (0, 30), members())
    return analyse(cohort, horizon=23)


def test_the_data_are_the_published_42_patients():
    assert len(SIX_MP) == len(PLACEBO) == 21
    assert sum(e for _, e in SIX_MP) == 9 and sum(e for _, e in PLACEBO) == 21
    assert sum(t for t, _ in PLACEBO) == 182


def test_medians_match_kleinbaum_and_klein(report):
    with_flag, without = report["groups"]
    assert (with_flag["group"], with_flag["n"], with_flag["events"]) == ("with", 21, 9)
    assert (without["group"], without["n"], without["events"]) == ("without", 21, 21)
    assert with_flag["median_days"] == 23.0
    assert without["median_days"] == 8.0


def test_logrank_matches_kleinbaum_and_klein(report):
    assert report["logrank"]["statistic"] == pytest.approx(16.79, abs=0.005)
    assert report["logrank"]["p_value"] < 0.0001


def test_cox_hazard_ratio_matches_efron_published(report):
    cox = report["cox"]
    assert cox["hazard_ratio"] == pytest.approx(0.2076, abs=0.0001)
    assert cox["ci"] == pytest.approx([0.0925, 0.4659], abs=0.0001)
    # Nothing to adjust for in this data set: each covariate is named and left out.
    assert cox["adjusted_for"] == []
    assert {c["covariate"] for c in cox["not_adjusted_for"]} == {
        "interaction_type",
        "channel",
        "agent_tenure_days",
    }
    assert cox["error"] is None


def test_rmst_matches_the_published_kaplan_meier_table(report):
    # Area under Kleinbaum & Klein's 6-MP table up to 23 weeks.
    steps = [(0, 6, 1.0), (6, 7, 0.857), (7, 10, 0.807), (10, 13, 0.753), (13, 16, 0.690),
             (16, 22, 0.627), (22, 23, 0.538)]  # fmt: skip
    published = sum((end - start) * s for start, end, s in steps)
    assert report["rmst"]["with"] == pytest.approx(published, abs=0.01)
    assert report["rmst"]["without"] == pytest.approx(182 / 21, abs=0.005)
    assert report["rmst"]["difference"] == pytest.approx(published - 182 / 21, abs=0.02)
    low, high = report["rmst"]["ci"]
    assert low < report["rmst"]["difference"] < high


def test_rmst_standard_error_reduces_to_that_of_the_mean_without_censoring():
    placebo = [m for m in members() if not m.exposed]
    mean, se = rmst_with_se(placebo, horizon=23)
    times = [m.days for m in placebo]
    plug_in = math.sqrt(sum((t - 182 / 21) ** 2 for t in times) / len(times) ** 2)
    assert mean == pytest.approx(182 / 21)
    assert se == pytest.approx(plug_in, rel=1e-9)
