"""Long-format ratings (unit, rater, dimension, value) and their validation.

A value may be missing (blank) or not applicable (N/A); both are left out of the
statistics, and N/A is counted so reports can say how often it was used.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from qa_app.domain.agreement.columns import Coded, RatingColumns, has_repeats, object_array
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


def ratings_from_table(table: Table | Columns, level: str) -> RatingColumns:
    """Read a table with columns unit, rater, value and optionally dimension.

    Returns the ratings column by column (:class:`RatingColumns`). Raises
    :class:`RatingsError` naming every bad row; a missing column or an unknown level is
    reported as row 1 (the header). ``table`` may be a :class:`Table` or the quicker
    :class:`Columns` (:func:`qa_app.domain.files.tables.read_columns`).
    """
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
    errors = []
    bad_texts = {text for text, (_v, _na, error) in parsed.items() if error}
    if bad_texts or not all(unit) or not all(rater):
        for i in range(len(rows)):
            if unit[i] and rater[i] and raw_value[i] not in bad_texts:
                continue
            problems = [
                f"{c} is empty" for c, v in (("unit", unit[i]), ("rater", rater[i])) if not v
            ]
            if raw_value[i] in bad_texts:
                problems.append(parsed[raw_value[i]][2])
            errors.append(RowError(rows[i], "; ".join(problems), data.row_unit))
    if errors:
        bad = {error.row for error in errors}
        keep = [i for i, row in enumerate(rows) if row not in bad]
        unit, rater, dimension, raw_value, rows = (
            [column[i] for i in keep] for column in (unit, rater, dimension, raw_value, rows)
        )
    # One entry per distinct text, spread to the rows by their codes.
    texts = list(parsed)
    code_of = {text: code for code, text in enumerate(texts)}
    codes = np.fromiter((code_of[t] for t in raw_value), dtype=np.intp, count=len(raw_value))
    numbers = np.array(
        [v if isinstance(v, float) else np.nan for v, _na, _e in parsed.values()] or [np.nan]
    )
    labels = np.array(
        [v if isinstance(v, str) else None for v, _na, _e in parsed.values()] or [None],
        dtype=object,
    )
    absent = np.array([na for _v, na, _e in parsed.values()] or [False], dtype=bool)
    unit_codes, rater_codes, dimension_codes = map(Coded.of, (unit, rater, dimension))
    ratings = RatingColumns(
        unit=object_array(unit),
        rater=object_array(rater),
        dimension=object_array(dimension),
        number=numbers[codes],
        label=labels[codes],
        not_applicable=absent[codes],
        row=np.asarray(rows, dtype=np.int64),
        unit_codes=unit_codes,
        rater_codes=rater_codes,
    )
    # Twice-rated (unit, rater, dimension) triples show as repeated combined codes; only
    # then are the rows named (hashing 200,000 name triples took a tenth of the command).
    triple = (
        unit_codes.codes * len(rater_codes.names) + rater_codes.codes
    ) * len(dimension_codes.names) + dimension_codes.codes
    if has_repeats(triple):
        errors.extend(duplicate_errors(ratings, data.row_unit))
    if errors:
        raise RatingsError(sorted(errors, key=lambda e: e.row))
    return replace(ratings, unique=True)


def _text_column(values: list) -> list[str]:
    """Raw cells as stripped text, '' for blank (as_text for a whole column)."""
    try:  # CSV: text already (no other cell type has strip(): numbers, dates, None)
        return [v.strip() for v in values]
    except AttributeError:
        return [as_text(v) for v in values]


def rating_columns(ratings: Iterable[Rating]) -> RatingColumns:
    """:class:`Rating` values as :class:`RatingColumns`."""
    ratings = list(ratings)
    return RatingColumns(
        unit=object_array([r.unit for r in ratings]),
        rater=object_array([r.rater for r in ratings]),
        dimension=object_array([r.dimension for r in ratings]),
        number=np.array(
            [r.value if isinstance(r.value, float | int) else np.nan for r in ratings],
            dtype=float,
        ),
        label=object_array([r.value if isinstance(r.value, str) else None for r in ratings]),
        not_applicable=np.array([r.not_applicable for r in ratings], dtype=bool),
        row=np.array([r.row for r in ratings], dtype=np.int64),
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


def duplicate_errors(ratings: RatingColumns, unit_word: str = "row") -> list[RowError]:
    """The same rater rating the same unit and dimension twice, naming both rows."""
    keys = list(
        zip(
            ratings.unit.tolist(), ratings.rater.tolist(), ratings.dimension.tolist(), strict=True
        )
    )
    if len(set(keys)) == len(keys):
        return []
    rows = ratings.row.tolist()
    first: dict[tuple, int] = {}
    errors = []
    for i, key in enumerate(keys):
        seen = first.setdefault(key, i)
        if seen != i:
            unit, rater, dimension = key
            errors.append(
                RowError(
                    rows[i],
                    f"rater '{rater}' already rated unit '{unit}' on '{dimension}' in "
                    f"{unit_word} {rows[seen]}",
                    unit_word,
                )
            )
    return errors


def scale_errors(ratings: RatingColumns, scale: Sequence[int]) -> list[RowError]:
    """Values outside a known rubric scale."""
    number = ratings.number
    off = ~np.isnan(number) & ~np.isin(number, list(scale))
    return [
        RowError(
            int(ratings.row[i]),
            f"value {number[i]:g} is not on the rubric scale {min(scale)}–{max(scale)}",
        )
        for i in np.flatnonzero(off)
    ]


def dimension_data(
    name: str,
    ratings: RatingColumns,
    scale: Sequence[int] | None = None,
    units: np.ndarray | None = None,
) -> DimensionData:
    """Arrange one dimension's ratings as a raters × units matrix with its value domain.

    ``units`` names each rating's unit when it is not ``ratings.unit`` (the pooled
    "overall" data uses call × dimension pairs).
    """
    present = ratings.present()
    rated = ratings.take(present)
    raters, rater_codes = _sorted_codes(rated.rater, rated.rater_codes)
    if units is None:
        unit_list, unit_codes = _sorted_codes(rated.unit, rated.unit_codes)
    else:
        unit_list, unit_codes = _sorted_codes(units[present])
    matrix = np.full((len(raters), len(unit_list)), np.nan)
    labels = None
    if np.not_equal(rated.label, None).any():
        text = [
            str(label) if label is not None else str(number)
            for label, number in zip(rated.label.tolist(), rated.number.tolist(), strict=True)
        ]
        labels, codes = np.unique(np.array(text, dtype=str), return_inverse=True)
        labels = labels.tolist()
        values = codes.astype(float)
        domain = np.arange(len(labels), dtype=float)
    else:
        values = rated.number
        domain = np.array(sorted(set(np.unique(values).tolist()) | set(scale or ())), dtype=float)
    matrix[rater_codes, unit_codes] = values
    return DimensionData(
        name=name,
        raters=raters,
        units=unit_list,
        matrix=matrix,
        domain=domain,
        labels=labels,
        not_applicable=int(ratings.not_applicable.sum()),
    )


def _sorted_codes(names: np.ndarray, coded: Coded | None = None) -> tuple[list[str], np.ndarray]:
    """The distinct names sorted, and each entry's place among them.

    What np.unique(..., return_inverse=True) gives, without sorting every entry's text:
    through ``coded`` (the same names as codes, from the reader) when there is one, else
    through a dict. Sorting 200,000 text values as a NumPy string array took a quarter of
    the agreement command's work.
    """
    if coded is not None:
        order = sorted(range(len(coded.names)), key=coded.names.__getitem__)
        rank = np.empty(len(order), dtype=np.intp)
        rank[order] = np.arange(len(order))
        used, places = np.unique(rank[coded.codes], return_inverse=True)
        return [coded.names[order[i]] for i in used.tolist()], places
    values = list(map(str, names.tolist()))  # a caller's ids may be numbers
    distinct = sorted(set(values))
    place = {name: index for index, name in enumerate(distinct)}
    return distinct, np.fromiter(map(place.__getitem__, values), dtype=np.intp, count=len(values))


def split_dimensions(
    ratings: RatingColumns, scale: Sequence[int] | None = None
) -> tuple[dict[str, DimensionData], DimensionData]:
    """Per-dimension data in first-seen order, and the pooled "overall" data.

    Overall treats every (unit, dimension) pair as one unit.
    """
    names = list(dict.fromkeys(ratings.dimension.tolist()))
    if len(names) == 1:
        per_dimension = {names[0]: dimension_data(names[0], ratings, scale)}
    else:
        per_dimension = {
            name: dimension_data(name, ratings.take(ratings.dimension == name), scale)
            for name in names
        }
    if len(per_dimension) == 1:
        # One dimension: the pooled matrix is the same one, when the pooled names sort the
        # same way (building it again took a tenth of the run at 10,000 units).
        ((name, data),) = per_dimension.items()
        pooled_names = [f"{unit}\x1f{name}" for unit in data.units]
        if all(a < b for a, b in zip(pooled_names, pooled_names[1:], strict=False)):
            units = [u.replace("\x1f", " · ") for u in pooled_names]
            return per_dimension, replace(data, name="overall", units=units)
    pooled = object_array(
        [
            f"{unit}\x1f{dimension}"
            for unit, dimension in zip(
                ratings.unit.tolist(), ratings.dimension.tolist(), strict=True
            )
        ]
    )
    overall = dimension_data("overall", ratings, scale, units=pooled)
    overall.clusters = np.array([u.split("\x1f", 1)[0] for u in overall.units], dtype=object)
    overall.units = [u.replace("\x1f", " · ") for u in overall.units]
    return per_dimension, overall
