"""The machine measured like a rater: its held-out scores against people's.

Per dimension: Krippendorff's ordinal alpha between the machine's cross-validated score
and people's final score (two raters per call) with the agreement engine's interval, exact
and within-one agreement, the confusion matrix, and the same alpha within each channel,
interaction type and agent tenure band, so a machine that serves some calls worse than
others is seen (its equity check).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from qa_app.domain.agreement import Rating, compute_agreement

REPLICATES = 1000
SEGMENT_FIELDS = ("channel", "interaction_type", "tenure_band")
# Below this many calls a segment's alpha is shown but not judged.
MIN_SEGMENT_CALLS = 20


def pair_agreement(
    call_ids: Sequence[str],
    first: Sequence[float],
    second: Sequence[float],
    points: Sequence[int],
    seed: int,
    replicates: int = REPLICATES,
) -> dict:
    """Ordinal alpha (with its 95% interval) of two raters over the same calls, and their
    exact and within-one agreement. ``alpha`` is None where it is undefined."""
    ratings = [
        Rating(call_id, rater, "score", float(value))
        for call_id, a, b in zip(call_ids, first, second, strict=True)
        for rater, value in (("machine", a), ("people", b))
    ]
    n = len(call_ids)
    out = {"n_calls": n, "alpha": None, "ci": None, "reason": None, "exact": None,
           "within_one": None}  # fmt: skip
    if n == 0:
        out["reason"] = "no calls"
        return out
    result = compute_agreement(ratings, "ordinal", replicates if n >= 3 else 0, seed,
                               scale=points).dimensions["score"]  # fmt: skip
    out["alpha"], out["reason"] = result.alpha, result.reason
    if result.interval is not None:
        out["ci"] = [result.interval.low, result.interval.high]
    out["exact"] = sum(a == b for a, b in zip(first, second, strict=True)) / n
    out["within_one"] = sum(abs(a - b) <= 1 for a, b in zip(first, second, strict=True)) / n
    return out


def confusion(machine: Sequence[int], people: Sequence[int], points: Sequence[int]) -> list:
    """Rows: people's score; columns: the machine's; counts of calls."""
    place = {p: i for i, p in enumerate(points)}
    table = [[0] * len(points) for _ in points]
    for m, h in zip(machine, people, strict=True):
        table[place[h]][place[m]] += 1
    return table


def evaluate_dimension(
    call_ids: Sequence[str],
    machine: Sequence[int],
    people: Sequence[int],
    segments: Mapping[str, Mapping[str, str | None]],
    points: Sequence[int],
    seed: int,
) -> dict:
    """The dimension's agreement figures, confusion matrix and segment checks.

    ``segments`` maps each call_id to its channel, interaction_type and tenure_band.
    """
    overall = pair_agreement(call_ids, machine, people, points, seed)
    checks = []
    for field in SEGMENT_FIELDS:
        values = sorted({(segments.get(c) or {}).get(field) or "(none)" for c in call_ids})
        if len(values) < 2:
            continue
        for value in values:
            picked = [i for i, c in enumerate(call_ids)
                      if ((segments.get(c) or {}).get(field) or "(none)") == value]  # fmt: skip
            part = pair_agreement(
                [call_ids[i] for i in picked], [machine[i] for i in picked],
                [people[i] for i in picked], points, seed,
            )  # fmt: skip
            part.update(field=field, value=value, worse=_worse(part, overall))
            checks.append(part)
    return {**overall, "confusion": confusion(machine, people, points), "points": list(points),
            "segments": checks}  # fmt: skip


def _worse(part: dict, overall: dict) -> bool | None:
    """True when the segment's whole interval lies below the machine's overall alpha; None
    when the segment is too small (or its alpha undefined) to judge."""
    if part["n_calls"] < MIN_SEGMENT_CALLS or part["ci"] is None or overall["alpha"] is None:
        return None
    return part["ci"][1] < overall["alpha"]


def people_agreement(
    ratings: Sequence[Rating], dimensions: Sequence[str], points: Sequence[int], seed: int
) -> dict[str, dict]:
    """Per dimension, people's alpha with each other (double reviews of the same period):
    ``human_alpha``, ``human_ci`` and ``human_calls``, the bar the machine is read against."""
    empty = {"human_alpha": None, "human_ci": None, "human_calls": 0}
    if not ratings:
        return {d: dict(empty) for d in dimensions}
    report = compute_agreement(ratings, "ordinal", REPLICATES, seed, scale=points)
    out = {}
    for dimension in dimensions:
        result = report.dimensions.get(dimension)
        if result is None:
            out[dimension] = dict(empty)
            continue
        out[dimension] = {
            "human_alpha": result.alpha,
            "human_ci": [result.interval.low, result.interval.high] if result.interval else None,
            "human_calls": result.pairable_units,
        }
    return out


def drift(
    pairs_by_month: Mapping[str, Mapping[str, Sequence[tuple[str, int, int]]]],
    points: Sequence[int],
    seed: int,
) -> list[dict]:
    """The machine's alpha against people month by month, per dimension, with intervals:
    [{"month": "2026-10", "dimensions": {dimension: pair_agreement(...)}}], oldest first."""
    months = []
    for month, dimensions in pairs_by_month.items():
        figures = {}
        for dimension, pairs in dimensions.items():
            call_ids = [call_id for call_id, _m, _p in pairs]
            figures[dimension] = pair_agreement(
                call_ids, [m for _c, m, _p in pairs], [p for _c, _m, p in pairs], points, seed
            )
        months.append({"month": month, "dimensions": figures})
    return months
