"""Ratings held column by column: the agreement engine's input, without pandas.

``RatingColumns`` holds one NumPy array per column; ``Coded`` a column of names as the
distinct names and each entry's place among them, worked out once by the reader.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


def has_repeats(keys: np.ndarray) -> bool:
    """Whether any non-negative integer key occurs twice (a tally when the keys are few)."""
    if not len(keys):
        return False
    if keys.max() < 8 * len(keys):
        return bool(np.bincount(keys).max() > 1)
    return len(np.unique(keys)) != len(keys)


def object_array(values: Sequence) -> np.ndarray:
    """A list as a one-dimensional object array (np.array would make text a fixed width)."""
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


@dataclass(frozen=True)
class Coded:
    """A column of names as the distinct names (first-seen order) and each entry's place."""

    names: list[str]
    codes: np.ndarray

    @classmethod
    def of(cls, values: list[str]) -> Coded:
        distinct = list(dict.fromkeys(values))
        place = {name: index for index, name in enumerate(distinct)}
        codes = np.fromiter(map(place.__getitem__, values), dtype=np.intp, count=len(values))
        return cls(distinct, codes)

    def take(self, keep: np.ndarray) -> Coded:
        """The entries a mask or index array keeps, against the same names."""
        return Coded(self.names, self.codes[keep])


@dataclass(frozen=True)
class RatingColumns:
    """Long-format ratings, one NumPy array per column, in file order.

    ``number`` is NaN unless the value is a number; ``label`` holds nominal text, else None;
    ``row`` is the file row (or the caller's row number). Plain arrays rather than a
    DataFrame: the agreement command should not wait for pandas to load.
    """

    unit: np.ndarray
    rater: np.ndarray
    dimension: np.ndarray
    number: np.ndarray
    label: np.ndarray
    not_applicable: np.ndarray
    row: np.ndarray
    # True once duplicate_errors found none, so compute_agreement need not look again.
    unique: bool = False
    # Each rating's unit and rater as a place among the names in first-seen order, when
    # the file reader worked them out; dimension_data arranges the matrix from them.
    unit_codes: Coded | None = None
    rater_codes: Coded | None = None

    def __len__(self) -> int:
        return len(self.row)

    @property
    def empty(self) -> bool:
        return len(self.row) == 0

    def take(self, keep: np.ndarray) -> RatingColumns:
        """The ratings a boolean mask or index array keeps."""
        return RatingColumns(
            **{name: getattr(self, name)[keep] for name in _COLUMNS},
            unique=self.unique,
            unit_codes=self.unit_codes and self.unit_codes.take(keep),
            rater_codes=self.rater_codes and self.rater_codes.take(keep),
        )

    def equals(self, other: RatingColumns) -> bool:
        """Same ratings in the same order (NaN equal to NaN)."""
        return all(
            np.array_equal(getattr(self, name), getattr(other, name), equal_nan=name == "number")
            for name in _COLUMNS
        )

    def present(self) -> np.ndarray:
        """Which ratings hold a value (neither missing nor N/A)."""
        return ~np.isnan(self.number) | np.not_equal(self.label, None)


_COLUMNS = ("unit", "rater", "dimension", "number", "label", "not_applicable", "row")
