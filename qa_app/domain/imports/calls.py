"""Validating call rows (CSV, XLSX, JSONL) into :class:`CallRecord` values.

Transcripts in CSV/XLSX are text with one turn per line: ``Agent: ...`` /
``Customer: ...``; an optional ``[mm:ss]`` or ``[hh:mm:ss]`` before the speaker
gives the turn's offset. A line without a speaker prefix continues the previous
turn. In JSONL the transcript may also be a list of ``{speaker, text, offset}``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from qa_app.domain.files.reports import ImportReport
from qa_app.domain.files.tables import Table, as_text, parse_timestamp, rejected_for_missing_columns

MAX_TENURE_DAYS = 36_500
REQUIRED_COLUMNS = ("call_id", "agent", "transcript")
OPTIONAL_COLUMNS = (
    "team",
    "queue",
    "channel",
    "interaction_type",
    "started_at",
    "save_script",
    "agent_tenure_days",
    "customer_id",
    "sentiment",
)
TEXT_LIMITS = {
    "call_id": 100,
    "agent": 200,
    "team": 200,
    "queue": 200,
    "channel": 50,
    "interaction_type": 100,
    "save_script": 100,
    "customer_id": 100,
}
SPEAKER_LINE = re.compile(
    r"^\s*(?:\[(?P<offset>\d{1,2}:\d{2}(?::\d{2})?)\]\s*)?"
    r"(?P<speaker>[A-Za-z][\w.'()-]*(?: [\w.'()-]+){0,2})\s*:\s?(?P<text>.*)$"
)


class Turn(NamedTuple):
    """One turn of a transcript. A named tuple, not a dataclass: an import of a million
    calls makes millions of them, and a tuple is several times cheaper to build."""

    speaker: str
    text: str
    offset_seconds: float | None = None


@dataclass(frozen=True)
class CallRecord:
    """One valid call, ready to be written."""

    call_id: str
    agent: str
    transcript: tuple[Turn, ...]
    team: str | None = None
    queue: str | None = None
    channel: str | None = None
    interaction_type: str | None = None
    started_at: datetime | None = None
    save_script: str | None = None
    agent_tenure_days: int | None = None
    # The customer on the call (customers.customer_id), for following customers over time.
    customer_id: str | None = None
    # The customer's sentiment on the call, -1 (negative) to 1, when the source scored it.
    sentiment: float | None = None
    # The row of the file it came from (0 for calls not read from a file), for messages.
    row: int = 0


def _offset(text: str | None) -> float | None:
    if not text:
        return None
    seconds = 0
    for part in text.split(":"):
        seconds = seconds * 60 + int(part)
    return float(seconds)


def parse_transcript_text(text: str) -> tuple[Turn, ...]:
    """Split ``Speaker: text`` lines into turns; raise ValueError when it cannot."""
    turns: list[Turn] = []
    match_line = SPEAKER_LINE.match
    for line_number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped:
            continue
        match = match_line(line)
        if match:
            speaker, body, offset = match.group("speaker", "text", "offset")
            # Speakers are cut at 100 characters, as in JSONL transcripts (the column's size).
            turns.append(
                Turn(speaker.strip()[:100], body.strip(), _offset(offset) if offset else None)
            )
        elif turns:
            last = turns[-1]
            turns[-1] = last._replace(text=f"{last.text}\n{stripped}".strip())
        else:
            raise ValueError(
                f"transcript line {line_number} has no speaker prefix "
                "(write each turn as 'Agent: ...' or 'Customer: ...')"
            )
    for index, turn in enumerate(turns, start=1):
        if not turn.text:
            raise ValueError(f"transcript turn {index} ({turn.speaker}) has no text")
    return tuple(turns)


def parse_transcript_list(items: list) -> tuple[Turn, ...]:
    """A JSON list of ``{speaker, text, offset?}`` as turns; raise ValueError when malformed."""
    turns = []
    for index, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise ValueError(f"transcript turn {index} must be an object with speaker and text")
        speaker, text = as_text(item.get("speaker")), as_text(item.get("text"))
        if not speaker or not text:
            raise ValueError(f"transcript turn {index} needs both 'speaker' and 'text'")
        offset = _seconds(item.get("offset"))
        if offset is False:
            raise ValueError(f"transcript turn {index} has an offset that is not seconds ≥ 0")
        turns.append(Turn(speaker[:100], text, offset))
    return tuple(turns)


def _seconds(value: Any) -> float | None | bool:
    """A JSON offset as seconds, None when absent, False when it is not seconds ≥ 0.

    JSON may hold NaN, Infinity and integers of hundreds of digits (float() overflows).
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        seconds = float(value)
    except OverflowError:
        return False
    return seconds if math.isfinite(seconds) and seconds >= 0 else False


def _transcript(value: Any) -> tuple[Turn, ...]:
    if isinstance(value, list):
        turns = parse_transcript_list(value)
    elif isinstance(value, str):
        turns = parse_transcript_text(value)
    elif value is None:
        turns = ()
    else:
        raise ValueError("transcript must be text or a list of {speaker, text} turns")
    if not turns:
        raise ValueError("transcript is empty")
    return turns


def _tenure(value: Any) -> int | None:
    text = as_text(value)
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        raise ValueError(f"agent_tenure_days '{text}' is not a number") from None
    if number < 0:
        raise ValueError(f"agent_tenure_days {text} is negative")
    if not number.is_integer():
        raise ValueError(f"agent_tenure_days {text} is not a whole number of days")
    if number > MAX_TENURE_DAYS:
        raise ValueError(f"agent_tenure_days {text} is more than 100 years")
    return int(number)


def _sentiment(value: Any) -> float | None:
    """A sentiment score from -1 to 1, or None for a blank cell."""
    text = as_text(value)
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        raise ValueError(f"sentiment '{text[:40]}' is not a number from -1 to 1") from None
    if not -1 <= number <= 1:  # also refuses nan
        raise ValueError(f"sentiment {text[:40]} is outside -1 to 1")
    return number


def call_id_of(raw: dict) -> str:
    """A row's call_id as :func:`validate_calls` reads it ('' when there is none)."""
    value = raw.get("call_id")
    return value.strip() if type(value) is str else as_text(value)


def validate_calls(table: Table, first_seen: dict[str, int] | None = None) -> ImportReport:
    """Check every row; valid rows become CallRecords, invalid ones RowErrors with reasons.

    ``first_seen`` (call_id -> the row it first appeared in) carries what earlier parts of
    the same file held, when a file is checked a piece at a time; the rows of this table
    are added to it.
    """
    report = ImportReport()
    unit = table.row_unit
    if rejected_for_missing_columns(table, REQUIRED_COLUMNS, report):
        return report
    known = set(REQUIRED_COLUMNS) | set(OPTIONAL_COLUMNS)
    unknown = [c for c in table.columns if c not in known]
    if unknown:
        report.warnings.append(f"ignored column(s) not used by calls: {', '.join(unknown)}")

    if first_seen is None:
        first_seen = {}
    limits = tuple(TEXT_LIMITS.items())
    for row, raw in table.rows:
        if "__error__" in raw:
            report.reject(row, raw, raw["__error__"], unit)
            continue
        get = raw.get
        text = {}
        for column in TEXT_LIMITS:
            value = get(column)
            # Cells of CSV files are str: as_text's answer without its checks.
            text[column] = value.strip() if type(value) is str else as_text(value)
        call_id = text["call_id"]
        problems = [f"{c} is empty" for c in ("call_id", "agent") if not text[c]]
        for column, limit in limits:
            if len(text[column]) > limit:
                problems.append(f"{column} is longer than {limit} characters")
        if call_id and call_id in first_seen:
            problems.append(
                f"duplicate call_id '{call_id}' (first in {unit} {first_seen[call_id]})"
            )
        elif call_id:
            first_seen[call_id] = row
        transcript = started_at = tenure = sentiment = None
        try:
            transcript = _transcript(get("transcript"))
        except ValueError as exc:
            problems.append(str(exc))
        try:
            started_at = parse_timestamp(get("started_at"))
        except ValueError as exc:
            problems.append(f"started_at: {exc}")
        try:
            tenure = _tenure(get("agent_tenure_days"))
        except ValueError as exc:
            problems.append(str(exc))
        try:
            sentiment = _sentiment(get("sentiment"))
        except ValueError as exc:
            problems.append(str(exc))
        if problems:
            report.reject(row, raw, "; ".join(problems), unit)
            continue
        report.records.append(
            CallRecord(
                call_id=call_id,
                agent=text["agent"],
                transcript=transcript,
                team=text["team"] or None,
                queue=text["queue"] or None,
                channel=text["channel"] or None,
                interaction_type=text["interaction_type"] or None,
                started_at=started_at,
                save_script=text["save_script"] or None,
                agent_tenure_days=tenure,
                customer_id=text["customer_id"] or None,
                sentiment=sentiment,
                row=row,
            )
        )
    return report
