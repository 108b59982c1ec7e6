"""Design-based figures for weighted calls: rates and means with intervals from the design.

A call drawn by a sampling plan carries its design weight 1/π; a call reviewed outside any
plan carries a weight that takes it back to the interaction mix. Either way the figure is a
Hájek ratio estimate Σwy / Σw, and its variance comes from Taylor linearisation with the
strata the calls were drawn in and each stratum's population size (finite population
correction), as survey packages compute it. The estimators are svy's (the maintained successor
of samplics, by the same authors); here we only arrange the calls and read the result.

- **Rates** (0/1 values): Korn–Graubard interval (Clopper–Pearson on the design's effective
  sample size and degrees of freedom; Korn & Graubard 1998), in the NCHS form svy implements,
  which caps the effective sample size at n (so it is never narrower than an unweighted
  sample's; R's svyciprop(method="beta") does not cap, and differs when the design effect is
  below 1). It stays inside [0, 1] and still gives an interval when every call or none has
  the flag, where the logit interval cannot. Measured coverage (tests/domain/
  test_survey_estimates_coverage.py): 96.6% with 40 calls from each small stratum and 120
  from the large one; with only 40 from a stratum where the flag is rare (10%) it falls to
  about 91%, the skew no interval of this family captures.
- **Means**: the t interval on the Taylor standard error with the design's degrees of freedom.
- **Effective n**: Kish's (Σw)² / Σw², how many equally weighted calls the weighted ones are
  worth; shown beside every weighted figure.

The unweighted figure is shown beside the weighted one, so a reader sees what the weighting
moved. svy (and polars under it) is imported on first use: command-line help stays fast.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

from qa_app.domain.comparison_statistics import effective_n

RATE_METHOD = "Hájek weighted rate; Korn–Graubard 95% interval, Taylor linearisation with strata"
MEAN_METHOD = "Hájek weighted mean; t 95% interval, Taylor linearisation with strata"
# A stratum with a single reviewed call has no variance of its own: its deviation is taken
# from the overall mean instead (R survey's lonely.psu = "adjust"), which errs wide.
SINGLETON_RULE = "center"
SMALL_SAMPLE = 30


@dataclass(frozen=True)
class DesignEstimate:
    """One weighted figure with what a reader needs to trust it."""

    n: int
    estimate: float | None
    unweighted: float | None
    ci: tuple[float, float] | None
    se: float | None
    effective_n: float

    def as_dict(self, rate: bool = True) -> dict:
        """The JSON shape of ``flags summary``: n, rate, weighted_rate, ci, effective_n."""
        key = "rate" if rate else "mean"
        return {
            "n": self.n,
            key: _rounded(self.unweighted),
            f"weighted_{key}": _rounded(self.estimate),
            "ci": None if self.ci is None else [_rounded(self.ci[0]), _rounded(self.ci[1])],
            "effective_n": round(self.effective_n, 1),
            # Too few calls' worth of information to read the figure (as on the coach page).
            "too_small": self.effective_n < SMALL_SAMPLE,
        }


@dataclass(frozen=True)
class DesignCall:
    """One reviewed call as the estimator sees it."""

    value: float | None
    weight: float
    stratum: str
    group: Hashable = None


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def design_estimates(
    calls: Sequence[DesignCall],
    stratum_sizes: Mapping[str, int] | None = None,
    rate: bool = True,
    alpha: float = 0.05,
) -> dict[Hashable, DesignEstimate]:
    """Weighted estimate of the values for every group of ``calls`` (groups are domains of
    one design, so each group's variance keeps the strata of the whole sample).

    ``stratum_sizes``: population size per stratum for the finite population correction; a
    stratum missing from it is treated as drawn from a large population. Calls with no value
    (a flag that does not apply) are left out; a group with no calls left is absent.
    """
    import numpy as np

    order: dict[Hashable, int] = {}
    for call in calls:
        if call.value is not None and call.weight > 0:
            order.setdefault(call.group, len(order))
    found = design_estimates_arrays(
        np.array([np.nan if c.value is None else c.value for c in calls], dtype=np.float64),
        np.array([c.weight for c in calls], dtype=np.float64),
        np.array([c.stratum for c in calls], dtype=object),
        np.array([order.get(c.group, -1) for c in calls], dtype=np.int64),
        stratum_sizes,
        rate,
        alpha,
    )
    return {group: found[code] for group, code in order.items() if code in found}


def design_estimates_arrays(
    y, w, stratum, domain, stratum_sizes: Mapping | None = None, rate: bool = True,
    alpha: float = 0.05,
) -> dict[int, DesignEstimate]:
    """:func:`design_estimates` on per-call arrays, for analyses that read a hundred
    thousand calls: ``y`` the value (NaN: none), ``w`` the weight, ``stratum`` the design
    stratum, ``domain`` an integer group code (-1: in no group, yet in the design). Returns
    each group code's estimate; one svy call for every group of the column."""
    import numpy as np

    y = np.asarray(y, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    domain = np.asarray(domain, dtype=np.int64)
    kept = np.isfinite(y) & (w > 0)
    y, w, domain, stratum = y[kept], w[kept], domain[kept], np.asarray(stratum)[kept]
    if rate and np.any((y != 0) & (y != 1)):
        raise ValueError("a rate needs values 0 or 1")
    if not len(y):
        return {}
    grouped = domain >= 0
    codes = domain[grouped]
    size = int(codes.max()) + 1 if len(codes) else 0
    n = np.bincount(codes, minlength=size)
    total = np.bincount(codes, w[grouped], minlength=size)
    weighted = np.bincount(codes, w[grouped] * y[grouped], minlength=size)
    plain = np.bincount(codes, y[grouped], minlength=size)
    squares = np.bincount(codes, w[grouped] ** 2, minlength=size)
    intervals = _intervals(y, w, stratum, domain, stratum_sizes or {}, rate, alpha)
    result = {}
    for code in np.flatnonzero(n).tolist():
        ci, se = intervals.get(code, (None, None))
        result[code] = DesignEstimate(
            n=int(n[code]),
            estimate=float(weighted[code] / total[code]),
            unweighted=float(plain[code] / n[code]),
            ci=ci,
            se=se,
            effective_n=effective_n(float(total[code]), float(squares[code])),
        )
    return result


def _intervals(y, w, stratum, domain, sizes: Mapping, rate: bool, alpha: float) -> dict:
    """Interval and standard error per domain code, from svy's Taylor linearisation."""
    import numpy as np
    import polars as pl
    import svy

    names, codes = np.unique(stratum, return_inverse=True)
    # Strata without a known size: a population far larger than the sample (no FPC).
    unknown = float(max(1, len(y)) * 1_000_000)
    population = np.array([float(sizes.get(name) or unknown) for name in names.tolist()])
    frame = pl.DataFrame(
        {
            "y": y.astype(np.int64) if rate else y,
            "w": w,
            "stratum": codes.reshape(-1).astype(np.int64),
            "group": domain,
            "N": population[codes.reshape(-1)],
        }
    )
    design = svy.Design(stratum="stratum", wgt="w", pop_size="N", singleton=SINGLETON_RULE)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sample = svy.Sample(frame, design)
        if rate:
            result = sample.estimation.prop("y", by="group", ci_method="korn-graubard", alpha=alpha)
        else:
            result = sample.estimation.mean("y", by="group", alpha=alpha)
    found: dict[int, tuple[tuple[float, float] | None, float | None]] = {}
    for row in result.to_dicts():
        group = int(row["by_level"][0])
        lo, hi = row["lci"], row["uci"]
        if rate:
            level = row["y_level"]
            if level == 0:  # the interval of "not flagged": flagged is its mirror image
                if group in found:
                    continue
                lo, hi = 1 - hi, 1 - lo
        ci = (lo, hi) if _finite(lo) and _finite(hi) else None
        se = row["se"] if _finite(row["se"]) else None
        found[group] = (ci, se)
    return found


def _finite(value) -> bool:
    return value is not None and math.isfinite(value)


@dataclass(frozen=True)
class DesignDifference:
    """Weighted mean (or rate) of the calls in domain 1 minus that of domain 0, with its
    design-based interval (Taylor linearisation with strata; t on the design's df)."""

    difference: float | None
    ci: tuple[float, float] | None
    se: float | None


DIFFERENCE_METHOD = (
    "difference of Hájek weighted means of the two sides, Taylor linearisation with strata "
    "(svy contrast of domain means), t interval on the design's degrees of freedom, 95%"
)


def design_difference(
    calls: Sequence[DesignCall],
    stratum_sizes: Mapping[str, int] | None = None,
    alpha: float = 0.05,
) -> DesignDifference:
    """The difference between the calls whose ``group`` is 1 (or True) and those whose group
    is 0, each side's figure a weighted mean of ``value``, as domains of one design.

    Calls outside both sides, with no value or with no weight, are left out of both sides but
    keep their stratum in the design. Either side empty: no difference.
    """
    import polars as pl
    import svy

    kept = [c for c in calls if c.value is not None and c.weight > 0]
    sides = {bool(c.group) for c in kept if c.group in (0, 1)}
    if sides != {False, True}:
        return DesignDifference(None, None, None)
    sizes = stratum_sizes or {}
    largest = max(1, len(kept))
    frame = pl.DataFrame(
        {
            "y": [float(c.value) for c in kept],
            "w": [float(c.weight) for c in kept],
            "stratum": [c.stratum for c in kept],
            "side": [("with" if c.group else "without") if c.group in (0, 1) else "other"
                     for c in kept],  # fmt: skip
            "N": [float(sizes.get(c.stratum) or largest * 1_000_000) for c in kept],
        }
    )
    design = svy.Design(stratum="stratum", wgt="w", pop_size="N", singleton=SINGLETON_RULE)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sample = svy.Sample(frame, design)
        means = sample.estimation.mean("y", by="side", alpha=alpha)
        contrast = means.contrast({"d": {"with": 1, "without": -1}}, alpha=alpha)
    row = contrast.to_dicts()[0]
    ci = (row["lci"], row["uci"]) if _finite(row["lci"]) and _finite(row["uci"]) else None
    return DesignDifference(row["est"], ci, row["se"] if _finite(row["se"]) else None)


def domain_differences(
    y,
    w,
    stratum,
    domain,
    pairs: Sequence[tuple[int, int]],
    stratum_sizes: Mapping | None = None,
    alpha: float = 0.05,
):
    """Many :func:`design_difference` at once: for each (with, without) pair of domain codes,
    the weighted mean of ``y`` over the calls of domain ``with`` minus that over domain
    ``without``, all domains of one stratified design, from one svy ``estimation.mean`` by
    domain and one ``contrast`` of all the pairs.

    ``y``, ``w``, ``stratum`` and ``domain`` are per-call arrays: the value, the weight, the
    design stratum (integer codes or strings) and an integer domain code, -1 for a call in no
    domain (it keeps its stratum in the design, with a zero deviation, as in
    :func:`design_difference`). A call may be in one domain only: the domains are a partition
    of the calls, so comparisons that share calls need one call of this function each.
    Calls with no weight (or a missing value) are left out. ``stratum_sizes``: population
    size per stratum (each at least the calls drawn from it), for the finite population
    correction; a stratum without one is given a population a million times the sample, as
    :func:`design_difference` does.

    Returns four arrays, one entry per pair: difference, standard error, low and high of the
    (1 − alpha) t interval on the design's degrees of freedom; NaN where a side has no calls
    (or where svy gives no variance).

    Cost: svy's kernel passes over every call once per domain (about 0.07 s of CPU per
    domain at a million calls), so the number of domains, not of calls to this function, sets it.
    """
    import numpy as np
    import polars as pl
    import svy

    y = np.asarray(y, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    domain = np.asarray(domain, dtype=np.int64)
    stratum = np.asarray(stratum)
    size = len(pairs)
    difference, se, low, high = (np.full(size, np.nan) for _ in range(4))
    kept = (w > 0) & np.isfinite(y)
    if not kept.all():
        y, w, domain, stratum = y[kept], w[kept], domain[kept], stratum[kept]
    present = set(np.unique(domain[domain >= 0]).tolist())
    asked = [i for i, (a, b) in enumerate(pairs) if a in present and b in present]
    if not asked:
        return difference, se, low, high
    # Strata as codes 0..H-1, and each call's stratum population (unknown: far larger).
    names, codes = np.unique(stratum, return_inverse=True)
    sizes = stratum_sizes or {}
    unknown = float(max(1, len(y)) * 1_000_000)
    population = np.array([float(sizes.get(name) or unknown) for name in names.tolist()])
    frame = pl.DataFrame(
        {
            "y": y,
            "w": w,
            "stratum": codes.reshape(-1).astype(np.int64),
            "domain": domain,
            "N": population[codes.reshape(-1)],
        }
    )
    design = svy.Design(stratum="stratum", wgt="w", pop_size="N", singleton=SINGLETON_RULE)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sample = svy.Sample(frame, design)
        means = sample.estimation.mean("y", by="domain", alpha=alpha)
        # svy names a domain's estimate by its code (an int for an integer column).
        contrast = means.contrast(
            {f"c{i}": {int(pairs[i][0]): 1, int(pairs[i][1]): -1} for i in asked}, alpha=alpha
        )
    for i, row in zip(asked, contrast.to_dicts(), strict=True):
        difference[i], se[i], low[i], high[i] = row["est"], row["se"], row["lci"], row["uci"]
    return difference, se, low, high
