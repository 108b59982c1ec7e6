"""Cluster-robust errors for the experiment's analysis (qa_app.domain.experiments.analysis):
statsmodels OLS with the covariance clustered by randomisation unit (CR1, t on G − 1 degrees of
freedom), the effect's interval and p-value when 30 or more units have data, and the Wald test
that the effect is the same in every level of an equity subgroup.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

MIN_INTERACTION_UNITS = 10


def cluster_robust_ols(y, exog: pd.DataFrame, groups):
    """statsmodels OLS of ``y`` on the columns of ``exog`` (include the constant) with the
    covariance clustered by ``groups``: Stata's CR1 (small-sample factor
    G/(G − 1)·(N − 1)/(N − K)) and t on G − 1 degrees of freedom. The one place the
    experiment's clustered errors come from (validated on Petersen's test data). Arrays rather
    than a formula: the formula parser costs more than the fit on a report's many small fits."""
    import statsmodels.api as sm

    codes = pd.factorize(pd.Series(np.asarray(groups)))[0]
    return sm.OLS(np.asarray(y, dtype=float), exog.astype(float)).fit(
        cov_type="cluster", cov_kwds={"groups": codes}, use_t=True
    )


def cluster_estimate(data, alpha):
    """OLS value ~ treated with the units as clusters: effect, CI, p-value, warnings."""
    exog = pd.DataFrame({"const": 1.0, "treated": data["treated"].to_numpy(dtype=float)})
    fit = cluster_robust_ols(data["value"], exog, data["unit"])
    effect = float(fit.params["treated"])
    # The variances before their square roots: with few clusters the clustered covariance can
    # be singular and a variance zero or (by rounding) negative, which must not reach the
    # user as a NaN error (statsmodels' bse would warn "invalid value encountered in sqrt").
    variances = np.diag(np.asarray(fit.cov_params(), dtype=float))
    if (
        not np.all(np.isfinite(variances))
        or variances.min() <= (1e-12 * max(1.0, abs(effect))) ** 2
    ):
        return effect, None, None, ["values do not vary within the arms; no error can be estimated"]
    lo, hi = fit.conf_int(alpha=alpha).loc["treated"]
    return effect, (float(lo), float(hi)), float(fit.pvalues["treated"]), []


def interaction_p(data, variable, few_units):
    """Cluster-robust Wald F test that the effect is the same in every level of ``variable``."""
    both = data.groupby(variable)["treated"].agg(lambda t: t.min() == 0 and t.max() == 1)
    levels = sorted(both[both].index)
    if len(levels) < 2:
        return (
            None,
            f"{variable}: fewer than two levels have calls in both arms; no interaction test",
        )
    frame = data[data[variable].isin(levels)]
    n_clusters = frame["unit"].nunique()
    # The model has 2 × levels coefficients; the clustered covariance is built from one score
    # per unit, and those scores sum to zero, so it has rank at most units − 1: with fewer
    # units than coefficients + 1 it is singular and the test (and its errors) meaningless.
    needed = 2 * len(levels) + 1
    if few_units and n_clusters < MIN_INTERACTION_UNITS:
        # Clustered errors over-reject badly with a handful of clusters (Cameron & Miller
        # 2015): a p-value of 0.002 from five queues would be a number we cannot stand behind.
        return (
            None,
            f"{variable}: only {n_clusters} units; an interaction test needs at least "
            f"{MIN_INTERACTION_UNITS} to be trusted, so none is shown: read the subgroup "
            "effects as exploratory",
        )
    if n_clusters < needed:
        return (
            None,
            f"{variable}: too few units ({n_clusters}) for an interaction test over "
            f"{len(levels)} levels (it needs at least {needed}); no interaction test",
        )
    treated = frame["treated"].to_numpy(dtype=float)
    exog = pd.DataFrame({"const": 1.0, "treated": treated})
    for level in levels[1:]:  # the first level is the reference
        exog[f"level:{level}"] = (frame[variable] == level).to_numpy(dtype=float)
    for level in levels[1:]:
        exog[f"treated:{level}"] = treated * exog[f"level:{level}"]
    fit = cluster_robust_ols(frame["value"], exog, frame["unit"])
    names = list(exog.columns)
    terms = [i for i, n in enumerate(names) if n.startswith("treated:")]
    restriction = np.zeros((len(terms), len(names)))
    for row, i in enumerate(terms):
        restriction[row, i] = 1.0
    cov = np.asarray(fit.cov_params(), dtype=float)
    block = cov[np.ix_(terms, terms)]
    eigen = np.linalg.eigvalsh((block + block.T) / 2) if np.all(np.isfinite(block)) else [-1.0]
    if not np.all(np.isfinite(cov)) or np.min(eigen) <= 1e-12 * max(1.0, float(np.max(eigen))):
        # Too few units carry each level in each arm for the clustered covariance of the
        # interaction terms to be of full rank: no test rather than a NaN or a false p-value.
        return None, (
            f"{variable}: too few units carry each level in both arms to estimate the "
            "interaction's error; no interaction test"
        )
    test = fit.wald_test(restriction, use_f=True, scalar=True)
    note = None
    if few_units:
        note = (
            f"{variable}: interaction test from cluster-robust errors with only "
            f"{n_clusters} units; approximate"
        )
    return float(test.pvalue), note
