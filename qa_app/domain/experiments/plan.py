"""Pre-registered experiments: the plan file, checked before anything is assigned or measured.

A plan is a small TOML file (docs/experiments.md, "Pre-registered experiments"; a commented
example ships as experiments/empathy-pilot-example.toml)::

    name = "empathy-pilot"
    hypothesis = "Empathy training lowers the empathy-absent flag rate"
    unit = "queue"                       # or "schedule_block" (weekday x shift)
    arms = ["control", "training"]       # the first arm is the control
    allocation = { control = 2, training = 1 }   # optional ratios; equal when left out
    primary_metric = "flag:empathy_absent"
    secondary_metrics = ["dimension:acknowledgment", "outcome:saved"]
    decision_rule = "Roll out if ..."

    [intervention]                       # kind: training, script or playbook
    kind = "training"
    name = "Empathy foundations"
    playbook = "https://wiki.example.com/empathy"   # a link or a path to its text

    [[units]]                            # each unit with its stratum ...
    name = "billing"
    stratum = "phone"
    # ... or units = ["billing", ...] with stratify_by = "channel" (a call attribute)

    [window]                             # calls started on these days (UTC) count
    start = 2027-01-11
    end = 2027-03-05

    [lags]                               # whole days
    after_assignment_days = 7            # calls count from assignment + 7 days
    after_exposure_days = 3              # an exposure counts (contamination) 3 days after it

    [subgroups]                          # equity subgroups, each optional
    complex_interaction_types = ["escalation", "policy_exception"]
    new_agent_days = 90
    channel = true

    [power]                              # the minimum detectable effect is computed from these
    baseline_mean = 0.30
    baseline_sd = 0.46
    icc = 0.05
    calls_per_unit = 400

Checking is plain Python: every problem is listed, each naming its line. The design sections
(arms, allocation, schedule, units and strata) are checked in
qa_app.domain.experiments.plan_design.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from qa_app.domain.experiments.plan_design import (
    Shift,
    check_allocation,
    check_arms,
    check_schedule,
    check_units,
    section_table,
)
from qa_app.domain.files.toml_files import FileProblems, LineProblems, as_date, read_toml
from qa_app.domain.metrics import FLAG, parse_metric

UNITS = ("queue", "schedule_block")
KINDS = ("training", "script", "playbook")
# Subgroup columns the report adds to each call (and their values).
COMPLEXITY, TENURE, CHANNEL = "complexity", "tenure", "channel"
NO_CALLS = "(no calls)"
MAX_LAG_DAYS = 365
KNOWN_KEYS = {
    "name", "hypothesis", "description", "unit", "arms", "primary_metric",
    "secondary_metrics", "decision_rule", "intervention", "units", "stratify_by", "window",
    "lags", "subgroups", "power", "schedule", "allocation",
}  # fmt: skip
# Names the Experiments pages use for themselves (/experiments/new).
RESERVED_NAMES = frozenset({"new"})


class ExperimentPlanError(FileProblems):
    """A plan that cannot be used; ``problems`` lists every one, each naming its line."""


@dataclass(frozen=True)
class Intervention:
    kind: str
    name: str
    playbook: str


@dataclass(frozen=True)
class Subgroups:
    complex_types: tuple[str, ...] = ()
    new_agent_days: int | None = None
    channel: bool = False

    @property
    def columns(self) -> tuple[str, ...]:
        """The subgroup columns the report adds, in a fixed order."""
        return tuple(
            name
            for name, on in (
                (COMPLEXITY, bool(self.complex_types)),
                (TENURE, self.new_agent_days is not None),
                (CHANNEL, self.channel),
            )
            if on
        )


@dataclass(frozen=True)
class PowerInputs:
    baseline_mean: float
    baseline_sd: float
    icc: float
    calls_per_unit: int
    alpha: float = 0.05
    power: float = 0.8
    binary: bool = False


@dataclass(frozen=True)
class ExperimentPlan:
    """A checked plan. ``strata`` holds each unit's stratum when the file gives them;
    with ``stratify_by`` they are worked out at assignment (experiment_units.strata_from_calls)."""

    name: str
    hypothesis: str
    intervention: Intervention
    unit: str
    units: tuple[str, ...]
    arms: tuple[str, ...]
    primary_metric: str
    secondary_metrics: tuple[str, ...]
    window_start: date
    window_end: date
    decision_rule: str
    strata: dict[str, str] | None = None
    stratify_by: str | None = None
    lag_after_assignment_days: int = 0
    lag_after_exposure_days: int = 0
    subgroups: Subgroups = field(default_factory=Subgroups)
    power: PowerInputs | None = None
    shifts: tuple[Shift, ...] = ()
    timezone: str = "UTC"
    description: str = ""
    allocation: dict[str, int] | None = None

    @property
    def arm_weights(self) -> dict[str, int]:
        """Each arm's ratio (1 each when the plan gives no allocation)."""
        return dict(self.allocation) if self.allocation else dict.fromkeys(self.arms, 1)

    @property
    def control(self) -> str:
        return self.arms[0]

    @property
    def treatment_arms(self) -> tuple[str, ...]:
        return self.arms[1:]

    @property
    def metrics(self) -> tuple[str, ...]:
        """The primary metric, then the secondaries."""
        return (self.primary_metric, *self.secondary_metrics)


def _text(
    doc: Mapping,
    key: str,
    check: LineProblems,
    table: str | None = None,
    required: bool = True,
    limit: int = 4000,
) -> str:
    value = doc.get(key, None if required else "")
    if not isinstance(value, str) or (required and not value.strip()) or len(value) > limit:
        where = f"[{table}] " if table else ""
        need = "is required: " if required and not value else ""
        check.add(f"{where}'{key}' {need}must be text of at most {limit:,} characters", key, table)
        return ""
    return value.strip()


def parse_experiment_plan(text: str, source: str = "<experiment>") -> ExperimentPlan:
    """Parse and check a plan's TOML text; raise :class:`ExperimentPlanError` listing every
    problem with its line."""
    doc = read_toml(text, source, ExperimentPlanError)
    check = LineProblems(text, source)
    check.unknown_keys(doc, KNOWN_KEYS)
    name = check.name(doc)
    if name in RESERVED_NAMES:  # /experiments/new is the form: a plan there could not be opened
        check.add(f"'name' cannot be '{name}' (the page for a new experiment has that address)",
                  "name")  # fmt: skip
        name = None
    hypothesis = _text(doc, "hypothesis", check)
    decision_rule = _text(doc, "decision_rule", check)
    description = _text(doc, "description", check, required=False)
    intervention = _intervention(doc, check)
    unit = doc.get("unit")
    if unit not in UNITS:
        check.add(f"'unit' must be one of {', '.join(UNITS)} (what is randomised)", "unit")
        unit = None
    shifts, timezone = check_schedule(doc, check, unit)
    arms = check_arms(doc, check)
    metrics = _metrics(doc, check)
    units, strata, stratify_by = check_units(doc, check, unit, shifts, text)
    start, end = _window(doc, check)
    lags = _lags(doc, check)
    subgroups = _subgroups(doc, check)
    power = _power(doc, check, metrics[0])
    if arms and units and len(units) < len(arms):
        check.add(
            f"{len(units)} unit(s) for {len(arms)} arms: give at least one unit per arm", "arms"
        )
    allocation = check_allocation(doc, check, arms, len(units))
    if check.items:
        raise ExperimentPlanError(check.items)
    return ExperimentPlan(
        name=name, hypothesis=hypothesis, intervention=intervention, unit=unit,
        units=units, arms=arms, primary_metric=metrics[0], secondary_metrics=metrics[1],
        window_start=start, window_end=end, decision_rule=decision_rule, strata=strata,
        stratify_by=stratify_by, lag_after_assignment_days=lags[0],
        lag_after_exposure_days=lags[1], subgroups=subgroups, power=power, shifts=shifts,
        timezone=timezone, description=description, allocation=allocation,
    )  # fmt: skip


def _intervention(doc: Mapping, check: LineProblems) -> Intervention | None:
    table = section_table(doc, "intervention", check, required=True)
    if not table:
        return None
    for key in sorted(set(table) - {"kind", "name", "playbook"}):
        check.add(
            f"[intervention] unknown setting '{key}'; known: kind, name, playbook",
            key,
            "intervention",
        )
    kind = table.get("kind")
    if kind not in KINDS:
        check.add(
            f"[intervention] 'kind' must be one of {', '.join(KINDS)}", "kind", "intervention"
        )
    name = _text(table, "name", check, "intervention", limit=200)
    playbook = _text(table, "playbook", check, "intervention", limit=1000)
    return Intervention(kind, name, playbook)


def _metrics(doc: Mapping, check: LineProblems) -> tuple[str, tuple[str, ...]]:
    primary = doc.get("primary_metric")
    key = ""
    try:
        if not isinstance(primary, str):
            raise ValueError("'primary_metric' is required, e.g. \"flag:empathy_absent\"")
        key = parse_metric(primary).key
    except ValueError as exc:
        check.add(str(exc), "primary_metric")
    secondary = doc.get("secondary_metrics", [])
    keys: list[str] = []
    if not isinstance(secondary, list):
        check.add("'secondary_metrics' must be a list of metric keys", "secondary_metrics")
        secondary = []
    for item in secondary:
        try:
            spec = parse_metric(item if isinstance(item, str) else repr(item))
        except ValueError as exc:
            check.add(f"secondary_metrics: {exc}", "secondary_metrics")
            continue
        if spec.key == key or spec.key in keys:
            check.add(
                f"secondary_metrics: '{spec.key}' is listed twice (or is the primary)",
                "secondary_metrics",
            )
        else:
            keys.append(spec.key)
    return key, tuple(keys)


def _window(doc, check: LineProblems):
    table = section_table(doc, "window", check, required=True)
    start, end = as_date(table.get("start")), as_date(table.get("end"))
    if table and start is None:
        check.add(
            "[window] 'start' must be a date such as 2027-01-11, in the years 1900 to 2199",
            "start",
            "window",
        )
    if table and end is None:
        check.add(
            "[window] 'end' must be a date such as 2027-03-05, in the years 1900 to 2199",
            "end",
            "window",
        )
    if start and end and end < start:
        check.add(f"[window] 'end' ({end}) is before 'start' ({start})", "end", "window")
    return start, end


def _lags(doc, check: LineProblems) -> tuple[int, int]:
    table = section_table(doc, "lags", check)
    known = ("after_assignment_days", "after_exposure_days")
    for key in sorted(set(table) - set(known)):
        check.add(f"[lags] unknown setting '{key}'; known: {', '.join(known)}", key, "lags")
    values = []
    for key in known:
        value = table.get(key, 0)
        if type(value) is not int or not 0 <= value <= MAX_LAG_DAYS:
            check.add(f"[lags] '{key}' must be whole days from 0 to {MAX_LAG_DAYS}", key, "lags")
            value = 0
        values.append(value)
    return values[0], values[1]


def _subgroups(doc, check: LineProblems) -> Subgroups:
    table = section_table(doc, "subgroups", check)
    known = ("complex_interaction_types", "new_agent_days", "channel")
    for key in sorted(set(table) - set(known)):
        check.add(
            f"[subgroups] unknown setting '{key}'; known: {', '.join(known)}", key, "subgroups"
        )
    complex_types = table.get("complex_interaction_types", [])
    if not isinstance(complex_types, list) or any(
        not isinstance(t, str) or not t.strip() for t in complex_types
    ):
        check.add(
            "[subgroups] 'complex_interaction_types' must be a list of interaction "
            'types, e.g. ["escalation"]',
            "complex_interaction_types",
            "subgroups",
        )
        complex_types = []
    days = table.get("new_agent_days")
    if days is not None and (type(days) is not int or not 1 <= days <= 3650):
        check.add(
            "[subgroups] 'new_agent_days' must be whole days from 1 to 3650 (agents "
            "with fewer days of tenure are new)",
            "new_agent_days",
            "subgroups",
        )
        days = None
    channel = table.get("channel", False)
    if not isinstance(channel, bool):
        check.add("[subgroups] 'channel' must be true or false", "channel", "subgroups")
        channel = False
    return Subgroups(tuple(t.strip() for t in complex_types), days, channel)


def _power(doc, check: LineProblems, primary: str) -> PowerInputs | None:
    table = section_table(doc, "power", check)
    if not table:
        return None
    rules = {
        "baseline_mean": (float, None, None), "baseline_sd": (float, 0.0, None),
        "icc": (float, 0.0, 1.0), "calls_per_unit": (int, 1, None),
        "alpha": (float, 0.0, 1.0), "power": (float, 0.0, 1.0),
    }  # fmt: skip
    for key in sorted(set(table) - set(rules) - {"binary"}):
        check.add(
            f"[power] unknown setting '{key}'; known: {', '.join(rules)}, binary", key, "power"
        )
    values = {}
    for key, (kind, low, high) in rules.items():
        value = table.get(key, {"alpha": 0.05, "power": 0.8}.get(key))
        ok = (
            isinstance(value, (int, float))
            and not isinstance(value, bool)
            and (kind is float or type(value) is int)
            and (low is None or value > low or (key == "icc" and value == 0))
            and (high is None or value < high)
        )
        if not ok:
            bounds = {
                "baseline_sd": "above 0",
                "icc": "from 0 to below 1",
                "calls_per_unit": "a whole number of 1 or more",
                "alpha": "between 0 and 1",
                "power": "between 0 and 1",
            }.get(key, "a number")
            check.add(f"[power] '{key}' must be {bounds}", key, "power")
            continue
        values[key] = value
    binary = table.get("binary", primary.startswith(f"{FLAG}:"))
    if not isinstance(binary, bool):
        check.add("[power] 'binary' must be true or false", "binary", "power")
    if len(values) < len(rules):
        return None
    return PowerInputs(**values, binary=bool(binary))
