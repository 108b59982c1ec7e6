"""Customer survey files: parsing and checking with line-named errors, and rotated item order.

A survey is a TOML file (``surveys/`` in the repository, ``qa_app.surveys`` when installed):
an id and version, a 5- or 7-point scale with a label for every point, items each mapped to a
dimension of a rubric, whether the order is rotated, and one open-text question. This module
is plain Python: text in, a :class:`Survey` or a list of problems naming file and line out.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from math import factorial
from pathlib import Path

from qa_app.domain.files.reports import one_line
from qa_app.domain.files.toml_files import FileProblems
from qa_app.domain.sampling.plan import _line_of

SLUG = re.compile(r"^[a-z][a-z0-9_]*$")
SURVEY_ID = re.compile(r"^[a-z][a-z0-9_-]*$")
ALLOWED_POINTS = (5, 7)
MAX_ITEMS = 12
MAX_TEXT = 300
KNOWN_KEYS = {"id", "version", "title", "rubric", "rotate", "intro", "scale", "items", "open_text"}


class SurveyError(FileProblems):
    """Raised when a survey file cannot be used; carries every problem found."""


@dataclass(frozen=True)
class SurveyItem:
    id: str
    text: str
    dimension: str


@dataclass(frozen=True)
class Survey:
    """A parsed, checked survey version."""

    id: str
    version: int
    title: str
    rubric: str
    rotate: bool
    intro: str
    scale_min: int
    scale_max: int
    labels: Mapping[int, str]
    items: tuple[SurveyItem, ...]
    open_text: str
    content_hash: str
    source_text: str = field(repr=False, default="")

    @property
    def key(self) -> str:
        """``id@version``, the way links and commands name a survey version."""
        return f"{self.id}@{self.version}"

    @property
    def scale(self) -> range:
        return range(self.scale_min, self.scale_max + 1)

    def item(self, item_id: str) -> SurveyItem:
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)

    def order_for(self, sequence: int) -> list[str]:
        """The item order shown to the ``sequence``-th respondent (0-based).

        Rotated surveys walk through every permutation of the items in turn, so over any
        run of k! consecutive links each item appears in each position equally often (and
        each item follows each other item equally often). Unrotated surveys keep file order.
        """
        ids = [item.id for item in self.items]
        if not self.rotate:
            return ids
        return nth_permutation(ids, sequence % factorial(len(ids)))


def nth_permutation(values: Sequence[str], index: int) -> list[str]:
    """The ``index``-th permutation of ``values`` in lexicographic order of positions."""
    pool, order = list(values), []
    for size in range(len(pool), 0, -1):
        step = factorial(size - 1)
        position, index = divmod(index, step)
        order.append(pool.pop(position))
    return order


class _Problems:
    """Collects every problem, each with the line it is on when the line can be found."""

    def __init__(self, text: str, source: str):
        self.lines, self.text, self.source, self.items = text.splitlines(), text, source, []

    def add(self, message: str, line: int | None = None) -> None:
        where = f"{self.source}:{line}" if line else self.source
        self.items.append(one_line(f"{where}: {message}"))

    def line(self, key: str, table: str | None = None) -> int | None:
        return _line_of(self.text, key, table)

    def item_line(self, index: int, key: str | None = None) -> int | None:
        """The line of ``key`` in the ``index``-th ``[[items]]`` table (its header without key)."""
        headers = [
            n for n, line in enumerate(self.lines) if re.match(r"^\s*\[\[\s*items\s*\]\]", line)
        ]
        if index >= len(headers):
            return None
        start = headers[index]
        if key is None:
            return start + 1
        pattern = re.compile(rf"^\s*(\"{re.escape(key)}\"|{re.escape(key)})\s*=")
        for number in range(start + 1, len(self.lines)):
            if self.lines[number].lstrip().startswith("["):
                break
            if pattern.match(self.lines[number]):
                return number + 1
        return start + 1


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def parse_survey(
    text: str, source: str = "<survey>", rubric_dimensions: Mapping[str, set[str]] | None = None
) -> Survey:
    """Parse and check survey TOML; raise :class:`SurveyError` listing every problem.

    ``rubric_dimensions`` (rubric id -> its dimension ids), when given, is used to check
    that the survey's rubric exists and that every item speaks to one of its dimensions.
    """
    if not text.strip():
        raise SurveyError([f"{source}: the file is empty"])
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SurveyError([f"{source}: invalid TOML: {exc}"]) from exc
    except RecursionError:
        raise SurveyError([f"{source}: invalid TOML: nested too deeply"]) from None
    p = _Problems(text, source)
    for key in doc:
        if key not in KNOWN_KEYS:
            p.add(f"unknown setting '{key}' (known: {', '.join(sorted(KNOWN_KEYS))})", p.line(key))

    survey_id = _text(doc, "id", p)
    if survey_id and not SURVEY_ID.fullmatch(survey_id):
        p.add(f"id '{survey_id}' must be lower-case letters, digits, '-' or '_'", p.line("id"))
    version = doc.get("version")
    if type(version) is not int or not 1 <= version <= 1_000_000:
        p.add("'version' must be a whole number from 1 to 1,000,000", p.line("version"))
    title = _text(doc, "title", p)
    rubric = _text(doc, "rubric", p)
    rotate = doc.get("rotate", True)
    if not isinstance(rotate, bool):
        p.add("'rotate' must be true or false", p.line("rotate"))
    intro = doc.get("intro", "")
    if not isinstance(intro, str):
        p.add("'intro' must be text", p.line("intro"))
        intro = ""
    scale = _scale(doc.get("scale"), p)
    labels = _labels(doc.get("scale"), scale, p) if scale else {}
    dimensions = None
    if rubric and rubric_dimensions is not None:
        dimensions = rubric_dimensions.get(rubric)
        if dimensions is None:
            known = ", ".join(sorted(rubric_dimensions)) or "none"
            p.add(f"rubric '{rubric}' is not a known rubric (known: {known})", p.line("rubric"))
    items = _items(doc.get("items"), dimensions, rubric, p)
    open_text = ""
    table = doc.get("open_text")
    if not isinstance(table, Mapping):
        p.add("'[open_text]' with a 'question' is missing (one open-text question is required)")
    else:
        open_text = table.get("question")
        if not isinstance(open_text, str) or not open_text.strip():
            p.add(
                "open_text 'question' is missing or empty",
                p.line("question", "open_text") or p.line("open_text"),
            )
            open_text = ""
        elif len(open_text) > MAX_TEXT:
            p.add(f"open_text question is longer than {MAX_TEXT} characters",
                  p.line("question", "open_text"))  # fmt: skip
    if p.items:
        raise SurveyError(p.items)
    return Survey(
        id=survey_id,
        version=version,
        title=title,
        rubric=rubric,
        rotate=rotate,
        intro=intro.strip(),
        scale_min=scale[0],
        scale_max=scale[1],
        labels=labels,
        items=tuple(items),
        open_text=open_text.strip(),
        content_hash=content_hash(text),
        source_text=text,
    )


def _text(doc: Mapping, key: str, p: _Problems) -> str:
    value = doc.get(key)
    if not isinstance(value, str) or not value.strip():
        p.add(f"'{key}' is missing or empty", p.line(key))
        return ""
    if len(value) > MAX_TEXT:
        p.add(f"'{key}' is longer than {MAX_TEXT} characters", p.line(key))
    return value.strip()


def _scale(table, p: _Problems) -> tuple[int, int] | None:
    if not isinstance(table, Mapping):
        p.add("'[scale]' with whole-number 'min' and 'max' is missing")
        return None
    low, high = table.get("min"), table.get("max")
    if not (type(low) is int and type(high) is int):
        p.add("scale 'min' and 'max' must both be whole numbers",
              p.line("min", "scale") or p.line("max", "scale") or p.line("scale"))  # fmt: skip
        return None
    if high - low + 1 not in ALLOWED_POINTS:
        p.add(
            f"scale {low}–{high} has {high - low + 1} points; a survey scale has 5 or 7",
            p.line("max", "scale"),
        )
        return None
    return low, high


def _labels(table: Mapping, scale: tuple[int, int], p: _Problems) -> dict[int, str]:
    raw = table.get("labels")
    header = p.line("labels", "scale") or _header_line(p, "scale.labels")
    if not isinstance(raw, Mapping) or not raw:
        p.add("'[scale.labels]' is missing: every point needs a label", header)
        return {}
    labels: dict[int, str] = {}
    for key, label in raw.items():
        line = p.line(str(key), "scale.labels") or header
        try:
            point = int(str(key).strip())
        except ValueError:
            p.add(f"label key '{key}' is not a point on the scale", line)
            continue
        if not scale[0] <= point <= scale[1]:
            p.add(f"label for point {point} is outside the scale {scale[0]}–{scale[1]}", line)
        elif not isinstance(label, str) or not label.strip():
            p.add(f"label for point {point} is empty", line)
        else:
            labels[point] = label.strip()
    for point in range(scale[0], scale[1] + 1):
        if point not in labels and str(point) not in {str(k).strip() for k in raw}:
            p.add(f"point {point} has no label (every point must be labelled)", header)
    return labels


def _header_line(p: _Problems, table: str) -> int | None:
    for number, line in enumerate(p.lines):
        if re.match(rf"^\s*\[\s*{re.escape(table)}\s*\]", line):
            return number + 1
    return None


def _items(raw, dimensions: set[str] | None, rubric: str, p: _Problems) -> list[SurveyItem]:
    if not isinstance(raw, list) or not raw:
        p.add("no '[[items]]' defined")
        return []
    if len(raw) > MAX_ITEMS:
        p.add(f"{len(raw)} items; a survey has at most {MAX_ITEMS}", p.item_line(MAX_ITEMS))
    items, seen = [], {}
    for index, table in enumerate(raw):
        if not isinstance(table, Mapping):
            p.add(f"item #{index + 1} is not a table", p.item_line(index))
            continue
        item_id = table.get("id")
        if not isinstance(item_id, str) or not SLUG.fullmatch(item_id):
            p.add(
                f"item #{index + 1} needs an 'id' of lower-case letters, digits and '_'",
                p.item_line(index, "id"),
            )
            continue
        if item_id in seen:
            p.add(f"item '{item_id}' is defined twice (first at line {seen[item_id]})",
                  p.item_line(index, "id"))  # fmt: skip
            continue
        seen[item_id] = p.item_line(index, "id")
        text = table.get("text")
        if not isinstance(text, str) or not text.strip():
            p.add(f"item '{item_id}': 'text' (the wording) is missing or empty",
                  p.item_line(index, "text"))  # fmt: skip
            text = ""
        dimension = table.get("dimension")
        if not isinstance(dimension, str) or not dimension.strip():
            p.add(f"item '{item_id}': 'dimension' (the rubric dimension it speaks to) is missing",
                  p.item_line(index, "dimension"))  # fmt: skip
            dimension = ""
        elif dimensions is not None and dimension not in dimensions:
            p.add(
                f"item '{item_id}': dimension '{dimension}' is not in rubric '{rubric}' "
                f"(its dimensions: {', '.join(sorted(dimensions))})",
                p.item_line(index, "dimension"),
            )
        for key in table:
            if key not in ("id", "text", "dimension"):
                p.add(f"item '{item_id}': unknown key '{key}'", p.item_line(index, key))
        items.append(SurveyItem(item_id, str(text).strip(), str(dimension).strip()))
    return items


def check_survey_file(path: Path, rubric_dimensions=None) -> list[str]:
    """Every problem in one survey file, or an empty list when it is valid."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return [f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})"]
    except OSError as exc:
        return [f"{path}: cannot read the file: {exc.strerror}"]
    try:
        parse_survey(text, str(path), rubric_dimensions)
    except SurveyError as exc:
        return exc.problems
    return []


def load_survey_file(path: Path, rubric_dimensions=None) -> Survey:
    """Read and parse one survey file; raise :class:`SurveyError` when it is invalid."""
    problems = check_survey_file(path, rubric_dimensions)
    if problems:
        raise SurveyError(problems)
    return parse_survey(path.read_text(encoding="utf-8"), str(path), rubric_dimensions)


def survey_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.toml"))
