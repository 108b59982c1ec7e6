"""The result of a synthetic control (qa_app.domain.rollouts.synth) and its JSON report.

:class:`SynthResult` holds the estimate, the donor weights, the gap per period and the placebo
checks that :func:`qa_app.domain.rollouts.synth.synthetic_control` computes (see that module's
docstring for what each figure is); ``to_json`` words it for the CLI and the page, with the
association and inference notes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from qa_app.domain.rollouts.synth_fit import json_time
from qa_app.domain.rollouts.synth_placebos import failed_placebos

ASSOCIATION = (
    "A synthetic control compares the treated unit with a weighted average of units that were "
    "not rolled out to. It is an association from observational data: the gap is attributed to "
    "the rollout only if nothing else changed for the treated unit at the same time and the "
    "weighted donors would have kept tracking it without the rollout."
)
INFERENCE = (
    "No standard error or confidence interval: with one treated unit, inference is by placebo "
    "ranks. placebo_p_value is the rank of the treated unit's post/pre RMSPE ratio among all "
    "units (the treated unit and every donor refitted as if treated), divided by the number of "
    "units; with {n} units the smallest possible value is 1/{n} = {pmin:.3f}."
)


@dataclass
class SynthResult:
    """A synthetic-control estimate with its placebo checks; see qa_app.domain.rollouts.synth."""

    treated_unit: str
    treatment_start: Any
    att: float
    weights: dict[str, float]
    gap: list[dict[str, Any]]
    pre_rmspe: float
    post_rmspe: float
    rmspe_ratio: float
    placebo_p_value: float | None
    placebos: list[dict[str, Any]]
    in_time_placebo: dict[str, Any] | None
    predictors: list[str] = field(default_factory=list)
    n_pre_periods: int = 0
    n_post_periods: int = 0
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        """A JSON-ready dict; weights rounded to 3 places, donors whose weight rounds to 0
        dropped (the full donor list is in ``placebos``)."""
        n_units = len(self.placebos) - len(failed_placebos(self.placebos)) + 1
        return {
            "method": "synth",
            "treated_unit": self.treated_unit,
            "treatment_start": json_time(self.treatment_start),
            "att": _finite(self.att),
            "se": None,
            "ci": None,
            "inference": INFERENCE.format(n=n_units, pmin=1 / n_units),
            "weights": self.weights,
            "gap": [
                {
                    "time": json_time(row["time"]),
                    "treated": _finite(row["treated"]),
                    "synthetic": _finite(row["synthetic"]),
                    "gap": _finite(row["gap"]),
                }
                for row in self.gap
            ],
            "pre_rmspe": _finite(self.pre_rmspe),
            "post_rmspe": _finite(self.post_rmspe),
            "rmspe_ratio": _finite(self.rmspe_ratio),
            "placebo_p_value": self.placebo_p_value,
            "placebos": [
                {"unit": p["unit"], "rmspe_ratio": _finite(p["rmspe_ratio"])} for p in self.placebos
            ],
            "in_time_placebo": (
                None
                if self.in_time_placebo is None
                else {
                    "fake_start": json_time(self.in_time_placebo["fake_start"]),
                    "estimate": _finite(self.in_time_placebo["estimate"]),
                    "pre_rmspe": _finite(self.in_time_placebo["pre_rmspe"]),
                }
            ),
            "predictors": list(self.predictors),
            "n_pre_periods": self.n_pre_periods,
            "n_post_periods": self.n_post_periods,
            "warnings": list(self.warnings),
            "association": ASSOCIATION,
        }


def _finite(value: Any) -> float | None:
    """A float for JSON, or None for a value JSON cannot hold (infinite or missing)."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None
