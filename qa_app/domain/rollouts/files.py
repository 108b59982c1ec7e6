"""The two files a rollout evaluation reads: a rollout file and an analyst's panel.

- A **rollout file** (CSV, XLSX or JSONL) says when each unit got the intervention: a column
  ``queue`` or ``team`` (which names the unit kind) or ``unit`` (the kind then comes from
  ``--unit-kind``), and ``adopted_on`` (a date, YYYY-MM-DD, or an ISO date and time; in the
  years 1900 to 2199). Units without a row are never treated: they are the comparison units.
- A **panel file** has one row per unit and period, with the columns the analyst names: the
  unit, the period (a whole number such as a year or a week index, or an ISO week or month
  label such as 2025-W09 or 2025-03, put in calendar order), the outcome (a number) and the
  period of first treatment (0 or blank for never treated).
- An **instrument file** (for two-stage least squares) has one row per observation, with the
  numeric columns the analyst names (outcome, exposure, instruments, controls) and, optionally,
  a cluster column (text).

Both are all-or-nothing: every problem is reported with its row and column, and nothing is
returned until the whole file is right.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pandas as pd

from qa_app.domain.dates import FIRST_YEAR, LAST_YEAR
from qa_app.domain.files.reports import RowError
from qa_app.domain.files.tables import FileProblem, as_text, read_table
from qa_app.domain.rollouts.periods import EXPECTED, KINDS, Period, label_of, parse_period

UNIT_KINDS = ("queue", "team")
MAX_SHOWN = 20
# Adoption dates must fall in these years (see _adoption_date).
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\S.*)?\Z")


class RolloutFileError(ValueError):
    """The file cannot be used; ``problems`` lists every row and column at fault."""

    def __init__(self, path: Path | str, problems: list[str]):
        self.problems = problems
        shown = problems[:MAX_SHOWN]
        more = len(problems) - len(shown)
        text = "\n".join(f"  {p}" for p in shown) + (f"\n  ... and {more} more" if more else "")
        super().__init__(f"{Path(path).name}: nothing was read:\n{text}")


@dataclass(frozen=True)
class Rollout:
    """When each unit adopted the intervention; ``kind`` is queue or team."""

    kind: str
    adopted_on: dict[str, date]


def read_rollout_file(path: Path, unit_kind: str | None = None) -> Rollout:
    """A rollout file's adoption dates per unit (see the module docstring)."""
    try:
        table = read_table(Path(path))
    except FileProblem as exc:
        raise RolloutFileError(path, [str(exc)]) from None
    columns = table.columns
    if unit_kind is not None and unit_kind not in UNIT_KINDS:
        raise RolloutFileError(path, [f"unit kind '{unit_kind}': use queue or team"])
    present = [c for c in UNIT_KINDS if c in columns]
    if "unit" in columns:
        if unit_kind is None:
            raise RolloutFileError(
                path, ["column 'unit': say whether the units are queues or teams (--unit-kind)"]
            )
        unit_column, kind = "unit", unit_kind
    elif len(present) == 1:
        unit_column = kind = present[0]
        if unit_kind is not None and unit_kind != kind:
            raise RolloutFileError(
                path, [f"the file has a '{kind}' column but --unit-kind is {unit_kind}"]
            )
    elif len(present) > 1:
        raise RolloutFileError(path, ["the file has both 'queue' and 'team' columns: keep one"])
    else:
        raise RolloutFileError(
            path, ["header: no unit column; name it 'queue', 'team' or 'unit' (with --unit-kind)"]
        )
    if "adopted_on" not in columns:
        raise RolloutFileError(path, ["header: missing column 'adopted_on' (the adoption date)"])
    problems: list[str] = []
    adopted: dict[str, date] = {}
    first_row: dict[str, int] = {}
    for row, raw in table.rows:
        name = as_text(raw.get(unit_column))
        text = as_text(raw.get("adopted_on"))
        if not name:
            problems.append(str(RowError(row, f"column '{unit_column}' is blank", table.row_unit)))
            continue
        day, wrong = _adoption_date(text)
        if wrong:
            problems.append(str(RowError(row, f"column 'adopted_on': {wrong}", table.row_unit)))
            continue
        if name in adopted:
            problems.append(
                str(
                    RowError(
                        row,
                        f"column '{unit_column}': '{name}' is listed again (first on "
                        f"{table.row_unit} {first_row[name]}); give each unit one date",
                        table.row_unit,
                    )
                )
            )
            continue
        adopted[name], first_row[name] = day, row
    if not adopted and not problems:
        problems.append("the file has no rows: list each adopting unit and its date")
    if problems:
        raise RolloutFileError(path, problems)
    return Rollout(kind, adopted)


def _adoption_date(text: str) -> tuple[date | None, str | None]:
    """The cell as a date, or what is wrong with it. The whole cell must be a date
    (YYYY-MM-DD) or an ISO date and time (an XLSX date cell reads as '2025-06-02 00:00:00');
    trailing text is refused rather than cut off. Years outside FIRST_YEAR..LAST_YEAR are
    refused here: they are typos, and the calendar arithmetic around them (periods before and
    after the adoption) would run off the end of the calendar later."""
    shown = text if len(text) <= 40 else text[:40] + "..."
    moment = None
    if _ISO_DATE.match(text):
        try:
            moment = datetime.fromisoformat(text[:-1] + "+00:00" if text[-1] in "Zz" else text)
        except ValueError:
            moment = None
    if moment is None:
        return None, f"'{shown}' is not a date (YYYY-MM-DD)"
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:
        years = f"{FIRST_YEAR} to {LAST_YEAR}"
        return None, f"'{shown}' is outside the years {years}: check the year"
    return moment.date(), None


@dataclass(frozen=True)
class Panel:
    """An analyst's panel: ``frame`` with whole-number periods (in calendar order when the
    file has week or month labels) and ``labels``, each period's label (None for numbers)."""

    frame: pd.DataFrame
    labels: dict[int, str] | None


def _table_with(path: Path | str, named: list[tuple[str, str]]):
    """The file's table, refused when it cannot be read or lacks a column of ``named``
    ((option, column) pairs), each missing one named with the option that asked for it."""
    try:
        table = read_table(Path(path))
    except FileProblem as exc:
        raise RolloutFileError(path, [str(exc)]) from None
    missing = [f"{option} {name}" for option, name in named if name not in table.columns]
    if missing:
        raise RolloutFileError(
            path,
            [
                f"header: no column for {', '.join(missing)}; the columns are "
                f"{', '.join(table.columns)}"
            ],
        )
    return table


def read_panel_file(
    path: Path,
    *,
    unit: str,
    time: str,
    outcome: str,
    first_treated: str,
    predictors: Sequence[str] = (),
) -> Panel:
    """An analyst's panel: columns ``unit`` (text), ``time`` (a period: whole number, ISO week
    or month; see qa_app.domain.rollouts.periods), ``outcome`` (float) and ``first_treated``
    (a period of the same kind; 0 or blank for never treated), under the names given, and
    the ``predictors`` (numbers in every row) for a synthetic control."""
    named = [("--unit", unit), ("--time", time), ("--outcome", outcome)]
    named += [("--first-treated", first_treated), *(("--predictor", p) for p in predictors)]
    table = _table_with(path, named)
    roles = {unit: "--unit", time: "--time", outcome: "--outcome", first_treated: "--first-treated"}
    taken = [f"--predictor {p} is the {roles[p]} column" for p in predictors if p in roles]
    if taken:
        raise RolloutFileError(
            path,
            [
                f"{'; '.join(taken)}: a predictor must be another column (the outcome's own "
                "pre-rollout path is always matched)"
            ],
        )
    predictors = list(dict.fromkeys(predictors))
    problems: list[str] = []
    records = []
    extra = []
    seen: dict[tuple[str, int], int] = {}
    kinds: dict[str, tuple[int, str]] = {}  # kind -> first row and column holding it
    for row, raw in table.rows:
        errors = []
        name = as_text(raw.get(unit))
        if not name:
            errors.append(f"column '{unit}' is blank")
        period = _period(raw.get(time))
        if period is None:
            errors.append(
                f"column '{time}': '{as_text(raw.get(time))}' is not a period: {EXPECTED}"
            )
        value = _number(raw.get(outcome))
        if value is None and as_text(raw.get(outcome)):
            errors.append(f"column '{outcome}': '{as_text(raw.get(outcome))}' is not a number")
        cohort_text = as_text(raw.get(first_treated))
        never = not cohort_text or _whole(cohort_text) == 0
        cohort = None if never else _period(cohort_text)
        if not never and (cohort is None or (cohort.kind == "number" and cohort.key < 0)):
            errors.append(
                f"column '{first_treated}': '{cohort_text}' is not a period ({EXPECTED}; 0 or "
                "blank for never treated)"
            )
        blank = " (a predictor needs a value in every row)"
        values = [_required_number(raw, column, errors, blank) for column in predictors]
        if not errors and (name, period.key) in seen:
            errors.append(
                f"unit '{name}' has period {period.label} already (row {seen[(name, period.key)]})"
            )
        if errors:
            problems.extend(str(RowError(row, e, table.row_unit)) for e in errors)
            continue
        for column, found in ((time, period), (first_treated, cohort)):
            if found is not None:
                kinds.setdefault(found.kind, (row, column))
        seen[(name, period.key)] = row
        records.append((name, period, value, cohort))
        extra.append(values)
    if not records and not problems:
        problems.append("the file has no rows")
    if len(kinds) > 1:
        mixed = ", ".join(
            f"{KINDS[kind]} (first: {table.row_unit} {row}, column '{column}')"
            for kind, (row, column) in kinds.items()
        )
        problems.append(f"the periods mix {mixed}: use one kind of period throughout")
    problems.extend(_one_cohort_per_unit(records))
    if problems:
        raise RolloutFileError(path, problems)
    panel = _numbered(records, (unit, time, outcome, first_treated), next(iter(kinds)))
    for column, found in zip(predictors, zip(*extra, strict=True), strict=True):
        panel.frame[column] = list(found)
    return panel


def _period(raw) -> Period | None:
    """A whole number, or a week or month label."""
    whole = _whole(raw)
    if whole is not None:
        return Period("number", whole, str(whole))
    return parse_period(as_text(raw))


def _numbered(records, columns, kind: str) -> Panel:
    """Periods as whole numbers: as they are, or (for labels) counted from 1 at the earliest
    period or adoption, so the calendar orders them and a missing period is still a period."""
    base = 0
    labels = None
    if kind != "number":
        keys = [p.key for _n, p, _v, c in records] + [c.key for *_r, c in records if c]
        base = min(keys) - 1
        labels = {key - base: label_of(kind, key) for key in range(base + 1, max(keys) + 1)}
    frame = pd.DataFrame(
        [(n, p.key - base, v, c.key - base if c else 0) for n, p, v, c in records],
        columns=list(columns),
    )
    frame[columns[2]] = frame[columns[2]].astype(float)
    return Panel(frame, labels)


def read_instrument_file(
    path: Path, numeric: list[tuple[str, str]], cluster: str | None = None
) -> pd.DataFrame:
    """An instrument file's named columns: ``numeric`` is (option, column) pairs, e.g.
    ``[("--outcome", "csat"), ("--instrument", "rotation")]``, read as numbers; ``cluster``
    is read as text. Every blank or non-numeric cell is named by row and column."""
    table = _table_with(path, [*numeric, *([("--cluster", cluster)] if cluster else [])])
    columns = list(dict.fromkeys(name for _option, name in numeric))
    problems: list[str] = []
    records = []
    for row, raw in table.rows:
        errors = []
        values: list = [_required_number(raw, name, errors) for name in columns]
        if cluster and cluster not in columns:
            group = as_text(raw.get(cluster))
            if not group:
                errors.append(f"column '{cluster}' is blank")
            values.append(group)
        if errors:
            problems.extend(str(RowError(row, e, table.row_unit)) for e in errors)
            continue
        records.append(values)
    if not records and not problems:
        problems.append("the file has no rows")
    if problems:
        raise RolloutFileError(path, problems)
    text = [cluster] if cluster and cluster not in columns else []
    frame = pd.DataFrame(records, columns=[*columns, *text])
    frame[columns] = frame[columns].astype(float)
    return frame


def _one_cohort_per_unit(records) -> list[str]:
    cohorts: dict[str, dict[int, str]] = {}
    for name, _period, _value, cohort in records:
        key, label = (cohort.key, cohort.label) if cohort else (0, "0")
        cohorts.setdefault(name, {})[key] = label
    return [
        f"unit '{name}': first-treated period differs between its rows "
        f"({', '.join(found[key] for key in sorted(found))})"
        for name, found in cohorts.items()
        if len(found) > 1
    ]


def _number(raw) -> float | None:
    text = as_text(raw)
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _required_number(raw, column: str, errors: list[str], blank_note: str = "") -> float | None:
    """The cell as a number; a blank or non-numeric cell is added to ``errors`` by column."""
    value = _number(raw.get(column))
    if value is None:
        text = as_text(raw.get(column))
        errors.append(
            f"column '{column}': '{text}' is not a number"
            if text
            else f"column '{column}' is blank{blank_note}"
        )
    return value


def _whole(raw) -> int | None:
    value = _number(raw)
    if value is None or not value.is_integer():
        return None
    return int(value)
