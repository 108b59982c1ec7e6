"""Long-format ratings (unit, rater, dimension, value) and their validation.

A value may be missing (blank) or not applicable (N/A); both are left out of the
statistics, and N/A is counted so reports can say how often it was used.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pandas loads in the functions that use it
    import pandas as pd

from qa_app.domain.files.reports import RowError
from qa_app.domain.files.tables import Columns, Table, as_text

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
    # The call each unit belongs to, when units are call × dimension pairs ("overall"):
    # the bootstrap resamples calls whole. None: every unit is a call of its own.
    clusters: np.ndarray | None = None

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


def ratings_from_table(table: Table | Columns, level: str) -> pd.DataFrame:
    """Read a table with columns unit, rater, value and optionally dimension.

    Returns a ratings frame (see :func:`ratings_frame`). Raises :class:`RatingsError`
    naming every bad row; a missing column or an unknown level is reported as row 1
    (the header). ``table`` may be a :class:`Table` or the quicker :class:`Columns`
    (:func:`qa_app.domain.files.tables.read_columns`).
    """
    import pandas as pd

    if level not in LEVELS:
        raise RatingsError(
            [RowError(1, f"unknown level '{level}'; use one of {', '.join(LEVELS)}")]
        )
    data = table if isinstance(table, Columns) else Columns.of(table)
    names = _aliased_names(data.columns)
    missing = [c for c in ("unit", "rater", "value") if c not in names]
    if missing:
        raise RatingsError([RowError(1, f"missing required column(s): {', '.join(missing)}")])
    rows = data.rows
    unit, rater, raw_value = (
        _text_column(data.values[names[name]]) for name in ("unit", "rater", "value")
    )
    if "dimension" in names:
        dimension = [d or DEFAULT_DIMENSION for d in _text_column(data.values["dimension"])]
    else:
        dimension = [DEFAULT_DIMENSION] * len(rows)
    # parse_value is the one definition of a value; each distinct text is read once (a file
    # of 200,000 scores holds a handful of distinct ones).
    parsed = {text: parse_value(text, level) for text in set(raw_value)}
    values = [parsed[text] for text in raw_value]
    errors = []
    for i in range(len(rows)):
        if unit[i] and rater[i] and values[i][2] is None:
            continue
        problems = [f"{c} is empty" for c, v in (("unit", unit[i]), ("rater", rater[i])) if not v]
        if values[i][2]:
            problems.append(values[i][2])
        errors.append(RowError(rows[i], "; ".join(problems), data.row_unit))
    if errors:
        bad = {error.row for error in errors}
        keep = [i for i, row in enumerate(rows) if row not in bad]
    else:
        keep = range(len(rows))
    kept = [values[i] for i in keep]
    frame = pd.DataFrame(
        {
            "unit": pd.Series([unit[i] for i in keep], dtype=object),
            "rater": pd.Series([rater[i] for i in keep], dtype=object),
            "dimension": pd.Series([dimension[i] for i in keep], dtype=object),
            "number": pd.Series(
                [v if isinstance(v, float) else np.nan for v, _na, _e in kept],
                dtype=float,
            ),
            "label": pd.Series(
                [v if isinstance(v, str) else None for v, _na, _e in kept],
                dtype=object,
            ),
            "not_applicable": pd.Series([na for _v, na, _e in kept], dtype=bool),
            "row": pd.Series([rows[i] for i in keep], dtype=int),
        }
    )
    errors.extend(duplicate_errors(frame, data.row_unit))
    if errors:
        raise RatingsError(sorted(errors, key=lambda e: e.row))
    return frame


def _text_column(values: list) -> list[str]:
    """Raw cells as stripped text, '' for blank (as_text for a whole column)."""
    try:  # CSV: text already (no other cell type has strip(): numbers, dates, None)
        return [v.strip() for v in values]
    except AttributeError:
        return [as_text(v) for v in values]


def ratings_frame(ratings: Iterable[Rating]) -> pd.DataFrame:
    """Ratings as columns: unit, rater, dimension, number (NaN unless a number), label
    (nominal text, else None), not_applicable and row."""
    import pandas as pd

    ratings = list(ratings)
    return pd.DataFrame(
        {
            "unit": pd.Series([r.unit for r in ratings], dtype=object),
            "rater": pd.Series([r.rater for r in ratings], dtype=object),
            "dimension": pd.Series([r.dimension for r in ratings], dtype=object),
            "number": pd.Series(
                [r.value if isinstance(r.value, float | int) else np.nan for r in ratings],
                dtype=float,
            ),
            "label": pd.Series(
                [r.value if isinstance(r.value, str) else None for r in ratings], dtype=object
            ),
            "not_applicable": pd.Series([r.not_applicable for r in ratings], dtype=bool),
            "row": pd.Series([r.row for r in ratings], dtype=int),
        }
    )


# Other names the columns go by, e.g. in a calibration session's Ratings export.
ALIASES = {"unit": ("call_id",), "rater": ("participant", "reviewer"), "value": ("score",)}


def _aliased_names(columns: list[str]) -> dict[str, str]:
    """unit, rater, value and dimension -> the file's column holding each.

    call_id is read as unit, participant or reviewer as rater, score as value, when the
    file has no column of the proper name.
    """
    names = {c: c for c in ("unit", "rater", "value", "dimension") if c in columns}
    for name, others in ALIASES.items():
        if name not in names:
            alias = next((o for o in others if o in columns), None)
            if alias:
                names[name] = alias
    return names


def duplicate_errors(frame: pd.DataFrame, unit_word: str = "row") -> list[RowError]:
    """The same rater rating the same unit and dimension twice, naming both rows."""

    keys = ["unit", "rater", "dimension"]
    twice = frame.duplicated(keys, keep="first").to_numpy()
    if not twice.any():
        return []
    first_row = frame.groupby(keys, sort=False)["row"].transform("first").to_numpy()
    return [
        RowError(
            int(frame["row"].iat[i]),
            (
                f"rater '{frame['rater'].iat[i]}' already rated unit '{frame['unit'].iat[i]}' "
                f"on '{frame['dimension'].iat[i]}' in {unit_word} {first_row[i]}"
            ),
            unit_word,
        )
        for i in np.flatnonzero(twice)
    ]


def scale_errors(frame: pd.DataFrame, scale: Sequence[int]) -> list[RowError]:
    """Values outside a known rubric scale."""

    off = (frame["number"].notna() & ~frame["number"].isin(list(scale))).to_numpy()
    return [
        RowError(
            int(frame["row"].iat[i]),
            f"value {frame['number'].iat[i]:g} is not on the rubric scale "
            f"{min(scale)}–{max(scale)}",
        )
        for i in np.flatnonzero(off)
    ]


def dimension_data(
    name: str,
    frame: pd.DataFrame,
    scale: Sequence[int] | None = None,
    unit_column: str = "unit",
) -> DimensionData:
    """Arrange one dimension's ratings as a raters × units matrix with its value domain."""

    present = (frame["number"].notna() | frame["label"].notna()).to_numpy()
    rated = frame[present]
    # np.unique sorts str the way sorted() does; the inverse indices place each value.
    raters, rater_codes = np.unique(rated["rater"].to_numpy(dtype=str), return_inverse=True)
    units, unit_codes = np.unique(rated[unit_column].to_numpy(dtype=str), return_inverse=True)
    matrix = np.full((len(raters), len(units)), np.nan)
    labels = None
    if rated["label"].notna().any():
        text = [
            str(label) if label is not None else str(number)
            for label, number in zip(rated["label"], rated["number"], strict=True)
        ]
        labels, codes = np.unique(np.array(text, dtype=str), return_inverse=True)
        labels = labels.tolist()
        values = codes.astype(float)
        domain = np.arange(len(labels), dtype=float)
    else:
        values = rated["number"].to_numpy(dtype=float)
        domain = np.array(sorted(set(np.unique(values).tolist()) | set(scale or ())), dtype=float)
    matrix[rater_codes, unit_codes] = values
    return DimensionData(
        name=name,
        raters=raters.tolist(),
        units=units.tolist(),
        matrix=matrix,
        domain=domain,
        labels=labels,
        not_applicable=int(frame["not_applicable"].sum()),
    )


def split_dimensions(
    frame: pd.DataFrame, scale: Sequence[int] | None = None
) -> tuple[dict[str, DimensionData], DimensionData]:
    """Per-dimension data in first-seen order, and the pooled "overall" data.

    Overall treats every (unit, dimension) pair as one unit.
    """

    per_dimension = {
        name: dimension_data(name, rows, scale)
        for name, rows in frame.groupby("dimension", sort=False)
    }
    if len(per_dimension) == 1:
        # One dimension: the pooled matrix is the same one, when the pooled names sort the
        # same way (building it again took a tenth of the run at 10,000 units).
        ((name, data),) = per_dimension.items()
        pooled_names = [f"{unit}\x1f{name}" for unit in data.units]
        if all(a < b for a, b in zip(pooled_names, pooled_names[1:], strict=False)):
            units = [u.replace("\x1f", " · ") for u in pooled_names]
            return per_dimension, replace(data, name="overall", units=units)
    pooled = frame.assign(pooled=frame["unit"] + "\x1f" + frame["dimension"])
    overall = dimension_data("overall", pooled, scale, unit_column="pooled")
    overall.clusters = np.array([u.split("\x1f", 1)[0] for u in overall.units], dtype=object)
    overall.units = [u.replace("\x1f", " · ") for u in overall.units]
    return per_dimension, overall
