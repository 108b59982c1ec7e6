"""The audit trail read back: filters as typed by a person, and rows for table, JSON and CSV.

Plain Python: the web page and ``qa-app audit`` both parse filters and format rows here.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TextIO

from qa_app.domain.files.spreadsheet_safety import protect_formula
from qa_app.domain.files.tables import parse_timestamp

COLUMNS = ("at", "actor", "action", "object_type", "object_id", "before", "after", "reason")


class FilterProblem(ValueError):
    """A filter that cannot be read: ``field`` names it, the message says why."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class AuditFilter:
    """Which events to show. Empty fields do not filter.

    ``user`` matches the actor's email (or "system") exactly, case-insensitive; ``action``
    matches whole actions or a prefix ending in "." ("user." is every user event);
    ``object`` is a type ("review") or a type and id ("review:42"). ``until`` is exclusive.
    """

    since: datetime | None = None
    until: datetime | None = None
    user: str = ""
    action: str = ""
    object_type: str = ""
    object_id: str = ""

    @classmethod
    def parse(cls, since="", until="", user="", action="", target="") -> AuditFilter:
        """Read filters as typed; a date without a time covers that whole day (UTC)."""
        bounds = {}
        for name, text in (("since", since), ("until", until)):
            text = (text or "").strip()
            try:
                moment = parse_timestamp(text)
            except ValueError as exc:
                raise FilterProblem(name, str(exc)) from None
            if moment is not None and name == "until" and len(text) == 10:
                moment += timedelta(days=1)  # "until 2026-11-29" includes that day
            bounds[name] = moment
        if bounds["since"] and bounds["until"] and bounds["since"] >= bounds["until"]:
            raise FilterProblem("since", "must be before until")
        object_type, _, object_id = (target or "").strip().partition(":")
        return cls(
            since=bounds["since"],
            until=bounds["until"],
            user=(user or "").strip().lower(),
            action=(action or "").strip(),
            object_type=object_type.strip(),
            object_id=object_id.strip(),
        )

    def as_args(self) -> dict[str, str]:
        """The filters as query-string values, for links that keep them (page, CSV)."""
        target = f"{self.object_type}:{self.object_id}" if self.object_id else self.object_type
        args = {
            "since": self.since.isoformat() if self.since else "",
            "until": self.until.isoformat() if self.until else "",
            "user": self.user,
            "action": self.action,
            "object": target,
        }
        return {k: v for k, v in args.items() if v}


def event_row(at: datetime, actor: str, action: str, object_type: str, object_id: str,
              before: Any, after: Any, reason: str) -> dict[str, str]:
    """One event as text cells; before/after as compact JSON."""
    return {
        "at": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "actor": actor,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "before": _json(before),
        "after": _json(after),
        "reason": reason or "",
    }


def _json(value: Any) -> str:
    if value is None:
        return ""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(", ", ": "))


def csv_chunks(rows, rows_per_chunk: int = 500) -> Iterator[str]:
    """The header, then the rows as CSV text a few hundred at a time (memory stays flat for
    any length); every text cell is formula-safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for index, row in enumerate(rows, start=1):
        writer.writerow([protect_formula(row[column]) for column in COLUMNS])
        if index % rows_per_chunk == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def write_csv(rows, handle: TextIO) -> None:
    """Write rows as CSV (see :func:`csv_chunks`)."""
    for chunk in csv_chunks(rows):
        handle.write(chunk)


def write_json_lines(rows, handle: TextIO) -> int:
    """One JSON object per line, before/after kept as structures."""
    count = 0
    for row in rows:
        record = dict(row)
        for key in ("before", "after"):
            record[key] = json.loads(record[key]) if record[key] else None
        handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        count += 1
    return count
