"""Rubric files: parsing, validation, content hashing and behaviour-flag rules.

A rubric is a TOML file (see docs/file-formats.md, "Rubric file format"). This module is pure
Python: it turns text into a :class:`Rubric` or into a list of :class:`Problem`
lines that name the file, the dimension and the point that is wrong.
"""

from __future__ import annotations

import hashlib
import json
import operator
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from qa_app.domain.files.reports import one_line

SLUG = re.compile(r"^[a-z][a-z0-9_]*$")
RUBRIC_ID = re.compile(r"^[a-z][a-z0-9_-]*$")
MAX_VERSION = 1_000_000
CONDITION = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(>=|<=|==|!=|>|<)\s*(-?[0-9]{1,6})\s*$")
COMPARATORS = {
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
    "==": operator.eq,
    "!=": operator.ne,
}
MAX_SCALE_POINTS = 11


class RubricError(ValueError):
    """Raised when a rubric cannot be parsed; carries every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a rubric file, located as precisely as possible."""

    source: str
    message: str
    dimension: str | None = None
    point: int | str | None = None
    flag: str | None = None

    def __str__(self) -> str:
        return one_line(self._text())

    def _text(self) -> str:
        where = []
        if self.dimension is not None:
            where.append(f"dimension '{self.dimension}'")
        if self.point is not None:
            where.append(f"point {self.point}")
        if self.flag is not None:
            where.append(f"flag '{self.flag}'")
        location = f" {', '.join(where)}:" if where else ""
        return f"{self.source}:{location} {self.message}"


@dataclass(frozen=True)
class Condition:
    """``dimension op threshold``, e.g. ``acknowledgment >= 4``."""

    dimension: str
    op: str
    threshold: int

    def holds(self, score: int) -> bool:
        return COMPARATORS[self.op](score, self.threshold)

    def __str__(self) -> str:
        return f"{self.dimension} {self.op} {self.threshold}"


@dataclass(frozen=True)
class FlagRule:
    """A behaviour flag derived from dimension scores.

    ``combinator`` is ``"and"`` (every condition holds) or ``"or"`` (any holds).
    """

    name: str
    description: str
    rule: str
    conditions: tuple[Condition, ...]
    combinator: str = "and"

    @property
    def dimensions(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.dimension for c in self.conditions))

    def evaluate(self, scores: Mapping[str, int | None]) -> bool | None:
        """Apply the rule to one call's scores.

        A dimension that is N/A or missing makes the flag unknown (``None``)
        rather than false: "no acknowledgment scored" is not "did not acknowledge".
        """
        values = [scores.get(c.dimension) for c in self.conditions]
        if any(v is None for v in values):
            return None
        results = [c.holds(v) for c, v in zip(self.conditions, values, strict=True)]
        return all(results) if self.combinator == "and" else any(results)


@dataclass(frozen=True)
class Dimension:
    """One scored behaviour with an operational definition for every point."""

    id: str
    name: str
    question: str
    panel_item: str
    allow_na: bool
    points: Mapping[int, str]


@dataclass(frozen=True)
class Rubric:
    """A parsed, validated rubric version."""

    id: str
    version: int
    title: str
    description: str
    scale_min: int
    scale_max: int
    panel_labels: Mapping[int, str]
    dimensions: tuple[Dimension, ...]
    flags: tuple[FlagRule, ...]
    content_hash: str
    source_text: str = field(repr=False, default="")

    @property
    def key(self) -> str:
        """``id@version``, the way files and commands name a rubric version."""
        return f"{self.id}@{self.version}"

    @property
    def scale(self) -> range:
        return range(self.scale_min, self.scale_max + 1)

    def dimension(self, dimension_id: str) -> Dimension:
        for dim in self.dimensions:
            if dim.id == dimension_id:
                return dim
        raise KeyError(dimension_id)

    def flags_for(self, scores: Mapping[str, int | None]) -> dict[str, bool | None]:
        """Every flag of this rubric evaluated on one call's scores."""
        return {flag.name: flag.evaluate(scores) for flag in self.flags}


def content_hash(data: Mapping) -> str:
    """SHA-256 of the parsed content in canonical JSON.

    Comments, key order and whitespace do not change the hash; any change to a
    definition, label, flag or setting does.
    """
    # default=str: TOML dates and times hash as their ISO text.
    canonical = json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def parse_condition_list(text: str) -> tuple[list[Condition], str, str | None]:
    """Parse ``a >= 4 and b >= 3`` into conditions and a combinator, or an error."""
    lowered = f" {text.strip()} "
    has_and, has_or = " and " in lowered, " or " in lowered
    if has_and and has_or:
        return [], "and", "mixes 'and' and 'or'; split it into two flags"
    combinator = "or" if has_or else "and"
    conditions = []
    for part in re.split(rf"\s+{combinator}\s+", text.strip()):
        match = CONDITION.fullmatch(part)
        if not match:
            return (
                [],
                combinator,
                (
                    f"cannot read condition '{part.strip()}'; write it as "
                    "'<dimension> <op> <whole number>' with op one of >= <= > < == !="
                ),
            )
        conditions.append(Condition(match[1], match[2], int(match[3])))
    return conditions, combinator, None


class _Checker:
    """Collects every problem in one rubric document instead of stopping at the first."""

    def __init__(self, source: str):
        self.source = source
        self.problems: list[Problem] = []

    def add(self, message: str, **where) -> None:
        self.problems.append(Problem(self.source, message, **where))

    def text(self, table: Mapping, key: str, **where) -> str:
        value = table.get(key)
        if not isinstance(value, str) or not value.strip():
            self.add(f"'{key}' is missing or empty", **where)
            return ""
        return value.strip()

    def scale(self, doc: Mapping) -> tuple[int, int] | None:
        scale = doc.get("scale")
        if not isinstance(scale, Mapping):
            self.add("'[scale]' with integer 'min' and 'max' is missing")
            return None
        low, high = scale.get("min"), scale.get("max")
        if not (type(low) is int and type(high) is int):
            self.add("scale 'min' and 'max' must both be whole numbers")
            return None
        if not 1 <= high - low + 1 <= MAX_SCALE_POINTS or high <= low:
            self.add(f"scale {low}–{high} must run upwards with 2 to {MAX_SCALE_POINTS} points")
            return None
        return low, high

    def point_table(self, table, scale: tuple[int, int], what: str, **where) -> dict[int, str]:
        """Validate a table of point -> text covering every point of the scale exactly once."""
        if not isinstance(table, Mapping) or not table:
            self.add(f"{what} are missing", **where)
            return {}
        low, high = scale
        points: dict[int, str] = {}
        reported: set[int] = set()
        for raw_key, text in table.items():
            try:
                point = int(str(raw_key).strip())
            except ValueError:
                self.add(f"'{raw_key}' is not a point on the scale", point=raw_key, **where)
                continue
            if point in points or point in reported:
                self.add(f"defined more than once in {what}", point=point, **where)
                continue
            if not low <= point <= high:
                self.add(f"outside the scale {low}–{high}", point=point, **where)
                continue
            if not isinstance(text, str) or not text.strip():
                self.add(f"empty text in {what}", point=point, **where)
                reported.add(point)
                continue
            points[point] = text.strip()
        for point in range(low, high + 1):
            if point not in points and point not in reported:
                self.add(f"missing from {what} (scale gap)", point=point, **where)
        return points


def parse_rubric(text: str, source: str = "<rubric>") -> Rubric:
    """Parse and validate rubric TOML text; raise :class:`RubricError` listing every problem."""
    check = _Checker(source)
    if not text.strip():
        raise RubricError([Problem(source, "the file is empty")])
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RubricError([Problem(source, f"invalid TOML: {exc}")]) from exc
    except RecursionError:
        raise RubricError([Problem(source, "invalid TOML: nested too deeply")]) from None

    rubric_id = check.text(doc, "id")
    if rubric_id and not RUBRIC_ID.fullmatch(rubric_id):
        check.add(f"id '{rubric_id}' must be lower-case letters, digits, '-' or '_'")
    if len(rubric_id or "") > 100:
        check.add("id is longer than 100 characters")
    version = doc.get("version")
    if type(version) is not int or not 1 <= version <= MAX_VERSION:
        check.add(f"'version' must be a whole number from 1 to {MAX_VERSION:,}")
    title = check.text(doc, "title")
    if len(title or "") > 200:
        check.add("title is longer than 200 characters")
    scale = check.scale(doc)
    panel_labels: dict[int, str] = {}
    dimensions: list[Dimension] = []
    if scale:
        panel_labels = check.point_table(doc.get("panel_labels"), scale, "panel_labels")
        dimensions = _parse_dimensions(doc.get("dimensions"), scale, check)
    flags = _parse_flags(doc.get("flags", []), {d.id for d in dimensions}, scale, check)
    if check.problems:
        raise RubricError(check.problems)
    return Rubric(
        id=rubric_id,
        version=version,
        title=title,
        description=str(doc.get("description", "")).strip(),
        scale_min=scale[0],
        scale_max=scale[1],
        panel_labels=panel_labels,
        dimensions=tuple(dimensions),
        flags=tuple(flags),
        content_hash=content_hash(doc),
        source_text=text,
    )


def _parse_dimensions(raw, scale: tuple[int, int], check: _Checker) -> list[Dimension]:
    if not isinstance(raw, list) or not raw:
        check.add("no '[[dimensions]]' defined")
        return []
    dimensions, seen = [], set()
    for index, table in enumerate(raw, start=1):
        dim_id = table.get("id") if isinstance(table, Mapping) else None
        if not isinstance(dim_id, str) or not SLUG.fullmatch(dim_id):
            check.add(f"dimension #{index} needs an 'id' of lower-case letters, digits and '_'")
            continue
        if dim_id in seen:
            check.add("duplicate dimension id", dimension=dim_id)
            continue
        seen.add(dim_id)
        allow_na = table.get("allow_na", False)
        if not isinstance(allow_na, bool):
            check.add("'allow_na' must be true or false", dimension=dim_id)
        dimensions.append(
            Dimension(
                id=dim_id,
                name=check.text(table, "name", dimension=dim_id),
                question=check.text(table, "question", dimension=dim_id),
                panel_item=check.text(table, "panel_item", dimension=dim_id),
                allow_na=bool(allow_na),
                points=check.point_table(
                    table.get("points"), scale, "point definitions", dimension=dim_id
                ),
            )
        )
    return dimensions


def _parse_flags(raw, dimension_ids: set[str], scale, check: _Checker) -> list[FlagRule]:
    if not isinstance(raw, list):
        check.add("'flags' must be written as '[[flags]]' tables")
        return []
    flags, seen = [], set()
    for index, table in enumerate(raw, start=1):
        name = table.get("name") if isinstance(table, Mapping) else None
        if not isinstance(name, str) or not SLUG.fullmatch(name):
            check.add(f"flag #{index} needs a 'name' of lower-case letters, digits and '_'")
            continue
        if name in seen:
            check.add("duplicate flag name", flag=name)
            continue
        seen.add(name)
        rule_text = check.text(table, "rule", flag=name)
        if not rule_text:
            continue
        conditions, combinator, error = parse_condition_list(rule_text)
        if error:
            check.add(error, flag=name)
            continue
        for cond in conditions:
            if cond.dimension not in dimension_ids:
                check.add(f"rule names unknown dimension '{cond.dimension}'", flag=name)
            elif scale and not scale[0] <= cond.threshold <= scale[1]:
                check.add(
                    f"threshold {cond.threshold} in '{cond}' is outside the scale "
                    f"{scale[0]}–{scale[1]}",
                    flag=name,
                )
        flags.append(
            FlagRule(
                name=name,
                description=str(table.get("description", "")).strip(),
                rule=rule_text,
                conditions=tuple(conditions),
                combinator=combinator,
            )
        )
    return flags


def check_rubric_file(path: Path) -> list[Problem]:
    """Every problem in one rubric file, or an empty list when it is valid."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return [Problem(str(path), f"not UTF-8 text ({exc.reason} at byte {exc.start})")]
    except OSError as exc:
        return [Problem(str(path), f"cannot read the file: {exc.strerror}")]
    try:
        parse_rubric(text, str(path))
    except RubricError as exc:
        return exc.problems
    return []


def load_rubric_file(path: Path) -> Rubric:
    """Read and parse one rubric file; raise :class:`RubricError` when it is invalid."""
    problems = check_rubric_file(path)
    if problems:
        raise RubricError(problems)
    return parse_rubric(path.read_text(encoding="utf-8"), str(path))
