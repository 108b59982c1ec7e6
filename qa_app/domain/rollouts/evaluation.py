"""The report of a rollout evaluation: a method's fit, its checks, warnings and caveat.

``evaluate_did`` assembles the difference-in-differences report (qa_app.domain.rollouts.did
for the fit, qa_app.domain.rollouts.robustness for placebo windows and sensitivity);
``evaluate_panel`` is what the CLI and the Rollouts page call: DiD, or a synthetic control
(qa_app.domain.rollouts.synth) for a rollout to one unit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from qa_app.domain.rollouts.did import (
    ASSOCIATION,
    NO_LEADS,
    DidError,
    DidFit,
    fit_did,
    name_list,
    prepare_panel,
    pretrend_sentence,
    rounded,
)
from qa_app.domain.rollouts.robustness import (
    period_label,
    placebo_windows,
    sensitivity_runs,
    window_panel,
)

FEW_UNITS = 5
# Below this many units the pre-trend test rejects parallel trends too often even with its
# small-sample reference: measured by seeded simulation (200 panels each, parallel trends,
# tests/domain/rollouts/test_pretrend_size.py): 11.5% at 12 units, 9.0% at 30, 6.5% at 60.
SIZED_UNITS = 60


@dataclass
class DidReport:
    """A DiD fit with its placebo windows, sensitivity runs and warnings."""

    fit: DidFit
    placebos: list[dict]
    sensitivity: dict
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        fit = self.fit
        return {
            "method": "did",
            "estimator": "Callaway-Sant'Anna ATT(g,t), simple aggregation (differences.ATTgt)",
            "control_group": fit.control,
            "att": rounded(fit.att),
            "se": rounded(fit.se),
            "ci": [rounded(fit.ci[0]), rounded(fit.ci[1])],
            "units": fit.units,
            "treated_units": fit.treated_units,
            "control_units": fit.control_units,
            "event_study": fit.event_study,
            "pretrend_p_value": rounded(fit.pretrend_p_value),
            "pretrend": fit.pretrend_problem
            or pretrend_sentence(fit.pretrend_p_value, _few_units(fit)),
            "pretrend_test": {
                "leads": fit.pretrend_leads,
                "wald": rounded(fit.pretrend_statistic),
                "group_time": fit.group_time_pretest,
            },
            "placebos": self.placebos,
            "sensitivity": self.sensitivity,
            "warnings": self.warnings,
            "association": ASSOCIATION,
        }


def evaluate_did(
    panel: pd.DataFrame,
    *,
    unit: str,
    time: str,
    outcome: str,
    first_treated: str,
    control: str = "never",
    window: int | None = None,
    period_labels: dict | None = None,
    alpha: float = 0.05,
) -> DidReport:
    """The full DiD report: the fit, placebo windows, sensitivity and warnings.

    ``window``: periods kept before the first adoption and after the last one (None: all);
    the sensitivity runs use half and double that. ``period_labels`` maps period indexes to
    labels (week or month) for the placebo dates.
    """
    frame, notes = prepare_panel(
        panel, unit=unit, time=time, outcome=outcome, first_treated=first_treated
    )
    if control == "never" and frame["cohort"].notna().all():
        notes.append("no unit is never treated: not-yet-treated units are the controls instead")
        control = "notyet"
    windowed = window_panel(frame, window) if window else frame
    fit = fit_did(windowed, control, alpha)
    report = DidReport(fit, placebo_windows(windowed, control, alpha, period_labels), {}, notes)
    report.sensitivity = sensitivity_runs(frame, windowed, control, alpha, window, period_labels)
    report.warnings.extend(_warnings(fit, report.placebos))
    return report


def _few_units(fit: DidFit) -> str | None:
    """"2 adopting, 3 comparison" when either side has fewer than FEW_UNITS units, "40" when
    the panel has fewer than SIZED_UNITS: the pre-trend test is rough then."""
    if fit.treated_units < FEW_UNITS or fit.control_units < FEW_UNITS:
        return f"{fit.treated_units} adopting, {fit.control_units} comparison"
    if fit.units < SIZED_UNITS:
        return f"{fit.units}"
    return None


def _warnings(fit: DidFit, placebos: list[dict]) -> list[str]:
    found = []
    if _few_units(fit) and fit.treated_units >= FEW_UNITS and fit.control_units >= FEW_UNITS:
        found.append(
            f"{fit.units} units: below {SIZED_UNITS} the pre-trend test rejects parallel trends "
            "too often (in simulation 11.5% at 12 units, 9% at 30 and 6.5% at 60, against 5%); "
            "read a rejection as a reason to look at the event study, not as proof"
        )
    elif _few_units(fit):
        found.append(
            f"few units ({fit.treated_units} adopting, {fit.control_units} comparison): the "
            "standard errors rely on many units and may be too small, and the pre-trend test "
            "rejects too often; read the interval and the test as rough"
        )
    if fit.pretrend_p_value is not None and fit.pretrend_p_value < 0.05:
        found.append(pretrend_sentence(fit.pretrend_p_value, _few_units(fit)))
    if fit.pretrend_p_value is None:
        found.append(fit.pretrend_problem or NO_LEADS)
    off = [p for p in placebos if not p["covers_zero"]]
    if off:
        shifts = ", ".join(str(p["shift_periods"]) for p in off)
        found.append(
            f"placebo rollouts {shifts} period(s) early show an 'effect' whose interval "
            "excludes zero: something other than the rollout moves the outcome"
        )
    return found


def evaluate_panel(
    data: pd.DataFrame,
    columns: tuple[str, str, str, str],
    *,
    method: str = "did",
    control: str = "never",
    window: int | None = None,
    period_labels: dict | None = None,
    predictors: Sequence[str] = (),
) -> dict:
    """The JSON report of ``method`` (did, or synth for a rollout to one unit) on a panel whose
    ``columns`` are (unit, time, outcome, first treated); DidError says what is wrong.
    ``predictors`` (columns of ``data``) are the synthetic control's named predictors."""
    unit, time, outcome, first_treated = columns
    if predictors and method != "synth":
        raise DidError("predictors are for the synthetic control (method synth), not for did")
    if method == "did":
        return evaluate_did(
            data,
            unit=unit,
            time=time,
            outcome=outcome,
            first_treated=first_treated,
            control=control,
            window=window,
            period_labels=period_labels,
        ).to_json()
    if method != "synth":
        raise DidError(f"method must be did or synth, not '{method}'")
    adopting = data[first_treated].fillna(0) > 0
    treated = sorted(data.loc[adopting, unit].astype(str).unique())
    if len(treated) != 1:
        listed = f" ({name_list(treated)})" if treated else ""
        raise DidError(
            "a synthetic control needs exactly one adopting unit; this rollout has "
            f"{len(treated)}{listed}. Use the did method for several"
        )
    try:
        from qa_app.domain.rollouts.synth import synthetic_control
    except ModuleNotFoundError:
        raise DidError("the synthetic control is not available in this installation") from None

    start = int(data.loc[data[unit].astype(str) == treated[0], first_treated].iloc[0])
    panel = data[[unit, time, outcome, *predictors]].copy()
    panel[unit] = panel[unit].astype(str)
    try:
        result = synthetic_control(
            panel,
            unit=unit,
            time=time,
            outcome=outcome,
            treated_unit=treated[0],
            treatment_start=start,
            predictors=list(predictors),
        )
    except ValueError as exc:
        raise DidError(str(exc)) from None
    report = result.to_json()
    report.setdefault("treatment_start", start)
    if period_labels:
        report["treatment_start_period"] = period_label(start, period_labels)
    report.setdefault("association", ASSOCIATION)
    return report
