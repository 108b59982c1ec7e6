"""One agreement report: every statistic per dimension and overall, in plain, JSON-safe values."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace

import numpy as np

from qa_app.domain.agreement.alpha import (
    Interval,
    alpha_point,
    bootstrap_krippendorff,
    bootstrap_units,
    cluster_codes,
    jackknife_units,
    other_raters_interval,
    pairable,
    resample_indices,
    summarise_bootstrap,
    value_counts,
)
from qa_app.domain.agreement.diagnostics import (
    RaterDiagnostics,
    UnitDiagnostics,
    UnitRanking,
    gwet_ac2,
    percent_agreement,
    rater_diagnostics,
    unit_diagnostics,
)
from qa_app.domain.agreement.ratings import (
    DimensionData,
    Rating,
    RatingColumns,
    RatingsError,
    duplicate_errors,
    rating_columns,
    scale_errors,
    split_dimensions,
)

DEFAULT_REPLICATES = 2000
BOOTSTRAP_METHODS = ("units", "krippendorff")


@dataclass
class DimensionResult:
    """Everything computed for one dimension (or for all of them pooled)."""

    name: str
    alpha: float | None
    reason: str | None
    units: int
    pairable_units: int
    pairable_values: int
    raters: int
    not_applicable: int
    observed_disagreement: float | None
    expected_disagreement: float | None
    percent_agreement: float | None
    within_one_agreement: float | None
    ac2: float | None
    ac2_weights: str = "quadratic"
    categories: list = field(default_factory=list)
    interval: Interval | None = None
    rater_diagnostics: list[RaterDiagnostics] = field(default_factory=list)
    unit_diagnostics: Sequence[UnitDiagnostics] = field(default_factory=list)

    def as_dict(self, units: bool = True) -> dict:
        """The JSON shape in docs/calibration.md; ``ci`` and ``q_below`` are null without a
        bootstrap.

        ``units=False`` leaves out ``unit_diagnostics`` (one entry per unit: megabytes for
        ten thousand calls).
        """
        data = {
            "alpha": self.alpha,
            "reason": self.reason,
            "ci": [self.interval.low, self.interval.high] if self.interval else None,
            "ci_warning": self.interval.warning if self.interval else None,
            "ci_other_raters": list(self.interval.other_raters)
            if self.interval and self.interval.other_raters
            else None,
            "undefined_replicates": self.interval.undefined if self.interval else None,
            "q_below": dict(self.interval.q_below) if self.interval else None,
            "bootstrap": None
            if self.interval is None
            else {
                "method": self.interval.method,
                "interval": self.interval.kind,
                "replicates": self.interval.replicates,
                "undefined_replicates": self.interval.undefined,
            },
            "units": self.units,
            "pairable_units": self.pairable_units,
            "pairable_values": self.pairable_values,
            "raters": self.raters,
            "not_applicable": self.not_applicable,
            "observed_disagreement": self.observed_disagreement,
            "expected_disagreement": self.expected_disagreement,
            "percent_agreement": self.percent_agreement,
            "within_one_agreement": self.within_one_agreement,
            "ac2": self.ac2,
            "ac2_weights": self.ac2_weights,
            "categories": list(self.categories),
            "rater_diagnostics": [asdict(r) for r in self.rater_diagnostics],
        }
        if units:
            # Built by hand: dataclasses.asdict deep-copies every value list (seconds at 10k).
            data["unit_diagnostics"] = [
                {
                    "unit": u.unit,
                    "values": [float(v) for v in u.values],
                    "spread": u.spread,
                    "disagreement": u.disagreement,
                }
                for u in self.unit_diagnostics
            ]
        return json_safe(data)


@dataclass
class AgreementReport:
    level: str
    dimensions: dict[str, DimensionResult]
    overall: DimensionResult
    # Which categories AC2 (and the ordinal ranks) counted: a rubric's whole scale, or
    # only the values seen. AC2's chance agreement depends on it (0.855 with the values
    # seen against 0.848 with the 1–5 scale on the same session), so every output says.
    category_set: str = "the values observed in the ratings"

    def as_dict(self, units: bool = True) -> dict:
        """The whole report as JSON-safe values; ``units=False`` leaves out per-unit rows."""
        return {
            "level": self.level,
            "category_set": self.category_set,
            "dimensions": {name: r.as_dict(units) for name, r in self.dimensions.items()},
            "overall": self.overall.as_dict(units),
        }


def json_safe(value):
    """Replace NaN and ±Infinity by None, recursively, and numpy scalars by Python numbers.

    Floats are rounded to 12 decimals: sums of floats leave noise such as −4.4e-17 where
    the exact answer is 0, which in a report reads as a (negative) finding.
    """
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return clean(value)
    return value


def clean(value: float | None, decimals: int = 12) -> float | None:
    """None for NaN and ±Infinity; float noise rounded away (and −0.0 made 0.0)."""
    if value is None or not math.isfinite(value):
        return None
    return round(value, decimals) + 0.0


def analyse_dimension(
    data: DimensionData,
    level: str,
    replicates: int = 0,
    seed: int | None = None,
    method: str = "units",
    confidence: float = 0.95,
) -> DimensionResult:
    """Alpha, its interval, AC2, percent agreement and diagnostics for one dimension."""
    counts = value_counts(data.matrix, data.domain)
    usable = pairable(counts)
    # At the nominal level numbers are only labels: no "within one point", no distance weights.
    graded = data.numeric and level != "nominal"
    raters = len(data.raters)
    point = alpha_point(counts, data.domain, level, raters)
    exact, within = percent_agreement(counts, data.domain, graded)
    interval = None
    if replicates and point.alpha is not None:
        rng = np.random.default_rng(seed)
        clusters = None if data.clusters is None else data.clusters[counts.sum(axis=1) >= 2]
        calls = cluster_codes(clusters, len(usable))[1]
        if method == "krippendorff":
            alphas = bootstrap_krippendorff(counts, data.domain, level, raters, replicates, rng)
            interval = summarise_bootstrap(alphas, method, confidence, calls=calls)
        else:
            indices = resample_indices(calls, replicates, rng)
            alphas = bootstrap_units(counts, data.domain, level, indices, clusters)
            jackknife = jackknife_units(counts, data.domain, level, clusters)
            interval = summarise_bootstrap(
                alphas, method, confidence, point.alpha, jackknife, calls
            )
    raters_left_out = rater_diagnostics(
        data.matrix, data.raters, data.domain, level, point.alpha, data.numeric
    )
    if interval is not None and method != "krippendorff":
        without = np.array(
            [np.nan if r.alpha_without is None else r.alpha_without for r in raters_left_out]
        )
        interval = replace(
            interval,
            other_raters=other_raters_interval(point.alpha, jackknife, without, confidence),
        )
    return DimensionResult(
        name=data.name,
        alpha=point.alpha,
        reason=point.reason,
        units=len(data.units),
        pairable_units=len(usable),
        pairable_values=int(usable.sum()),
        raters=raters,
        not_applicable=data.not_applicable,
        observed_disagreement=point.observed_disagreement,
        expected_disagreement=point.expected_disagreement,
        percent_agreement=exact,
        within_one_agreement=within,
        ac2=gwet_ac2(counts, data.domain, graded),
        ac2_weights="quadratic" if graded else "identity (AC1)",
        categories=data.labels if data.labels is not None else data.domain.tolist(),
        interval=interval,
        rater_diagnostics=raters_left_out,
        unit_diagnostics=UnitRanking(
            lambda: unit_diagnostics(
                data.matrix,
                data.units,
                data.domain,
                level,
                point.expected_disagreement,
                data.numeric,
            )
        ),
    )


def compute_agreement(
    ratings: Sequence[Rating] | RatingColumns,
    level: str = "ordinal",
    replicates: int = 0,
    seed: int | None = None,
    method: str = "units",
    scale: Sequence[int] | None = None,
    confidence: float = 0.95,
) -> AgreementReport:
    """The agreement report for long-format ratings (Rating values or RatingColumns).

    ``replicates`` = 0 skips the bootstrap. ``method`` is ``units`` (calls, whole with all
    their dimensions for "overall": the jackknife t interval, q from resampled calls) or
    ``krippendorff`` (KALPHA's bootstrap: for comparison with that macro, not a confidence
    interval).
    ``scale`` (a rubric's points) fixes the value domain, which AC2 counts as its
    categories; values off it are errors. Pass it whenever the rubric is known.
    Raises :class:`RatingsError` for duplicate ratings or values off the scale.
    """
    if method not in BOOTSTRAP_METHODS:
        raise ValueError(
            f"unknown bootstrap method '{method}'; use {' or '.join(BOOTSTRAP_METHODS)}"
        )
    columns = ratings if isinstance(ratings, RatingColumns) else rating_columns(ratings)
    errors = [] if columns.unique else duplicate_errors(columns)
    errors += scale_errors(columns, scale) if scale else []
    if errors:
        raise RatingsError(sorted(errors, key=lambda e: e.row))
    per_dimension, overall = split_dimensions(columns, scale)
    options = {
        "level": level,
        "replicates": replicates,
        "seed": seed,
        "method": method,
        "confidence": confidence,
    }
    dimensions = {name: analyse_dimension(data, **options) for name, data in per_dimension.items()}
    return AgreementReport(
        level=level,
        category_set=(
            f"the rubric's scale {min(scale):g}–{max(scale):g}"
            if scale
            else "the values observed in the ratings"
        ),
        dimensions=dimensions,
        overall=_single_dimension_as_overall(per_dimension, dimensions, overall)
        or analyse_dimension(overall, **options),
    )


def _single_dimension_as_overall(
    per_dimension: dict[str, DimensionData],
    results: dict[str, DimensionResult],
    overall: DimensionData,
) -> DimensionResult | None:
    """With one dimension, "overall" is the same matrix: reuse its result, renamed.

    Only when the pooled units come in the same order (so the bootstrap draws the same
    units and the numbers are identical); computing it twice took half the run time.
    """
    if len(per_dimension) != 1:
        return None
    ((name, data),) = per_dimension.items()
    if overall.raters != data.raters or overall.units != [f"{u} · {name}" for u in data.units]:
        return None
    pooled = dict(zip(data.units, overall.units, strict=True))
    result = results[name]
    return replace(
        result,
        name="overall",
        unit_diagnostics=UnitRanking(
            lambda: [
                UnitDiagnostics(pooled[u.unit], u.values, u.spread, u.disagreement)
                for u in result.unit_diagnostics
            ]
        ),
    )
