"""Analysis plans: the outcomes, lags and exposure flag fixed before anyone looks at results.

A plan is a small TOML file (see docs/customers.md, "Outcomes over time")::

    name = "empathy-2026"
    flag = "acknowledged"          # the exposure: a rubric flag
    dose = "share"                 # optional: "share" (default) or "count" of flagged calls
    description = "Pre-registered before the Q3 review"   # optional

    [outcomes]                     # outcome = [lags in months]
    nps = [1]                      # next month's NPS
    renewal = [3]                  # renewals next quarter
    spend = [12]                   # spend a year on

Checking is plain Python: every problem is listed, each naming its line.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field

from qa_app.domain.files.toml_files import FileProblems, LineProblems, read_toml

OUTCOMES = ("nps", "renewal", "spend", "churn")
DOSES = ("share", "count")
MAX_LAG = 36
FLAG_NAME = re.compile(r"[a-z][a-z0-9_]{0,99}")
KNOWN_KEYS = {"name", "flag", "dose", "description", "outcomes"}


class AnalysisPlanError(FileProblems):
    """A plan file that cannot be used; ``problems`` lists every one, each naming its line."""


@dataclass(frozen=True)
class AnalysisPlanSpec:
    """A checked analysis plan: the exposure flag and, per outcome, its lags in months."""

    name: str
    flag: str
    outcomes: dict[str, tuple[int, ...]] = field(default_factory=dict)
    dose: str = "share"
    description: str = ""


def parse_analysis_plan(
    text: str, source: str = "<plan>", known_flags: Collection[str] | None = None
) -> AnalysisPlanSpec:
    """Parse and check a plan's TOML text; raise :class:`AnalysisPlanError` listing every
    problem with its line. ``known_flags`` (the rubric's flags), when given, must hold the
    plan's flag."""
    doc = read_toml(text, source, AnalysisPlanError)
    check = LineProblems(text, source)
    check.unknown_keys(doc, KNOWN_KEYS)
    name = check.name(doc)
    flag = doc.get("flag")
    if not isinstance(flag, str) or not FLAG_NAME.fullmatch(flag):
        check.add("'flag' must name a rubric flag, e.g. \"acknowledged\"", "flag")
    elif known_flags is not None and flag not in known_flags:
        check.add(
            f"unknown flag '{flag}'; the rubric's flags: {', '.join(sorted(known_flags))}",
            "flag",
        )
    dose = doc.get("dose", "share")
    if dose not in DOSES:
        check.add(f"'dose' must be one of {', '.join(DOSES)}", "dose")
    description = doc.get("description", "")
    if not isinstance(description, str) or len(description) > 2000:
        check.add("'description' must be text of at most 2,000 characters", "description")
        description = ""
    outcomes = _outcomes(doc, check)
    if check.items:
        raise AnalysisPlanError(check.items)
    return AnalysisPlanSpec(name, flag, outcomes, dose, description)


def _outcomes(doc: dict, check: LineProblems) -> dict[str, tuple[int, ...]]:
    table = doc.get("outcomes")
    if not isinstance(table, dict) or not table:
        check.add(
            "give an [outcomes] table: outcome = [lags in months], e.g. nps = [1]", "outcomes"
        )
        return {}
    result = {}
    for outcome, lags in table.items():
        if outcome not in OUTCOMES:
            check.add(
                f"unknown outcome '{outcome}'; known: {', '.join(OUTCOMES)}", outcome, "outcomes"
            )
            continue
        if (
            not isinstance(lags, list)
            or not lags
            or any(type(lag) is not int or not 0 <= lag <= MAX_LAG for lag in lags)
            or len(set(lags)) != len(lags)
        ):
            check.add(
                f"'{outcome}' must be a list of distinct whole months from 0 to {MAX_LAG}, "
                "e.g. [1, 3]",
                outcome,
                "outcomes",
            )
            continue
        result[outcome] = tuple(sorted(lags))
    return result


def parse_lags(text: str) -> list[int]:
    """``"1,3,12"`` as ``[1, 3, 12]``; :class:`ValueError` saying what is wrong otherwise."""
    lags = []
    for part in (text or "").split(","):
        part = part.strip()
        if not (part.isascii() and part.isdigit()) or int(part) > MAX_LAG:
            raise ValueError(
                f"lags must be whole months from 0 to {MAX_LAG} separated by commas, "
                f"e.g. 1,3,12; got '{text[:40]}'"
            )
        if int(part) not in lags:
            lags.append(int(part))
    return sorted(lags)
