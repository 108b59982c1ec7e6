"""The randomisation design sections of an experiment plan file, checked line by line: the
arms, their allocation ratios, the [schedule] of shifts (unit = "schedule_block") and the units
with their strata or ``stratify_by``.

Split from qa_app.domain.experiments.plan, whose docstring shows the whole file and whose
parse_experiment_plan calls these checks; each adds its problems, naming their lines, to the
shared LineProblems and returns what it could read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from qa_app.domain.files.toml_files import LineProblems

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
STRATIFY_QUEUE = ("channel", "team", "interaction_type")
STRATIFY_SCHEDULE = ("weekday", "shift")
MAX_UNITS = 500
_LABEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9 _.\-]{0,99}")


@dataclass(frozen=True)
class Shift:
    """Hours [start, end) of the day; a shift whose end is not after its start crosses
    midnight (22 to 6)."""

    name: str
    start: int
    end: int

    def contains(self, hour: int) -> bool:
        if self.start < self.end:
            return self.start <= hour < self.end
        return hour >= self.start or hour < self.end


def section_table(doc: Mapping, key: str, check: LineProblems, required: bool = False) -> dict:
    """The plan's ``[key]`` table; {} when optional and left out, or (a problem) not a table."""
    value = doc.get(key)
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        check.add(f"give a [{key}] table", key)
        return {}
    return value


def check_arms(doc: Mapping, check: LineProblems) -> tuple[str, ...]:
    arms = doc.get("arms")
    if (
        not isinstance(arms, list)
        or len(arms) < 2
        or any(not isinstance(a, str) or not _LABEL.fullmatch(a) for a in arms)
        or len(set(arms)) != len(arms)
        or {"stratum", "units"} & set(arms)
    ):
        check.add(
            "'arms' must list at least 2 distinct arm names (letters, digits, space, "
            '_ . -), the control first, e.g. ["control", "training"]',
            "arms",
        )
        return ()
    return tuple(arms)


def check_allocation(doc, check: LineProblems, arms, n_units: int) -> dict[str, int] | None:
    """``allocation = { control = 2, training = 1 }``: whole-number ratios, one per arm."""
    from qa_app.domain.experiments.assignment import MAX_RATIO

    raw = doc.get("allocation")
    if raw is None:
        return None
    if not isinstance(raw, dict):
        check.add(
            "'allocation' must be a table of ratios, one per arm, e.g. "
            "allocation = { control = 2, training = 1 }",
            "allocation",
        )
        return None
    ok = True
    for arm in raw:
        if arms and arm not in arms:
            check.add(
                f"allocation: '{arm}' is not one of the arms ({', '.join(arms)})", "allocation"
            )
            ok = False
        elif type(raw[arm]) is not int or not 1 <= raw[arm] <= MAX_RATIO:
            check.add(
                f"allocation: the ratio of '{arm}' must be a whole number from 1 to "
                f"{MAX_RATIO}; got {raw[arm]!r}",
                "allocation",
            )
            ok = False
    missing = [a for a in arms if a not in raw]
    if missing:
        check.add(f"allocation: give a ratio for every arm; missing: {', '.join(missing)}",
                  "allocation")  # fmt: skip
        ok = False
    if not ok or not arms:
        return None
    total = sum(raw[a] for a in arms)
    short = [a for a in arms if n_units * raw[a] / total < 1]
    if n_units and short:
        check.add(
            f"allocation: with {n_units} units, arm '{short[0]}' would get "
            f"{n_units * raw[short[0]] / total:.2f} of a unit; every arm needs at least one "
            "(add units or raise its ratio)",
            "allocation",
        )
        return None
    return {a: int(raw[a]) for a in arms}


def check_schedule(doc: Mapping, check: LineProblems, unit: str | None):
    table = section_table(doc, "schedule", check)
    if unit != "schedule_block":
        if table:
            check.add('[schedule] is for unit = "schedule_block" only', "schedule")
        return (), "UTC"
    for key in sorted(set(table) - {"timezone", "shifts"}):
        check.add(f"[schedule] unknown setting '{key}'; known: shifts, timezone", key, "schedule")
    timezone = table.get("timezone", "UTC")
    try:
        ZoneInfo(timezone if isinstance(timezone, str) else "")
    except (ZoneInfoNotFoundError, ValueError):
        check.add(
            f"[schedule] 'timezone' must be a time zone name such as Europe/London; "
            f"got {timezone!r}",
            "timezone",
            "schedule",
        )
        timezone = "UTC"
    raw = table.get("shifts")
    if not isinstance(raw, dict) or not raw:
        check.add(
            "give a [schedule.shifts] table: shift = [start hour, end hour], e.g. early = [6, 14]",
            "schedule",
        )
        return (), timezone
    shifts = []
    for name, hours in raw.items():
        if (
            not re.fullmatch(r"[a-z0-9_]{1,30}", name)
            or not isinstance(hours, list)
            or len(hours) != 2
            or any(type(h) is not int or not 0 <= h <= 24 for h in hours)
            or hours[0] == hours[1] % 24
        ):
            check.add(
                f"[schedule.shifts] '{name}' must be [start hour, end hour] with hours "
                "0-24 (lower-case name), e.g. early = [6, 14]; night = [22, 6] crosses "
                "midnight",
                name,
                "schedule.shifts",
            )
            continue
        shifts.append(Shift(name, hours[0] % 24, hours[1] % 24))
    for hour in range(24):
        owners = [s.name for s in shifts if s.contains(hour)]
        if len(owners) > 1:
            check.add(
                f"[schedule.shifts] shifts {', '.join(owners)} overlap at hour {hour}",
                owners[-1],
                "schedule.shifts",
            )
            break
    return tuple(shifts), timezone


def check_units(doc, check: LineProblems, unit, shifts, text):
    """The units, their strata (when the file gives them) and stratify_by."""
    raw = doc.get("units")
    stratify_by = doc.get("stratify_by")
    allowed = STRATIFY_SCHEDULE if unit == "schedule_block" else STRATIFY_QUEUE
    if stratify_by is not None and stratify_by not in allowed:
        check.add(
            f"'stratify_by' must be one of {', '.join(allowed)} for unit = {unit!r}", "stratify_by"
        )
        stratify_by = None
    blocks = [f"{d}-{s.name}" for d in WEEKDAYS for s in shifts]
    if raw is None and unit == "schedule_block":
        raw = blocks  # every weekday x shift
    if not isinstance(raw, list) or not raw:
        check.add(
            "give the units: [[units]] tables with name and stratum, or units = [...] "
            "with stratify_by",
            "units",
        )
        return (), None, stratify_by
    if len(raw) > MAX_UNITS:
        check.add(f"at most {MAX_UNITS} units", "units")
        return (), None, stratify_by
    names: list[str] = []
    strata: dict[str, str] = {}
    for index, item in enumerate(raw):
        line = _array_table_line(text, "units", index)
        where = f"{check.source}:{line}" if line else check.source
        if isinstance(item, dict):
            unknown = sorted(set(item) - {"name", "stratum"})
            name, stratum = item.get("name"), item.get("stratum")
            if unknown:
                check.items.append(
                    f"{where}: unit {index + 1}: unknown setting(s) "
                    f"{', '.join(unknown)}; known: name, stratum"
                )
            if not isinstance(stratum, str) or not _LABEL.fullmatch(stratum):
                check.items.append(
                    f"{where}: unit {index + 1}: 'stratum' must be a short "
                    "label (letters, digits, space, _ . -)"
                )
            else:
                strata[str(name)] = stratum
        else:
            name = item
            line = line_of_value(text, "units", item)
            where = f"{check.source}:{line}" if line else check.source
        if not isinstance(name, str) or not _LABEL.fullmatch(name):
            check.items.append(
                f"{where}: unit {index + 1}: the name must be a short label "
                "(letters, digits, space, _ . -)"
            )
            continue
        if unit == "schedule_block" and name not in blocks:
            check.items.append(
                f"{where}: unit '{name}' is not a schedule block; blocks are "
                f"weekday-shift, e.g. {', '.join(blocks[:3]) or 'mon-early'}"
            )
        if name in names:
            check.items.append(f"{where}: unit '{name}' is listed twice")
        names.append(name)
    explicit = all(isinstance(item, dict) for item in raw)
    if explicit and stratify_by:
        check.add("give each unit's stratum or 'stratify_by', not both", "stratify_by")
    if not explicit and any(isinstance(item, dict) for item in raw):
        check.add("units: give all as [[units]] tables or all as names", "units")
    if not explicit and not stratify_by:
        stratify_by = None  # one stratum: complete randomisation of the units
    return tuple(names), (strata if explicit else None), stratify_by


def _array_table_line(text: str, key: str, index: int) -> int | None:
    """The line of the index-th ``[[key]]`` header (1-based), when there is one."""
    header = re.compile(rf"^\s*\[\[\s*{re.escape(key)}\s*\]\]")
    found = [n + 1 for n, line in enumerate(text.splitlines()) if header.match(line)]
    return found[index] if index < len(found) else None


def line_of_value(text: str, key: str, value) -> int | None:
    """The line a quoted value of ``key = [...]`` is on (lists may span lines)."""
    if not isinstance(value, str):
        return None
    lines = text.splitlines()
    start = next((n for n, line in enumerate(lines) if re.match(rf"^\s*{key}\s*=", line)), None)
    if start is None:
        return None
    for n in range(start, len(lines)):
        if f'"{value}"' in lines[n] or f"'{value}'" in lines[n]:
            return n + 1
        if "]" in lines[n] and n > start:
            break
    return start + 1
