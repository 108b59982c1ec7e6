"""Flag rates per group, unweighted and weighted, with design-based intervals.

Used by ``qa-app flags summary`` and the Mix page. The rows are the flag export's (final
scores, flags, weight and design stratum per reviewed call); the estimates are
qa_app.domain.survey_estimates'.
"""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session

from qa_app.domain.outcome_comparison import tenure_band
from qa_app.domain.survey_estimates import RATE_METHOD, DesignCall, design_estimates
from qa_app.export_queries import iter_flag_rows, plan_export
from qa_app.queue_queries import CallFilters

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
) -> dict:
    """Per group and flag: n, rate, weighted_rate, 95% ci and effective_n (README's JSON)."""
    with Session(engine) as db:
        plan = plan_export(db, filters, rubric_key, default_rubric_id)
        flags = [f.name for f in plan.rubric.flags]
        calls: dict[str, list[DesignCall]] = {f: [] for f in flags}
        left_out = 0
        for row in iter_flag_rows(db, filters, plan):
            weight = row["weight"]
            if weight is None:
                left_out += 1
            group = _group(row, by)
            for flag in flags:
                value = row.get(f"flag_{flag}")
                calls[flag].append(
                    DesignCall(
                        None if value is None else float(value),
                        weight or 0.0,
                        row["design_stratum"],
                        group,
                    )
                )
        sizes = plan.weighting.stratum_sizes
        estimates = {flag: design_estimates(calls[flag], sizes) for flag in flags}
        unweighted = {flag: _unweighted(calls[flag]) for flag in flags}
    groups = sorted({g for per_flag in unweighted.values() for g in per_flag}, key=str)
    return {
        "rubric": plan.rubric_row.key,
        "weighting": plan.weighting.mode,
        "weighting_note": plan.weighting.description,
        "method": RATE_METHOD,
        "by": by,
        "filters": filters.as_args(),
        "reviewed_calls": plan.row_count,
        "left_out_of_weighted": left_out,
        "groups": [
            {
                "group": group,
                "flags": {
                    flag: _figure(estimates[flag].get(group), unweighted[flag].get(group))
                    for flag in flags
                },
            }
            for group in groups
        ],
    }


def _unweighted(calls: list[DesignCall]) -> dict[str, tuple[int, float]]:
    """n and unweighted rate per group over every call with a value (weighted or not)."""
    counts: dict[str, list[float]] = {}
    for call in calls:
        if call.value is not None:
            counts.setdefault(call.group, []).append(call.value)
    return {g: (len(v), sum(v) / len(v)) for g, v in counts.items()}


def _figure(estimate, unweighted) -> dict:
    n, rate = unweighted if unweighted else (0, None)
    figure = {"n": n, "rate": None if rate is None else round(rate, 4)}
    if estimate is None:
        figure.update({"weighted_rate": None, "ci": None, "effective_n": 0.0, "too_small": True})
    else:
        shown = estimate.as_dict()
        figure.update({k: shown[k] for k in ("weighted_rate", "ci", "effective_n", "too_small")})
    return figure
