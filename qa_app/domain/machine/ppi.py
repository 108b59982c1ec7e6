"""Prediction-powered estimates: the human sample made more precise by the machine's
scores of every call, and still valid however good or bad the machine is.

Angelopoulos, Bates, Fannjiang, Jordan and Zrnic (2023), "Prediction-powered inference",
Science 382:669; with the power tuning of Angelopoulos, Duchi and Zrnic (2023), "PPI++",
arXiv:2311.01453, which weighs the machine by how much it helps: a machine that does not
track people gets a weight near 0 and the interval falls back to the human sample's own.
The estimates and intervals are ppi-python's; the human sample's design weights go in as
its sample weights.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def ppi_mean(
    human: Sequence[float],
    machine_on_human: Sequence[float],
    machine_all: Sequence[float],
    weights: Sequence[float] | None = None,
    confidence: float = 0.95,
) -> dict | None:
    """The prediction-powered mean of what people would say over every call, with its
    interval, and the human-only interval from the same sample (``lam`` 0, the classical
    one) for comparison. None with fewer than two people's values or no machine values.

    ``human`` and ``machine_on_human`` are the reviewed calls' values from people and from
    the machine, in the same order; ``machine_all`` the machine's values of every call of
    the population; ``weights`` the reviewed calls' design weights (equal when None).
    """
    from ppi_py import ppi_mean_ci, ppi_mean_pointestimate

    y = np.asarray(human, dtype=float)
    yhat = np.asarray(machine_on_human, dtype=float)
    unlabeled = np.asarray(machine_all, dtype=float)
    if len(y) < 2 or len(unlabeled) == 0:
        return None
    w = None if weights is None else np.asarray(weights, dtype=float)
    alpha = 1 - confidence
    low, high = ppi_mean_ci(y, yhat, unlabeled, alpha=alpha, w=w)
    estimate = ppi_mean_pointestimate(y, yhat, unlabeled, w=w)
    human_low, human_high = ppi_mean_ci(y, yhat, unlabeled, alpha=alpha, lam=0, w=w)
    ci = [float(np.ravel(low)[0]), float(np.ravel(high)[0])]
    human_ci = [float(np.ravel(human_low)[0]), float(np.ravel(human_high)[0])]
    human_width = human_ci[1] - human_ci[0]
    return {
        "ppi_estimate": float(np.ravel(estimate)[0]),
        "ppi_ci": ci,
        "classical_ci": human_ci,
        "width_ratio": (ci[1] - ci[0]) / human_width if human_width > 0 else None,
    }
