"""Long-format ratings (unit, rater, dimension, value) and their validation.

A value may be missing (blank) or not applicable (N/A); both are left out of the
statistics, and N/A is counted so reports can say how often it was used.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from qa_app.domain.tabular import RowError, Table, as_text

LEVELS = ("nominal", "ordinal", "interval", "ratio")
NOT_APPLICABLE = {"na", "n/a"}
MAX_VALUE = 1e12
DEFAULT_DIMENSION = "value"


class RatingsError(ValueError):
    """Ratings that cannot be analysed; ``errors`` names every row and reason."""

    def __init__(self, errors: list[RowError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


@dataclass(frozen=True)
class Rating:
    """One rater's answer for one unit and dimension. ``value`` None means missing or N/A."""

    unit: str
    rater: str
    dimension: str
    value: float | str | None
    not_applicable: bool = False
    row: int = 0


@dataclass
class DimensionData:
    """One dimension as a raters × units matrix (NaN where there is no value)."""

    name: str
    raters: list[str]
    units: list[str]
    matrix: np.ndarray
    domain: np.ndarray
    labels: list[str] | None = None  # nominal text categories, in code order
    not_applicable: int = 0
    extra: dict = field(default_factory=dict)

    @property
    def numeric(self) -> bool:
        return self.labels is None


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def parse_value(raw, level: str) -> tuple[float | str | None, bool, str | None]:
    """(value, not_applicable, error) for one raw cell at the given level of measurement."""
    text = as_text(raw)
    if not text:
        return None, False, None
    if text.lower() in NOT_APPLICABLE:
        return None, True, None
    number = _number(text)
    if number is None:
        if level == "nominal":
            return text, False, None
        return None, False, f"value '{text}' is not a number (needed at the {level} level)"
    if level == "ratio" and number < 0:
        return None, False, f"value {text} is negative, which the ratio level does not allow"
    if abs(number) > MAX_VALUE:  # squared differences must stay finite
        return None, False, f"value {text} is beyond ±{MAX_VALUE:.0e}"
    return number, False, None


def ratings_from_table(table: Table, level: str) -> list[Rating]:
    """Read a table with columns unit, rater, value and optionally dimension.

    Raises :class:`RatingsError` naming every bad row; a missing column or an
    unknown level is reported as row 1 (the header).
    """
    if level not in LEVELS:
        raise RatingsError(
            [RowError(1, f"unknown level '{level}'; use one of {', '.join(LEVELS)}")]
        )
    table = _with_aliases(table)
    missing = [c for c in ("unit", "rater", "value") if c not in table.columns]
    if missing:
        raise RatingsError([RowError(1, f"missing required column(s): {', '.join(missing)}")])
    ratings, errors = [], []
    for row, raw in table.rows:
        unit, rater = as_text(raw.get("unit")), as_text(raw.get("rater"))
        dimension = as_text(raw.get("dimension")) or DEFAULT_DIMENSION
        value, not_applicable, error = parse_value(raw.get("value"), level)
        problems = [f"{name} is empty" for name, v in (("unit", unit), ("rater", rater)) if not v]
        if error:
            problems.append(error)
        if problems:
            errors.append(RowError(row, "; ".join(problems), table.row_unit))
            continue
        ratings.append(Rating(unit, rater, dimension, value, not_applicable, row))
    errors.extend(duplicate_errors(ratings, table.row_unit))
    if errors:
        raise RatingsError(sorted(errors, key=lambda e: e.row))
    return ratings


# Other names the columns go by, e.g. in a calibration session's Ratings export.
ALIASES = {"unit": ("call_id",), "rater": ("participant", "reviewer"), "value": ("score",)}


def _with_aliases(table: Table) -> Table:
    """Read call_id as unit, participant or reviewer as rater, score as value, when needed."""
    renames = {}
    for name, others in ALIASES.items():
        if name not in table.columns:
            alias = next((o for o in others if o in table.columns), None)
            if alias:
                renames[alias] = name
    if not renames:
        return table
    rows = [(row, {renames.get(k, k): v for k, v in raw.items()}) for row, raw in table.rows]
    return Table([renames.get(c, c) for c in table.columns], rows, table.row_unit)


def duplicate_errors(ratings: Iterable[Rating], unit_word: str = "row") -> list[RowError]:
    """The same rater rating the same unit and dimension twice, naming both rows."""
    seen: dict[tuple[str, str, str], int] = {}
    errors = []
    for rating in ratings:
        key = (rating.unit, rating.rater, rating.dimension)
        if key in seen:
            errors.append(
                RowError(
                    rating.row,
                    (
                        f"rater '{rating.rater}' already rated unit '{rating.unit}' "
                        f"on '{rating.dimension}' in {unit_word} {seen[key]}"
                    ),
                    unit_word,
                )
            )
        else:
            seen[key] = rating.row
    return errors


def scale_errors(ratings: Iterable[Rating], scale: Sequence[int]) -> list[RowError]:
    """Values outside a known rubric scale."""
    allowed = set(scale)
    return [
        RowError(r.row, f"value {r.value:g} is not on the rubric scale {min(scale)}–{max(scale)}")
        for r in ratings
        if isinstance(r.value, float) and r.value not in allowed
    ]


def dimension_data(
    name: str,
    ratings: Sequence[Rating],
    scale: Sequence[int] | None = None,
    unit_key=lambda r: r.unit,
) -> DimensionData:
    """Arrange one dimension's ratings as a raters × units matrix with its value domain."""
    raters = sorted({r.rater for r in ratings if r.value is not None})
    units = sorted({unit_key(r) for r in ratings if r.value is not None})
    rater_index = {rater: i for i, rater in enumerate(raters)}
    unit_index = {unit: j for j, unit in enumerate(units)}
    matrix = np.full((len(raters), len(units)), np.nan)
    labels = None
    values = [r.value for r in ratings if r.value is not None]
    if any(isinstance(v, str) for v in values):
        labels = sorted({str(v) for v in values})
        codes = {label: float(i) for i, label in enumerate(labels)}
        encode = lambda v: codes[str(v)]  # noqa: E731
        domain = np.arange(len(labels), dtype=float)
    else:
        encode = float
        observed = set(values)
        domain = np.array(sorted(observed | set(scale or ())), dtype=float)
    for rating in ratings:
        if rating.value is not None:
            matrix[rater_index[rating.rater], unit_index[unit_key(rating)]] = encode(rating.value)
    return DimensionData(
        name=name,
        raters=raters,
        units=units,
        matrix=matrix,
        domain=domain,
        labels=labels,
        not_applicable=sum(r.not_applicable for r in ratings),
    )


def split_dimensions(
    ratings: Sequence[Rating], scale: Sequence[int] | None = None
) -> tuple[dict[str, DimensionData], DimensionData]:
    """Per-dimension data in first-seen order, and the pooled "overall" data.

    Overall treats every (unit, dimension) pair as one unit.
    """
    by_dimension: dict[str, list[Rating]] = {}
    for rating in ratings:
        by_dimension.setdefault(rating.dimension, []).append(rating)
    per_dimension = {name: dimension_data(name, rows, scale) for name, rows in by_dimension.items()}
    overall = dimension_data(
        "overall", ratings, scale, unit_key=lambda r: f"{r.unit}\x1f{r.dimension}"
    )
    overall.units = [u.replace("\x1f", " · ") for u in overall.units]
    return per_dimension, overall
