"""The "New experiment" form's fields turned into a plan's TOML text.

A head of CX who does not write TOML fills in a form; this module writes the plan file the
same checker reads (qa_app.domain.experiments.plan), so the form and a hand-written file are
held to the same rules and the same line-named problems. It never judges a value itself: a
value that is not a number or a date where one is expected is written as a quoted string,
and the checker names it with its line. Every user text is written as an escaped TOML basic
string (never formatted raw into the file), so quotes, newlines or ``\"\"\"`` stay data.

The form covers queue-randomised plans only; schedule blocks (weekday x shift) need the
[schedule] table and stay TOML-only.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_INT = re.compile(r"[+-]?\d{1,15}")
# TOML basic strings may not hold these raw: escape them (TOML 1.0, "String").
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f",
            "\r": "\\r"}  # fmt: skip
POWER_DATA_KEYS = ("baseline_mean", "baseline_sd", "icc", "calls_per_unit")
POWER_KEYS = (*POWER_DATA_KEYS, "alpha", "power")


def toml_string(value: str) -> str:
    """``value`` as a TOML basic string: quotes, backslashes and control characters escaped;
    other characters kept as they are (the file is UTF-8)."""
    out = ['"']
    for char in str(value):
        code = ord(char)
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\u{code:04X}")
        elif 0xD800 <= code <= 0xDFFF:  # a lone surrogate cannot be written in UTF-8
            out.append("\\uFFFD")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def _number(value: str) -> str:
    """A typed number as TOML; anything else quoted, for the checker to name."""
    text = value.strip()
    if _INT.fullmatch(text):
        return str(int(text))
    try:
        number = float(text)
    except ValueError:
        return toml_string(text)
    return repr(number) if math.isfinite(number) else toml_string(text)


def _date(value: str) -> str:
    text = value.strip()
    return text if _DATE.fullmatch(text) else toml_string(text)


def _strings(values: Sequence[str]) -> str:
    return "[" + ", ".join(toml_string(v) for v in values) + "]"


def _text(fields: Mapping, key: str) -> str:
    value = fields.get(key)
    return "" if value is None else str(value).strip()


def _list(fields: Mapping, key: str) -> list[str]:
    return [str(v).strip() for v in fields.get(key) or () if str(v).strip()]


def plan_toml(fields: Mapping) -> str:
    """The plan's TOML text from the form's fields.

    ``fields`` holds strings (blank means "not given") and lists: name, hypothesis,
    decision_rule, intervention_kind, intervention_name, intervention_playbook, control,
    treatments (list), allocation (dict arm -> ratio text), queues (list of
    {"name", "stratum"} for the included queues), primary_metric, secondary_metrics (list),
    window_start, window_end, after_assignment_days, after_exposure_days,
    complex_interaction_types (list), new_agent_days, channel (bool), the POWER_KEYS and
    binary ("", "true" or "false": blank leaves it to the primary metric).
    """
    lines = [
        "# Written by the New experiment form; unit = queue (schedule blocks are TOML-only).",
        f"name = {toml_string(_text(fields, 'name'))}",
        f"hypothesis = {toml_string(_text(fields, 'hypothesis'))}",
        f"decision_rule = {toml_string(_text(fields, 'decision_rule'))}",
        'unit = "queue"',
    ]
    arms = [_text(fields, "control"), *_list(fields, "treatments")]
    lines.append(f"arms = {_strings(arms)}")
    ratios = fields.get("allocation") or {}
    given = [(arm, str(ratios.get(arm, "")).strip()) for arm in arms]
    if any(ratio for _arm, ratio in given):
        # Arm names are user text: written as quoted keys, never bare.
        pairs = ", ".join(f"{toml_string(arm)} = {_number(ratio)}" for arm, ratio in given)
        lines.append(f"allocation = {{ {pairs} }}")
    lines.append(f"primary_metric = {toml_string(_text(fields, 'primary_metric'))}")
    lines.append(f"secondary_metrics = {_strings(_list(fields, 'secondary_metrics'))}")
    queues = [q for q in fields.get("queues") or () if str(q.get("name", "")).strip()]
    if any(str(q.get("stratum", "")).strip() for q in queues):
        # All with a stratum; a queue left blank is written blank, and the checker names it.
        unit_tables = [
            f"\n[[units]]\nname = {toml_string(str(q['name']).strip())}\n"
            f"stratum = {toml_string(str(q.get('stratum', '')).strip())}"
            for q in queues
        ]
    else:
        lines.append(f"units = {_strings([str(q['name']).strip() for q in queues])}")
        unit_tables = []
    lines += [
        "",
        "[intervention]",
        f"kind = {toml_string(_text(fields, 'intervention_kind'))}",
        f"name = {toml_string(_text(fields, 'intervention_name'))}",
        f"playbook = {toml_string(_text(fields, 'intervention_playbook'))}",
        *unit_tables,
        "",
        "[window]",
        f"start = {_date(_text(fields, 'window_start'))}",
        f"end = {_date(_text(fields, 'window_end'))}",
    ]
    lags = [(k, _text(fields, k)) for k in ("after_assignment_days", "after_exposure_days")]
    if any(v for _k, v in lags):
        lines += ["", "[lags]", *(f"{k} = {_number(v)}" for k, v in lags if v)]
    complex_types = _list(fields, "complex_interaction_types")
    new_agent_days = _text(fields, "new_agent_days")
    channel = bool(fields.get("channel"))
    if complex_types or new_agent_days or channel:
        lines += ["", "[subgroups]"]
        if complex_types:
            lines.append(f"complex_interaction_types = {_strings(complex_types)}")
        if new_agent_days:
            lines.append(f"new_agent_days = {_number(new_agent_days)}")
        lines.append(f"channel = {'true' if channel else 'false'}")
    power = [(k, _text(fields, k)) for k in POWER_KEYS]
    if any(v for k, v in power if k in POWER_DATA_KEYS):
        # The form starts with alpha and power filled in, so they alone do not ask for a
        # power calculation; once one of the data's figures is typed, a blank one is left
        # out and named as missing by the checker.
        lines += ["", "[power]", *(f"{k} = {_number(v)}" for k, v in power if v)]
        binary = _text(fields, "binary")
        if binary in ("true", "false"):
            lines.append(f"binary = {binary}")
    return "\n".join(lines) + "\n"


# Each plan key the form writes: the form field (its input's name) and the label the form
# shows, so a checker problem is said in the form's words, beside its field.
FIELDS = {
    ("", "name"): ("name", "Name"), ("", "hypothesis"): ("hypothesis", "Hypothesis"),
    ("", "decision_rule"): ("decision_rule", "Decision rule"),
    ("", "arms"): ("control", "Arms"), ("", "allocation"): ("ratio_control", "Allocation ratios"),
    ("", "primary_metric"): ("primary_metric", "Primary metric"),
    ("", "secondary_metrics"): ("secondary_metrics", "Secondary metrics"),
    ("", "units"): ("queues", "Queues"), ("units", "name"): ("queues", "Queues"),
    ("units", "stratum"): ("queues", "Queue strata"),
    ("intervention", "kind"): ("intervention_kind", "Intervention kind"),
    ("intervention", "name"): ("intervention_name", "Intervention name"),
    ("intervention", "playbook"): ("intervention_playbook", "Playbook"),
    ("window", "start"): ("window_start", "Window start"),
    ("window", "end"): ("window_end", "Window end"),
    ("lags", "after_assignment_days"): ("after_assignment_days", "Days after assignment"),
    ("lags", "after_exposure_days"): ("after_exposure_days", "Days after an exposure"),
    ("subgroups", "complex_interaction_types"):
        ("complex_interaction_types", "Complex interaction types"),
    ("subgroups", "new_agent_days"): ("new_agent_days", "New agents' days"),
    ("subgroups", "channel"): ("channel", "By channel"),
    ("power", "baseline_mean"): ("baseline_mean", "Baseline mean"),
    ("power", "baseline_sd"): ("baseline_sd", "Baseline standard deviation"),
    ("power", "icc"): ("icc", "Intra-class correlation"),
    ("power", "calls_per_unit"): ("calls_per_unit", "Calls per queue"),
    ("power", "alpha"): ("alpha", "Significance level"),
    ("power", "power"): ("power", "Power"), ("power", "binary"): ("binary", "Binary metric"),
}  # fmt: skip
_WHERE = re.compile(r"^[^:\s]*:(\d+:)? ?")
_HEADER = re.compile(r"^\[\[?\s*([A-Za-z_]+)\s*\]\]?")
_SUBJECT = re.compile(r"^(?:\[([A-Za-z_]+)\] )?'([A-Za-z_]+)'")
_KEY = re.compile(r"'([A-Za-z_]+)'")


def _line_key(text: str, problem: str) -> tuple[str, str] | None:
    """The (table, key) of the plan line a problem (``plan:LINE: ...``) names, if any."""
    found = re.match(r"^[^:]*:(\d+): ", problem)
    lines = text.splitlines()
    if not found or not 1 <= int(found.group(1)) <= len(lines):
        return None
    index = int(found.group(1)) - 1
    line = lines[index]
    table = next((m.group(1) for m in map(_HEADER.match, reversed(lines[: index + 1])) if m), "")
    header = _HEADER.match(line)
    if header:
        return ("", "units") if header.group(1) == "units" else None
    return table, line.split("=", 1)[0].strip()


def form_problem(text: str, problem: str) -> tuple[str | None, str | None, str]:
    """A checker problem in the form's words: (the field's input name, its label, the message
    with no file, line, table or key names). Field and label are None when the problem is
    about no one field (an empty file, a plan too long)."""
    body = _WHERE.sub("", problem, count=1)
    subject = _SUBJECT.match(body)
    key = (subject.group(1) or "", subject.group(2)) if subject else _line_key(text, problem)
    field = FIELDS.get(key) if key else None
    table = key[0] if key else ""
    if subject and field:
        body = field[1] + body[subject.end():]
    # Other keys the message names ('start' in "'end' is before 'start'") get their labels.
    body = _KEY.sub(lambda m: FIELDS.get((table, m.group(1)), (None, m.group(0)))[1], body)
    body = body.replace(" is required: must be text", " is required: text")
    return (field[0], field[1], body) if field else (None, None, body)
