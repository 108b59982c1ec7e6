"""pysyncon's synthetic-control fit with this project's settings, and the gap it leaves.

The seam between qa_app.domain.rollouts.synth (checks, the estimate and its report) and
pysyncon: ``fit_synth`` fits pysyncon's ``Synth``; ``fit_gaps`` builds the predictors of one
treated unit and its donor pool (see rollout_synth's module docstring for which) and returns
the weights and the treated and synthetic paths; ``rmspe`` and ``post_pre_ratio`` measure
the gap. The placebos (qa_app.domain.rollouts.synth_placebos) are fits through the same seam.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

# Outer (V) search settings handed to pysyncon's Synth.fit; pysyncon's own defaults, which
# reproduce Abadie & Gardeazabal's published Basque weights (tests/domain/rollouts/test_synth.py).
FIT_OPTIONS: dict[str, Any] = {
    "optim_method": "Nelder-Mead",
    "optim_initial": "equal",
    "optim_options": {"maxiter": 1000},
}
MIN_PRE_PERIODS = 2


def json_time(value: Any) -> Any:
    """A period for JSON and messages: dates as ISO text, numpy numbers as Python numbers."""
    if isinstance(value, np.datetime64):
        value = pd.Timestamp(value)
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat() if value == value.normalize() else value.isoformat()
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def fit_synth(dataprep: Any | None = None, **options: Any) -> Any:
    """Fit pysyncon's ``Synth`` with this module's settings; returns the fitted ``Synth``.

    The seam every fit here goes through (the main fit, the placebos and the published-value
    test), so the settings that reproduce the published weights are the ones used in reports.
    Give a pysyncon ``Dataprep``, or the matrices ``X0, X1, Z0, Z1`` (and ``custom_V``) as
    ``Synth.fit`` takes them; other ``options`` override ``FIT_OPTIONS``.
    """
    synth = _synth_class()()
    synth.fit(dataprep=dataprep, **{**FIT_OPTIONS, **options})
    return synth


def _synth_class() -> type:
    """pysyncon's Synth, handing SLSQP the exact gradient of its own weight problem.

    pysyncon's inner step minimises 0.5 w'Pw - q'w over the simplex with SLSQP but without
    the gradient, so SLSQP estimates it by finite differences, one objective call per donor;
    the outer V search calls that step thousands of times. The gradient, Pw - q, is passed
    here; the problem, constraints, solver and start are pysyncon's, and the published Basque
    weights and loss are reproduced (tests/domain/rollouts/test_synth.py), about six times
    faster.
    """
    from pysyncon import Synth
    from scipy.optimize import Bounds, LinearConstraint, minimize

    class _Synth(Synth):
        @staticmethod
        def w_optimize(
            V_mat: np.ndarray,
            X0: np.ndarray,
            X1: np.ndarray,
            qp_method: str = "SLSQP",
            qp_options: dict | None = None,
        ) -> tuple[np.ndarray, float]:
            _, n_c = X0.shape
            P = X0.T @ V_mat @ X0
            q = X1.T @ V_mat @ X0
            res = minimize(
                fun=lambda x: 0.5 * x.T @ P @ x - q.T @ x,
                jac=lambda x: P @ x - q,
                x0=np.full(n_c, 1 / n_c),
                bounds=Bounds(lb=np.full(n_c, 0.0), ub=np.full(n_c, 1.0)),
                constraints=LinearConstraint(A=np.full(n_c, 1.0), lb=1.0, ub=1.0),
                method=qp_method,
                options=qp_options or {"maxiter": 1000},
            )
            return res["x"], res["fun"].item()

    return _Synth


def outcome_lags(pre_times: Sequence[Any]) -> list[Any]:
    """The first, middle and last pre-period times (deduplicated, in order)."""
    picks = [pre_times[0], pre_times[(len(pre_times) - 1) // 2], pre_times[-1]]
    return list(dict.fromkeys(picks))


def _dataprep(
    frame: pd.DataFrame,
    *,
    unit: str,
    time: str,
    outcome: str,
    treated: str,
    donors: list[str],
    pre_times: list[Any],
    predictors: Sequence[str],
) -> Any:
    """A pysyncon Dataprep for named predictors over ``pre_times``: their pre-period means,
    the outcome's pre-period mean, and the outcome at the first, middle and last pre-period
    times."""
    from pysyncon import Dataprep

    special = [(outcome, pre_times, "mean")]
    special += [(outcome, [t], "mean") for t in outcome_lags(pre_times)]
    return Dataprep(
        foo=frame,
        predictors=list(predictors),
        predictors_op="mean",
        dependent=outcome,
        unit_variable=unit,
        time_variable=time,
        treatment_identifier=treated,
        controls_identifier=list(donors),
        time_predictors_prior=pre_times,
        time_optimize_ssr=pre_times,
        special_predictors=special,
    )


def fit_gaps(
    frame: pd.DataFrame,
    *,
    unit: str,
    time: str,
    outcome: str,
    treated: str,
    donors: list[str],
    pre_times: list[Any],
    predictors: Sequence[str],
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Weights, treated path and synthetic path over every time in ``frame``."""
    wide = frame.pivot(index=time, columns=unit, values=outcome).sort_index()
    if predictors:
        prep = _dataprep(
            frame,
            unit=unit,
            time=time,
            outcome=outcome,
            treated=treated,
            donors=donors,
            pre_times=pre_times,
            predictors=predictors,
        )
        synth = fit_synth(prep)
    else:
        # Lagged outcomes only: the pre-period mean and every pre-period value, each
        # standardised across units by pysyncon and counted equally (a fixed V), so the
        # weights minimise the pre-period gap itself; a V search over dozens of lags would
        # add run time, not fit. The matrices are built here from the pivot, which is much
        # faster than Dataprep's one-filter-per-unit-and-lag for long panels.
        pre = wide.loc[pre_times, [*donors, treated]]
        X = pd.concat([pre.mean().to_frame("pre-period mean").T, pre])
        X.index = X.index.map(str)
        # A time at which every unit has the same value cannot tell donors apart, and
        # pysyncon's scaling would divide by its zero spread.
        X = X[X.std(axis=1) > 0]
        synth = fit_synth(
            X0=X[donors],
            X1=X[treated],
            Z0=pre[donors],
            Z1=pre[treated],
            custom_V=np.ones(len(X)),
        )
    weights = pd.Series(synth.W, index=list(donors))
    synthetic = wide[list(donors)] @ weights
    return weights, wide[treated], synthetic


def rmspe(gap: pd.Series) -> float:
    """Root mean squared gap (0 for no periods)."""
    return float(np.sqrt(np.mean(np.square(gap.to_numpy(dtype=float))))) if len(gap) else 0.0


def post_pre_ratio(post: float, pre: float) -> float:
    """Post/pre RMSPE ratio; infinite for a perfect pre-period fit, NaN when both are 0."""
    if pre > 0:
        return post / pre
    return math.inf if post > 0 else math.nan
