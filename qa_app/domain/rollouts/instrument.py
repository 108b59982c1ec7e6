"""Two-stage least squares for a rollout whose exposure was not randomised.

When who got the intervention (``exposure``, e.g. the share of an agent's calls after their
empathy training) was chosen by people, an instrument that shifts exposure for reasons
unrelated to the outcome — the timing of a policy change, a supervisor rotation — can isolate
the part of exposure that is as good as random. The estimator is linearmodels' ``IV2SLS``;
this module checks the table, picks the covariance, and explains the numbers:

* ``estimate``, ``se``, ``ci``, ``p_value`` for the exposure's coefficient, with
  heteroskedasticity-robust errors, or errors clustered by ``cluster`` when given, and the
  small-sample correction (``debiased=True``: t and F reference distributions);
* ``first_stage_f``: the F-statistic of the excluded instrument(s) in the first stage
  (exposure on instruments and controls), from linearmodels' ``first_stage.diagnostics``.
  For robust and clustered errors linearmodels reports the Wald statistic; divided here by the
  number of instruments to give the F form other software reports (e.g. R's ivreg, Stata's
  ivreg2). ``weak_instrument`` is F < 10 (Staiger & Stock 1997's rule of thumb; Stock & Yogo
  2005 give sharper critical values): a weak instrument biases 2SLS towards the confounded
  least-squares estimate and makes its interval unreliable.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = ["IVResult", "two_stage_least_squares"]

WEAK_F = 10.0
FEW_CLUSTERS = 20
COV_TYPES = ("robust", "clustered", "unadjusted")

ASSOCIATION = (
    "Two-stage least squares reads the instrument's effect on the outcome through its effect on "
    "exposure. It is causal only if the instrument changes the outcome through exposure alone "
    "(no other path) and is as good as randomly assigned given the controls; neither can be "
    "checked from these data. Otherwise the estimate is an association. It describes the units "
    "whose exposure the instrument actually moved, not necessarily everyone."
)


@dataclass
class IVResult:
    """A 2SLS estimate of the exposure's effect with first-stage strength; see the module."""

    outcome: str
    exposure: str
    instruments: list[str]
    estimate: float
    se: float
    ci: tuple[float, float]
    p_value: float
    first_stage_f: float
    weak_instrument: bool
    n: int
    cov_type: str
    level: float = 0.95
    first_stage_partial_r2: float | None = None
    n_clusters: int | None = None
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        """A JSON-ready dict."""
        return {
            "method": "2sls",
            "outcome": self.outcome,
            "exposure": self.exposure,
            "instruments": list(self.instruments),
            "estimate": _finite(self.estimate),
            "se": _finite(self.se),
            "ci": [_finite(self.ci[0]), _finite(self.ci[1])],
            "level": self.level,
            "p_value": _finite(self.p_value),
            "first_stage_f": _finite(self.first_stage_f),
            "first_stage_partial_r2": _finite(self.first_stage_partial_r2),
            "weak_instrument": self.weak_instrument,
            "first_stage": _first_stage_words(self.first_stage_f, len(self.instruments)),
            "n": self.n,
            "cov_type": self.cov_type,
            "n_clusters": self.n_clusters,
            "warnings": list(self.warnings),
            "association": ASSOCIATION,
        }


def _finite(value: float | None) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _first_stage_words(f_stat: float, q: int) -> str:
    strength = "weak" if f_stat < WEAK_F else "strong enough by the usual rule"
    return (
        f"The instrument{'s' if q > 1 else ''} shift{'' if q > 1 else 's'} exposure with a "
        f"first-stage F of {f_stat:.1f}: {strength} (an F below {WEAK_F:.0f} marks a weak "
        "instrument, Staiger and Stock 1997)."
    )


def _check(
    frame: pd.DataFrame,
    outcome: str,
    exposure: str,
    instruments: list[str],
    controls: list[str],
    cluster: str | None,
) -> None:
    """Raise ValueError naming what is wrong with the columns or their values."""
    if not isinstance(frame, pd.DataFrame):
        raise ValueError("the data must be a table (pandas DataFrame)")
    if not instruments:
        raise ValueError("name at least one instrument")
    roles = {outcome: "outcome", exposure: "exposure"}
    for col in [*instruments, *controls]:
        if col in roles:
            raise ValueError(
                f"column {col!r} is the {roles[col]}; it cannot also be an instrument or control"
            )
    overlap = sorted(set(instruments) & set(controls))
    if overlap:
        raise ValueError(
            f"column(s) {', '.join(map(repr, overlap))} are both instruments and controls; "
            "an instrument must be excluded from the outcome equation"
        )
    numeric = list(dict.fromkeys([outcome, exposure, *instruments, *controls]))
    wanted = numeric + ([cluster] if cluster else [])
    missing = [c for c in dict.fromkeys(wanted) if c not in frame.columns]
    if missing:
        raise ValueError(
            f"the data have no column(s) {', '.join(map(repr, missing))}; "
            f"columns are {', '.join(map(repr, frame.columns))}"
        )
    for col in numeric:
        if not pd.api.types.is_numeric_dtype(frame[col]):
            raise ValueError(f"column {col!r} must hold numbers")
        bad = frame[col].isna() | ~np.isfinite(frame[col].astype(float))
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise ValueError(
                f"column {col!r} is missing or not finite in {int(bad.sum())} row(s); "
                f"first: row {row + 1}"
            )
    if cluster and frame[cluster].isna().any():
        row = int(np.flatnonzero(frame[cluster].isna().to_numpy())[0])
        raise ValueError(f"cluster column {cluster!r} is blank in row {row + 1}")
    for col in [exposure, *instruments]:
        if frame[col].nunique() < 2:
            raise ValueError(f"column {col!r} takes a single value; it cannot explain anything")
    n_params = 2 + len(controls)
    if len(frame) <= n_params + len(instruments):
        raise ValueError(
            f"{len(frame)} row(s) are too few for 2SLS with {len(instruments)} instrument(s) and "
            f"{len(controls)} control(s)"
        )


def two_stage_least_squares(
    frame: pd.DataFrame,
    *,
    outcome: str,
    exposure: str,
    instrument: str | Sequence[str],
    controls: Sequence[str] = (),
    cluster: str | None = None,
    cov_type: str | None = None,
    level: float = 0.95,
) -> IVResult:
    """2SLS estimate of ``exposure``'s effect on ``outcome``, instrumented by ``instrument``.

    ``controls`` enter both stages; a constant is always added. Errors are clustered by the
    ``cluster`` column when given, else heteroskedasticity-robust; ``cov_type="unadjusted"``
    gives the textbook homoskedastic errors (used to check published values). Raises
    ValueError, naming the column and row, for missing columns, non-numeric or missing values,
    an instrument that is also a control, or a constant instrument.
    """
    from linearmodels.iv import IV2SLS

    instruments = [instrument] if isinstance(instrument, str) else list(instrument)
    controls = list(controls)
    _check(frame, outcome, exposure, instruments, controls, cluster)
    if cov_type is None:
        cov_type = "clustered" if cluster else "robust"
    if cov_type not in COV_TYPES:
        raise ValueError(f"cov_type must be one of {', '.join(COV_TYPES)}; got {cov_type!r}")
    if cov_type == "clustered" and not cluster:
        raise ValueError("cov_type 'clustered' needs a cluster column")
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1; got {level!r}")

    data = frame.reset_index(drop=True)
    exog = data[controls].astype(float).copy()
    exog.insert(0, "const", 1.0)
    fit_args: dict = {"cov_type": cov_type, "debiased": True}
    n_clusters = None
    if cov_type == "clustered":
        codes = pd.Series(pd.factorize(data[cluster])[0], index=data.index, name=cluster)
        fit_args["clusters"] = codes
        n_clusters = int(codes.nunique())
    model = IV2SLS(
        data[outcome].astype(float),
        exog,
        data[[exposure]].astype(float),
        data[instruments].astype(float),
    )
    res = model.fit(**fit_args)

    diagnostics = res.first_stage.diagnostics
    wald = float(diagnostics.loc[exposure, "f.stat"])
    # linearmodels divides by the number of instruments only for unadjusted errors.
    first_stage_f = wald if cov_type == "unadjusted" else wald / len(instruments)
    weak = first_stage_f < WEAK_F
    lo, hi = res.conf_int(level=level).loc[exposure]

    warnings: list[str] = []
    if weak:
        warnings.append(
            f"Weak instrument: the first-stage F is {first_stage_f:.1f}, below {WEAK_F:.0f}. "
            "The instrument barely moves exposure, so the 2SLS estimate is pulled towards the "
            "confounded comparison and its interval cannot be trusted; do not act on it."
        )
    if n_clusters is not None and n_clusters < FEW_CLUSTERS:
        warnings.append(
            f"Only {n_clusters} clusters in {cluster!r}: clustered standard errors are "
            f"unreliable with fewer than about {FEW_CLUSTERS}; treat the interval as rough."
        )
    return IVResult(
        outcome=outcome,
        exposure=exposure,
        instruments=instruments,
        estimate=float(res.params[exposure]),
        se=float(res.std_errors[exposure]),
        ci=(float(lo), float(hi)),
        p_value=float(res.pvalues[exposure]),
        first_stage_f=first_stage_f,
        weak_instrument=weak,
        n=int(res.nobs),
        cov_type=cov_type,
        level=level,
        first_stage_partial_r2=float(diagnostics.loc[exposure, "partial.rsquared"]),
        n_clusters=n_clusters,
        warnings=warnings,
    )
