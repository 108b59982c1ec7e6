"""Flag rates per group, unweighted and weighted, with design-based intervals.

Used by ``qa-app flags summary`` and the Mix page. The rows are the flag export's (final
scores, flags, weight and design stratum per reviewed call); the estimates are
qa_app.domain.sampling.estimates'.
"""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session

from qa_app.domain.flags.comparison import tenure_band
from qa_app.domain.sampling.estimates import (
    MEAN_METHOD,
    RATE_METHOD,
    DesignCall,
    design_estimates,
)
from qa_app.store.flags.rows import iter_flag_rows, plan_export
from qa_app.store.reviews.queue import CallFilters

BY_CHOICES = ("team", "queue", "channel", "interaction_type", "tenure_band")
ALL = "(all)"
NO_VALUE = "(none)"


def _group(row: dict, by: str | None) -> str:
    if by is None:
        return ALL
    value = tenure_band(row["agent_tenure_days"]) if by == "tenure_band" else row.get(by)
    return value if value not in (None, "") else NO_VALUE


def flags_summary(
    engine: Engine,
    filters: CallFilters,
    by: str | None = None,
    rubric_key: str | None = None,
    default_rubric_id: str = "empathy",
    machine: bool = False,
) -> dict:
    """Per group and flag: n, rate, weighted_rate, 95% ci and effective_n; per group and
    rubric dimension the same for the mean final score (the JSON in docs/sampling.md).

    ``machine``: add each figure's prediction-powered estimate from the newest machine
    model's scores of every call (qa_app.store.flags.machine_figures)."""
    with Session(engine) as db:
        plan = plan_export(db, filters, rubric_key, default_rubric_id)
        flags = [f.name for f in plan.rubric.flags]
        dimensions = [d.id for d in plan.rubric.dimensions]
        columns = [f"flag_{f}" for f in flags] + [f"score_{d}" for d in dimensions]
        calls: dict[str, list[DesignCall]] = {c: [] for c in columns}
        left_out = 0
        reviewed: list[tuple[str, float, str, dict]] = []  # call_id, weight, group, values
        for row in iter_flag_rows(db, filters, plan, outcomes=False):
            if machine:
                reviewed.append((row["call_id"], row["weight"] or 0.0, _group(row, by),
                                 {c: row.get(c) for c in columns}))  # fmt: skip
            weight = row["weight"]
            if weight is None:
                left_out += 1
            group = _group(row, by)
            for column in columns:
                value = row.get(column)
                calls[column].append(
                    DesignCall(
                        None if value is None else float(value),
                        weight or 0.0,
                        row["design_stratum"],
                        group,
                    )
                )
        sizes = plan.weighting.stratum_sizes
        estimates = {
            c: design_estimates(calls[c], sizes, rate=c.startswith("flag_")) for c in columns
        }
        unweighted = {c: _unweighted(calls[c]) for c in columns}
        ppi = None
        if machine:
            from qa_app.store.flags.machine_figures import ppi_figures

            ppi = ppi_figures(db, plan, filters, columns, reviewed, lambda r: _group(r, by))
    groups = sorted({g for per_flag in unweighted.values() for g in per_flag}, key=str)
    report = {
        "rubric": plan.rubric_row.key,
        "weighting": plan.weighting.mode,
        "weighting_note": plan.weighting.description,
        "method": RATE_METHOD,
        "score_method": MEAN_METHOD,
        "by": by,
        "filters": filters.as_args(),
        "reviewed_calls": plan.row_count,
        "left_out_of_weighted": left_out,
        "groups": [
            {
                "group": group,
                "flags": {
                    flag: _figure(
                        estimates[f"flag_{flag}"].get(group), unweighted[f"flag_{flag}"].get(group)
                    )
                    for flag in flags
                },
                "scores": {
                    dimension: _score_figure(
                        estimates[f"score_{dimension}"].get(group),
                        unweighted[f"score_{dimension}"].get(group),
                        (plan.rubric.scale_min, plan.rubric.scale_max),
                    )
                    for dimension in dimensions
                },
            }
            for group in groups
        ],
    }
    if ppi is not None:
        _add_machine(report, ppi)
    return report


def _add_machine(report: dict, ppi: dict) -> None:
    """Each figure's prediction-powered estimate beside its design-based interval."""
    report["machine"] = ppi["model"]
    for group in report["groups"]:
        for kind, prefix in (("flags", "flag_"), ("scores", "score_")):
            for name, figure in group[kind].items():
                found = ppi["figures"].get((group["group"], prefix + name))
                figure["human_ci"] = figure["ci"]
                figure["ppi_estimate"] = found and found["ppi_estimate"]
                figure["ppi_ci"] = found and found["ppi_ci"]
                width = found and figure["ci"] and None not in figure["ci"] and (
                    figure["ci"][1] - figure["ci"][0])  # fmt: skip
                figure["width_ratio"] = (
                    (found["ppi_ci"][1] - found["ppi_ci"][0]) / width if found and width else None
                )
                # Power tuning keeps the machine from widening its own interval, not from
                # being wider than a stratified design's: then the design-based one stands.
                figure["ppi_note"] = (
                    "the machine does not narrow this interval: the design-based one stands"
                    if figure["width_ratio"] is not None and figure["width_ratio"] >= 1
                    else None
                )


def _unweighted(calls: list[DesignCall]) -> dict[str, tuple[int, float]]:
    """n and unweighted rate per group over every call with a value (weighted or not)."""
    counts: dict[str, list[float]] = {}
    for call in calls:
        if call.value is not None:
            counts.setdefault(call.group, []).append(call.value)
    return {g: (len(v), sum(v) / len(v)) for g, v in counts.items()}


def _figure(estimate, unweighted, rate: bool = True) -> dict:
    key = "rate" if rate else "mean"
    n, value = unweighted if unweighted else (0, None)
    figure = {"n": n, key: None if value is None else round(value, 4)}
    if estimate is None:
        figure.update({f"weighted_{key}": None, "ci": None, "effective_n": 0.0, "too_small": True})
    else:
        shown = estimate.as_dict(rate)
        figure.update({k: shown[k] for k in (f"weighted_{key}", "ci", "effective_n", "too_small")})
    return figure


def _score_figure(estimate, unweighted, scale: tuple[int, int]) -> dict:
    """A mean score's figure, its interval kept on the rubric's scale and what to beware of.

    The design-based interval is a normal approximation: two calls gave [-15.3, 21.3] on a
    1-5 scale; a group whose calls all scored the same gets a zero-width interval that is no
    certainty. Both are said in ``note``."""
    figure = _figure(estimate, unweighted, rate=False)
    figure["note"] = None
    ci = figure["ci"]
    if not ci or ci[0] is None or ci[1] is None:
        return figure
    low, high = scale
    if ci[1] - ci[0] < 1e-9:
        figure["note"] = (
            "every call scored the same: there is no spread to estimate an interval from"
        )
    elif ci[0] < low or ci[1] > high:
        figure["ci"] = [max(ci[0], low), min(ci[1], high)]
        figure["note"] = (
            f"the interval ran past the scale ({low} to {high}) and was cut to it: too few "
            "calls for the approximation"
        )
    return figure
