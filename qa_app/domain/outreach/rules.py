"""Outreach rules: which signals must coincide, with what priority, under which guards.

The rules are a small versioned TOML file (the shipped one is ``outreach/default-v1.toml``,
installed as ``qa_app.outreach``). :func:`parse_rules` checks every part and raises
:class:`RulesError` listing each problem with the file and line it is on, so
``qa-app outreach check FILE`` can say exactly what to fix.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from qa_app.domain.files.toml_files import FileProblems
from qa_app.domain.files.toml_files import line_of as _line_of

SIGNALS = ("empathy_absent", "usage_dip", "repeated_contacts", "negative_sentiment")
# Each signal's settings: (default, smallest allowed, largest allowed, kind).
SETTINGS = {
    "empathy_absent": {
        "flag": ("empathy_absent", None, None, str),
        "window_days": (14, 1, 365, int),
    },
    "usage_dip": {
        "window_days": (14, 1, 365, int),
        "baseline_days": (60, 1, 730, int),
        "min_drop": (0.30, 0.01, 1.0, float),
    },
    "repeated_contacts": {"window_days": (14, 1, 365, int), "min_calls": (3, 2, 100, int)},
    "negative_sentiment": {
        "window_days": (14, 1, 365, int),
        "threshold": (-0.05, -1.0, 1.0, float),
    },
}
GUARDS = {"cooldown_days": (30, 1, 3650, int), "daily_cap_per_team": (5, 1, 10_000, int)}
TOP_KEYS = {"id", "version", "title", "description", "signals", "guards", "rules"}
RULE_KEYS = {"name", "all_of", "any_of", "priority"}
RULES_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,99}")


class RulesError(FileProblems):
    """The rules file cannot be used; ``problems`` names each one with its line."""


@dataclass(frozen=True)
class Rule:
    """Signals that must all hold (``all_of``) and, if given, at least one of ``any_of``."""

    name: str
    all_of: tuple[str, ...]
    any_of: tuple[str, ...]
    priority: int

    def met_by(self, signals: set[str]) -> bool:
        """True when ``signals`` (the names that hold) satisfy this rule."""
        if not set(self.all_of) <= signals:
            return False
        return not self.any_of or bool(signals & set(self.any_of))


@dataclass(frozen=True)
class OutreachRules:
    """A parsed, checked rules file."""

    id: str
    version: int
    title: str
    settings: dict[str, dict]
    cooldown_days: int
    daily_cap_per_team: int
    rules: tuple[Rule, ...]
    content_hash: str

    @property
    def key(self) -> str:
        return f"{self.id}@{self.version}"

    @property
    def used_signals(self) -> set[str]:
        return {s for r in self.rules for s in (*r.all_of, *r.any_of)}

    def first_rule_met(self, signals: set[str]) -> Rule | None:
        """The rule with the lowest priority number that ``signals`` meet, or None."""
        for rule in sorted(self.rules, key=lambda r: (r.priority, r.name)):
            if rule.met_by(signals):
                return rule
        return None


def _rule_line(text: str, index: int, key: str | None) -> int | None:
    """The line of the index-th ``[[rules]]`` header, or of ``key`` inside that block."""
    lines = text.splitlines()
    headers = [i for i, line in enumerate(lines) if re.match(r"^\s*\[\[\s*rules\s*\]\]", line)]
    if index >= len(headers):
        return None
    start = headers[index]
    if key is None:
        return start + 1
    pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
    for number in range(start + 1, len(lines)):
        if lines[number].lstrip().startswith("["):
            break
        if pattern.match(lines[number]):
            return number + 1
    return start + 1


def _number(value, kind):
    if isinstance(value, bool):
        return None
    if kind is int and isinstance(value, int):
        return value
    if kind is float and isinstance(value, int | float):
        return float(value)
    return None


def parse_rules(text: str, source: str = "<rules>") -> OutreachRules:
    """Parse and check a rules file's TOML text; raise :class:`RulesError` with every problem."""
    problems: list[str] = []

    def add(message: str, line: int | None) -> None:
        problems.append(f"{source}:{line}: {message}" if line else f"{source}: {message}")

    if not text.strip():
        raise RulesError([f"{source}: the file is empty"])
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RulesError([f"{source}: invalid TOML: {exc}"]) from exc
    for key in sorted(set(doc) - TOP_KEYS):
        add(f"unknown key '{key}' (known: {', '.join(sorted(TOP_KEYS))})", _line_of(text, key))
    rules_id = doc.get("id")
    if not isinstance(rules_id, str) or not RULES_ID.fullmatch(rules_id):
        add("id must be lower-case letters, digits, '-' or '_' (e.g. \"outreach\")",
            _line_of(text, "id"))  # fmt: skip
    version = doc.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        add("version must be a whole number from 1 (bump it when anything changes)",
            _line_of(text, "version"))  # fmt: skip
    title = doc.get("title", "")
    if not isinstance(title, str):
        add("title must be text", _line_of(text, "title"))

    settings: dict[str, dict] = {}
    signals_doc = doc.get("signals", {})
    if not isinstance(signals_doc, dict):
        add("signals must be tables such as [signals.usage_dip]", _line_of(text, "signals"))
        signals_doc = {}
    for name in signals_doc:
        if name not in SIGNALS:
            line = _line_of(text, name, "signals") or _header_line(text, f"signals.{name}")
            add(f"unknown signal '{name}' (known: {', '.join(SIGNALS)})", line)
    for name in SIGNALS:
        given = signals_doc.get(name, {})
        table = f"signals.{name}"
        if not isinstance(given, dict):
            add(f"signals.{name} must be a table", _line_of(text, name, "signals"))
            given = {}
        chosen = {}
        for key in sorted(set(given) - set(SETTINGS[name])):
            add(f"unknown setting '{key}' for {name} (known: {', '.join(SETTINGS[name])})",
                _line_of(text, key, table))  # fmt: skip
        for key, (default, low, high, kind) in SETTINGS[name].items():
            value = given.get(key, default)
            if kind is str:
                if not isinstance(value, str) or not value.strip():
                    add(f"{name}.{key} must be a rubric flag's name", _line_of(text, key, table))
                chosen[key] = value
                continue
            number = _number(value, kind)
            if number is None or not low <= number <= high:
                kind_word = "a whole number" if kind is int else "a number"
                add(f"{name}.{key} must be {kind_word} from {low} to {high}, not {value!r}",
                    _line_of(text, key, table))  # fmt: skip
                number = default
            chosen[key] = number
        settings[name] = chosen

    guards = doc.get("guards", {})
    if not isinstance(guards, dict):
        add("guards must be a table [guards]", _line_of(text, "guards"))
        guards = {}
    for key in sorted(set(guards) - set(GUARDS)):
        add(f"unknown guard '{key}' (known: {', '.join(GUARDS)}; opt-outs and open alerts "
            "are always guarded)", _line_of(text, key, "guards"))  # fmt: skip
    guard_values = {}
    for key, (default, low, high, kind) in GUARDS.items():
        value = guards.get(key, default)
        number = _number(value, kind)
        if number is None or not low <= number <= high:
            add(f"guards.{key} must be a whole number from {low} to {high}, not {value!r}",
                _line_of(text, key, "guards"))  # fmt: skip
            number = default
        guard_values[key] = number

    rules = []
    given_rules = doc.get("rules")
    if not isinstance(given_rules, list) or not given_rules:
        add("at least one [[rules]] table is needed: which signals must coincide",
            _line_of(text, "rules"))  # fmt: skip
        given_rules = []
    names = set()
    for index, entry in enumerate(given_rules):
        if not isinstance(entry, dict):
            add("each rule must be a [[rules]] table", _rule_line(text, index, None))
            continue
        where = index + 1
        for key in sorted(set(entry) - RULE_KEYS):
            add(f"rule {where}: unknown key '{key}' (known: {', '.join(sorted(RULE_KEYS))})",
                _rule_line(text, index, key))  # fmt: skip
        name = entry.get("name")
        if not isinstance(name, str) or not name.strip():
            add(f"rule {where}: name must be text", _rule_line(text, index, "name"))
            name = f"rule {where}"
        elif name in names:
            add(f"rule {where}: name '{name}' is used twice", _rule_line(text, index, "name"))
        names.add(name)
        lists = {}
        for key in ("all_of", "any_of"):
            value = entry.get(key, [])
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                add(f"rule {where}: {key} must be a list of signal names",
                    _rule_line(text, index, key))  # fmt: skip
                value = []
            unknown = [v for v in value if v not in SIGNALS]
            if unknown:
                add(f"rule {where}: unknown signal(s) in {key}: {', '.join(unknown)} "
                    f"(known: {', '.join(SIGNALS)})", _rule_line(text, index, key))  # fmt: skip
            lists[key] = tuple(v for v in value if v in SIGNALS)
        if ("all_of" in entry or "any_of" in entry) and not (
            entry.get("all_of") or entry.get("any_of")
        ):
            add(f"rule {where}: all_of and any_of are both empty: it would alert everyone",
                _rule_line(text, index, "all_of"))  # fmt: skip
        elif "all_of" not in entry and "any_of" not in entry:
            add(f"rule {where}: give all_of (signals that must all hold) and/or any_of",
                _rule_line(text, index, None))  # fmt: skip
        priority = entry.get("priority")
        if isinstance(priority, bool) or not isinstance(priority, int) or not 1 <= priority <= 9:
            add(f"rule {where}: priority must be a whole number from 1 (most urgent) to 9",
                _rule_line(text, index, "priority"))  # fmt: skip
            priority = 9
        rules.append(Rule(name, lists["all_of"], lists["any_of"], priority))
    if problems:
        raise RulesError(problems)
    return OutreachRules(
        id=rules_id,
        version=version,
        title=title,
        settings=settings,
        cooldown_days=guard_values["cooldown_days"],
        daily_cap_per_team=guard_values["daily_cap_per_team"],
        rules=tuple(rules),
        content_hash=hashlib.sha256(text.encode()).hexdigest(),
    )


def _header_line(text: str, table: str) -> int | None:
    header = re.compile(rf"^\s*\[\s*{re.escape(table)}\s*\]")
    return next((i + 1 for i, line in enumerate(text.splitlines()) if header.match(line)), None)


def shipped_rules_path() -> Path:
    """The rules file that ships with this version of qa_app."""
    return Path(str(files("qa_app.outreach"))) / "default-v1.toml"


def load_rules(path: Path | None = None) -> OutreachRules:
    """Read and check a rules file (the shipped one when ``path`` is None)."""
    path = path or shipped_rules_path()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RulesError([f"{path}: cannot read the file ({exc})"]) from None
    return parse_rules(text, str(path))
