"""What every small TOML file the app reads (sampling plans, analysis plans, outreach rules,
surveys) needs: reading it with a clear error, and naming the line a problem is on."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from datetime import date, datetime

from qa_app.domain.dates import range_problem

# A plan's name: what the command line and the pages call it.
NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,99}")
NAME_RULE = (
    "'name' must be 1-100 lower-case letters, digits, '-' or '_' (it names the plan on the "
    "command line)"
)


def line_of(text: str, key: str, table: str | None = None) -> int | None:
    """The line a key is set on (1-based), looked up within its [table] when given."""
    lines = text.splitlines()
    start = 0
    if table is not None:
        header = re.compile(rf"^\s*\[\s*{re.escape(table)}\s*\]")
        start = next((i + 1 for i, line in enumerate(lines) if header.match(line)), 0)
    pattern = re.compile(rf"^\s*(\"{re.escape(key)}\"|'{re.escape(key)}'|{re.escape(key)})\s*=")
    for number in range(start, len(lines)):
        if number > start and table is not None and lines[number].lstrip().startswith("["):
            break
        if pattern.match(lines[number]):
            return number + 1
    return None


def as_date(value) -> date | None:
    """A TOML value as a date: a TOML date or date-time, or ISO text; None for anything else,
    and for a day outside the years qa_app counts in (qa_app.domain.dates)."""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            return None
    if isinstance(value, date) and range_problem(value) is None:
        return value
    return None


class FileProblems(ValueError):
    """A file that cannot be used; ``problems`` lists every one, each naming its line.

    Each kind of file has its own subclass, so callers catch the one they read."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


class LineProblems:
    """Every problem in one file, each as ``source:line: message`` (the line when known)."""

    def __init__(self, text: str, source: str):
        self.text, self.source, self.items = text, source, []

    def add(self, message: str, key: str | None = None, table: str | None = None) -> None:
        line = line_of(self.text, key, table) if key else None
        where = f"{self.source}:{line}" if line else self.source
        self.items.append(f"{where}: {message}")

    def unknown_keys(self, doc: dict, known: set[str]) -> None:
        for key in sorted(set(doc) - known):
            self.add(f"unknown setting '{key}'; known: {', '.join(sorted(known))}", key)

    def name(self, doc: dict) -> str | None:
        """The document's ``name``, checked."""
        name = doc.get("name")
        if not isinstance(name, str) or not NAME.fullmatch(name):
            self.add(NAME_RULE, "name")
            return None
        return name


def read_toml(text: str, source: str, error: Callable[[list[str]], Exception]) -> dict:
    """The parsed document, or ``error([message])`` raised for an empty or unreadable file."""
    if not text.strip():
        raise error([f"{source}: the file is empty"])
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error([f"{source}: invalid TOML: {exc}"]) from exc
    except RecursionError:
        raise error([f"{source}: invalid TOML: nested too deeply"]) from None
