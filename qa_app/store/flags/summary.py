"""Flag rates per group, unweighted and weighted, with design-based intervals.

Used by ``qa-app flags summary`` and the Mix page. The rows are the flag export's (final
scores, flags, weight and design stratum per reviewed call); the estimates are
qa_app.domain.sampling.estimates'.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import literal
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from qa_app.domain.flags.comparison import tenure_band
from qa_app.domain.sampling.estimates import MEAN_METHOD, RATE_METHOD, design_estimates_arrays
from qa_app.models import Call, FinalScore
from qa_app.store.flags.rows import plan_export, values_pivot
from qa_app.store.reviews.queue import CallFilters
from qa_app.store.sampling.weights import PLAN

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
    import numpy as np

    with Session(engine) as db:
        plan = plan_export(db, filters, rubric_key, default_rubric_id)
        flags = [f.name for f in plan.rubric.flags]
        dimensions = [d.id for d in plan.rubric.dimensions]
        columns = [f"flag_{f}" for f in flags] + [f"score_{d}" for d in dimensions]
        read = read_columns(db, filters, plan, by, columns, call_ids=machine)
        sizes = read.stratum_sizes
        weights = np.nan_to_num(read.weights, nan=0.0)
        estimates, unweighted = {}, {}
        for column in columns:
            found = design_estimates_arrays(read.values[column], weights, read.strata,
                                            read.groups, sizes, rate=column.startswith("flag_"))
            estimates[column] = {read.labels[code]: e for code, e in found.items()}
            unweighted[column] = _unweighted(read.values[column], read.groups, read.labels)
        left_out = int(np.isnan(read.weights).sum())
        ppi = None
        if machine:
            from qa_app.store.flags.machine_figures import ppi_figures

            reviewed = [
                (call_id, float(weights[i]), read.labels[read.groups[i]],
                 {c: _value(read.values[c][i]) for c in columns})
                for i, call_id in enumerate(read.call_ids)
            ]  # fmt: skip
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


def _unweighted(values, groups, labels: list[str]) -> dict[str, tuple[int, float]]:
    """n and unweighted mean per group over every call with a value (weighted or not)."""
    import numpy as np

    has = np.isfinite(values)
    n = np.bincount(groups[has], minlength=len(labels))
    total = np.bincount(groups[has], values[has], minlength=len(labels))
    return {labels[g]: (int(n[g]), float(total[g] / n[g])) for g in np.flatnonzero(n).tolist()}


def _value(value: float):
    """A stored value as people's figure for the machine comparison (None when missing)."""
    return None if value != value else value


@dataclass
class Columns:
    """The reviewed calls of a summary as arrays: each value column (NaN: none), the design
    weight (NaN: left out of weighted figures) and stratum, and the group as a code into
    ``labels``."""

    values: dict
    weights: object
    strata: object
    groups: object
    labels: list[str]
    call_ids: list[str]
    stratum_sizes: dict


def read_columns(
    db: Session, filters: CallFilters, plan, by: str | None, columns: list[str],
    call_ids: bool = False,
) -> Columns:
    """Only what a summary reads of the reviewed calls, in one query: the stored values
    pivoted into columns by the database, the fields that decide the weight, and the
    grouping field (rather than every export column of every call, as dicts)."""
    import numpy as np

    rubric_pk = plan.rubric_row.id
    dimensions = [d.id for d in plan.rubric.dimensions]
    flag_names = [f.name for f in plan.rubric.flags]
    pivot = values_pivot(rubric_pk, dimensions, flag_names)
    field = "agent_tenure_days" if by == "tenure_band" else by
    # When the call started matters only to a plan's weighting (is it in a plan's period?).
    started = Call.started_at if plan.weighting.mode == PLAN else literal(None)
    fields = [Call.id, Call.interaction_type, started, Call.call_id,
              getattr(Call, field) if field else literal(None)]  # fmt: skip
    query = filters.apply(
        select(*fields, *(pivot.c[c] for c in columns))
        .join(FinalScore, (FinalScore.call_pk == Call.id) & (FinalScore.rubric_pk == rubric_pk))
        .join(pivot, pivot.c.call_pk == Call.id)
    )
    rows = db.connection().execute(query.order_by(Call.id)).all()
    weighting = plan.weighting
    weights, strata, groups, labels, stratum_codes = [], [], [], {}, {}
    for row in rows:
        weight, stratum = weighting.weight_and_stratum(row[0], row[1], row[2])
        weights.append(np.nan if weight is None else weight)
        # Strata as integer codes: the estimator sorts and groups them once per column.
        strata.append(stratum_codes.setdefault(stratum, len(stratum_codes)))
        group = _group({field: row[4]}, by) if by else ALL
        groups.append(labels.setdefault(group, len(labels)))
    width = len(fields)
    sizes = {code: weighting.stratum_sizes[name]
             for name, code in stratum_codes.items() if name in weighting.stratum_sizes}
    return Columns(
        values={c: np.array([r[width + i] for r in rows], dtype=np.float64)
                for i, c in enumerate(columns)},  # fmt: skip
        weights=np.array(weights, dtype=np.float64),
        strata=np.array(strata, dtype=np.int64),
        groups=np.array(groups, dtype=np.int64),
        labels=list(labels),
        call_ids=[r[3] for r in rows] if call_ids else [],
        stratum_sizes=sizes,
    )


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
