"""Design-based estimates against published figures for a stratified sample: R survey's apistrat.

``apistrat`` (R package survey, data ``api``) is a stratified simple random sample without
replacement of 200 California schools: 100 elementary (E), 50 middle (M), 50 high (H) schools
from populations of 4421, 1018 and 755 (column ``fpc``), weights ``pw`` = N_h / n_h. The
design in R is ``svydesign(id=~1, strata=~stype, weights=~pw, data=apistrat, fpc=~fpc)``.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest
from scipy import stats

from qa_app.domain.sampling.estimates import DesignCall, DesignEstimate, design_estimates

APISTRAT = Path(__file__).resolve().parents[2] / "data" / "apistrat.csv"


def _rows() -> list[dict[str, str]]:
    with APISTRAT.open(newline="") as handle:
        return list(csv.DictReader(handle))


def _stratum_sizes(rows) -> dict[str, int]:
    return {row["stype"]: int(row["fpc"]) for row in rows}


def _estimate(rows, value, stratum_sizes, rate: bool) -> DesignEstimate:
    calls = [DesignCall(value(row), float(row["pw"]), row["stype"]) for row in rows]
    return design_estimates(calls, stratum_sizes, rate=rate)[None]


def _yes(column: str):
    return lambda row: 1.0 if row[column] == "Yes" else 0.0


def test_data_file_is_the_apistrat_sample():
    rows = _rows()
    assert len(rows) == 200
    counts = {s: sum(r["stype"] == s for r in rows) for s in "EMH"}
    assert counts == {"E": 100, "M": 50, "H": 50}
    assert _stratum_sizes(rows) == {"E": 4421, "M": 1018, "H": 755}


def test_mean_api00_matches_svymean():
    """``svymean(~api00, dstrat)``: mean 662.29, SE 9.4089.

    Printed in R package survey 4.5, tests/testoutput/api.Rout.saved (the output of the
    man/api.Rd example ``svymean(~api00, dstrat)``): estimate to 2 decimals, SE to 4.
    """
    result = _estimate(_rows(), lambda r: float(r["api00"]), _stratum_sizes(_rows()), rate=False)
    assert result.n == 200
    assert round(result.estimate, 2) == 662.29
    assert round(result.se, 4) == 9.4089
    assert result.unweighted == pytest.approx(652.82, abs=1e-9)  # plain mean of the 200 rows


def test_mean_interval_is_t_on_design_degrees_of_freedom():
    """Not a published interval: the documented t interval, 200 rows - 3 strata = 197 df."""
    result = _estimate(_rows(), lambda r: float(r["api00"]), _stratum_sizes(_rows()), rate=False)
    half = stats.t.ppf(0.975, 197) * result.se
    assert result.ci == pytest.approx((result.estimate - half, result.estimate + half), abs=1e-6)


def test_published_se_needs_the_finite_population_correction():
    """Without the stratum sizes the SE is the with-replacement one (9.5361), not 9.4089:
    the published figure is reproduced only because the FPC is applied."""
    rows = _rows()
    without = _estimate(rows, lambda r: float(r["api00"]), None, rate=False)
    assert round(without.estimate, 2) == 662.29
    assert round(without.se, 4) == 9.5361
    with_fpc = _estimate(rows, lambda r: float(r["api00"]), _stratum_sizes(rows), rate=False)
    # Each stratum's variance term shrinks by (1 - n_h/N_h): 2.3%, 4.9%, 6.6%.
    assert with_fpc.se < without.se


def _cochran_stratified(rows, value) -> tuple[float, float]:
    """Stratified estimate and SE with FPC: sum W_h ybar_h, sqrt(sum W_h^2 (1-f_h) s_h^2/n_h)
    (Cochran 1977, Sampling Techniques, ch. 5; for 0/1 values s_h^2 = n_h p_h q_h/(n_h - 1))."""
    sizes = _stratum_sizes(rows)
    total = sum(sizes.values())
    estimate = variance = 0.0
    for stratum, size in sizes.items():
        ys = [value(r) for r in rows if r["stype"] == stratum]
        n = len(ys)
        mean = sum(ys) / n
        s2 = sum((y - mean) ** 2 for y in ys) / (n - 1)
        estimate += size / total * mean
        variance += (size / total) ** 2 * (1 - n / size) * s2 / n
    return estimate, math.sqrt(variance)


def test_cochran_formula_reproduces_the_published_mean():
    """The closed form used for the proportions below gives svymean's published 662.29 / 9.4089."""
    estimate, se = _cochran_stratified(_rows(), lambda r: float(r["api00"]))
    assert (round(estimate, 2), round(se, 4)) == (662.29, 9.4089)


@pytest.mark.parametrize(
    ("column", "estimate", "se", "unweighted"),
    [("sch.wide", 0.82795, 0.02434, 152 / 200), ("awards", 0.63894, 0.03441, 113 / 200)],
)
def test_proportion_estimate_and_se(column, estimate, se, unweighted):
    """Proportion of schools that met the school-wide growth target (``sch.wide``) and that
    are eligible for awards (``awards``), rate=True.

    No published figure for a proportion in apistrat was found: survey 4.5's tests/*.Rout.save
    and man pages print none (svyciprop's examples use the cluster samples dclus1/rclus1,
    which this module cannot express). So the estimate and SE are checked against the
    closed-form stratified estimator with FPC (Cochran 1977, ch. 5) -- the formula that
    reproduces the published svymean figures above, which is what ``svymean(~sch.wide,
    dstrat)`` computes for this design -- and the figures are printed here to 5 digits.
    No interval is asserted: there is no published svyciprop(method="beta") figure for this
    design, and design_estimates' Korn-Graubard interval is the NCHS variant (effective n
    truncated at n), which differs from R's "beta" when the design effect is below 1.
    """
    rows = _rows()
    result = _estimate(rows, _yes(column), _stratum_sizes(rows), rate=True)
    oracle_estimate, oracle_se = _cochran_stratified(rows, _yes(column))
    assert result.estimate == pytest.approx(oracle_estimate, abs=1e-8)
    assert result.se == pytest.approx(oracle_se, abs=1e-8)
    assert (round(result.estimate, 5), round(result.se, 5)) == (estimate, se)
    assert result.unweighted == pytest.approx(unweighted, abs=1e-12)
    assert 0 <= result.ci[0] < result.estimate < result.ci[1] <= 1
