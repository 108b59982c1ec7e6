"""Sampling plans: which calls to review in a period, drawn at random within strata.

A plan is a small TOML file (see docs/sampling.md, "Sampling plans")::

    name = "december-hard-calls"
    since = 2026-12-01
    until = 2026-12-31
    seed = 20261201
    strata = ["interaction_type"]          # optionally crossed with "channel" or "queue"
    reviewers = ["rita@example.com", "sam@example.com"]
    min_per_agent = 2                       # optional

    [sizes]                                 # calls to draw per stratum ...
    escalation = 40
    quick_win = 10

    # ... or a total and oversampling factors per interaction type (the defaults below
    # oversample the hard calls and undersample quick wins):
    # total = 200
    # [oversample]
    # escalation = 3.0

A stratum may also be a machine prediction: ``"machine:empathy_absent"`` (whether the machine
rater's scores raise that flag) or ``"machine:acknowledgment"`` (the machine's score of that
dimension), with optional ``[machine_oversample]`` factors per band (``flagged = 4.0``). Calls
the machine has not scored form their own band, so every call keeps a chance of being drawn.

Each stratum's inclusion probability is π_h = n_h / N_h. Drawing the calls and assigning
them to reviewers are in qa_app.domain.sampling.draw.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from qa_app.domain.comparison_statistics import effective_n
from qa_app.domain.files.toml_files import FileProblems, LineProblems, as_date, line_of, read_toml

# Older name, still imported by modules that read other TOML files.
_line_of = line_of

STRATUM_FIELDS = ("interaction_type", "channel", "queue", "team")
# A stratum on the machine rater's prediction: "machine:<flag>" or "machine:<dimension>".
MACHINE_PREFIX = "machine:"
FLAGGED, NOT_FLAGGED = "flagged", "not flagged"
# Where empathy is most tested (the seed): escalations, delayed shipments, billing
# corrections and policy exceptions, three times their share; quick wins at half theirs.
DEFAULT_OVERSAMPLING = {
    "escalation": 3.0,
    "delayed_shipment": 3.0,
    "billing_correction": 3.0,
    "policy_exception": 3.0,
    "quick_win": 0.5,
}
NO_VALUE = "(none)"
SEPARATOR = " / "
MAX_SEED = 2**63 - 1
MAX_SIZE = 1_000_000
KNOWN_KEYS = {
    "name",
    "description",
    "since",
    "until",
    "seed",
    "strata",
    "reviewers",
    "sizes",
    "total",
    "oversample",
    "min_per_agent",
    "machine_oversample",
}


class PlanError(FileProblems):
    """A plan file that cannot be used; ``problems`` lists every one, each naming its line."""


@dataclass(frozen=True)
class SamplingPlanSpec:
    """A checked plan file."""

    name: str
    since: date
    until: date
    seed: int
    strata: tuple[str, ...]
    reviewers: tuple[str, ...]
    sizes: dict[str, int] | None = None
    total: int | None = None
    oversample: dict[str, float] = field(default_factory=dict)
    min_per_agent: int = 0
    description: str = ""
    machine_oversample: dict[str, float] = field(default_factory=dict)

    @property
    def machine_target(self) -> str | None:
        """The flag or dimension whose machine prediction is a stratum, if any."""
        return machine_target(self.strata)


def machine_target(strata: Sequence[str]) -> str | None:
    """The name after ``machine:`` in a plan's strata, or None."""
    for name in strata:
        if name.startswith(MACHINE_PREFIX):
            return name[len(MACHINE_PREFIX) :]
    return None


def machine_band(target: str, scores: Mapping[str, int], flags: Mapping[str, bool | None]) -> str:
    """A call's value of the machine stratum: for a flag whether the machine's scores raise
    it, for a dimension the machine's score; '(none)' where the machine has no answer."""
    if target in flags:
        raised = flags[target]
        return NO_VALUE if raised is None else (FLAGGED if raised else NOT_FLAGGED)
    score = scores.get(target)
    return NO_VALUE if score is None else str(score)


def parse_plan(text: str, source: str = "<plan>") -> SamplingPlanSpec:
    """Parse and check a plan's TOML text; raise :class:`PlanError` listing every problem."""
    doc = read_toml(text, source, PlanError)
    check = LineProblems(text, source)
    check.unknown_keys(doc, KNOWN_KEYS)
    name = check.name(doc)
    since, until = as_date(doc.get("since")), as_date(doc.get("until"))
    if since is None:
        check.add("'since' must be a date such as 2026-12-01, in the years 1900 to 2199", "since")
    if until is None:
        check.add("'until' must be a date such as 2026-12-31, in the years 1900 to 2199", "until")
    if since and until and until < since:
        check.add(f"'until' ({until}) is before 'since' ({since})", "until")
    seed = doc.get("seed")
    if type(seed) is not int or not 0 <= seed <= MAX_SEED:
        check.add("'seed' must be a whole number from 0 to 2^63-1 (it makes the draw repeatable)",
                  "seed")  # fmt: skip
    strata = doc.get("strata", ["interaction_type"])
    if not _strata_fit(strata):
        check.add(
            f"'strata' must be a list of distinct call fields from {', '.join(STRATUM_FIELDS)}, "
            f"and at most one machine prediction such as '{MACHINE_PREFIX}empathy_absent'",
            "strata",
        )
        strata = ["interaction_type"]
    reviewers = doc.get("reviewers")
    if (
        not isinstance(reviewers, list)
        or not reviewers
        or any(not isinstance(r, str) or "@" not in r or len(r) > 254 for r in reviewers)
    ):
        check.add("'reviewers' must be a list of reviewer emails", "reviewers")
        reviewers = []
    sizes = _sizes(doc, check)
    total = doc.get("total")
    if total is not None and (type(total) is not int or not 1 <= total <= MAX_SIZE):
        check.add(f"'total' must be a whole number from 1 to {MAX_SIZE:,}", "total")
    oversample = _oversample(doc, check)
    machine_factors = _factors(doc, check, "machine_oversample", "machine bands")
    if machine_factors and machine_target(strata) is None:
        check.add(f"'[machine_oversample]' needs a '{MACHINE_PREFIX}...' stratum in 'strata'",
                  "machine_oversample")  # fmt: skip
    if sizes is None and total is None:
        check.add("give '[sizes]' (calls per stratum) or 'total' (with optional [oversample])")
    if sizes is not None and (total is not None or "oversample" in doc):
        check.add("give either '[sizes]' or 'total' with '[oversample]', not both", "total")
    minimum = doc.get("min_per_agent", 0)
    if type(minimum) is not int or not 0 <= minimum <= 1000:
        check.add("'min_per_agent' must be a whole number from 0 to 1000", "min_per_agent")
        minimum = 0
    description = doc.get("description", "")
    if not isinstance(description, str):
        check.add("'description' must be text", "description")
    if check.items:
        raise PlanError(check.items)
    return SamplingPlanSpec(
        name=name,
        since=since,
        until=until,
        seed=seed,
        strata=tuple(strata),
        reviewers=tuple(r.strip().lower() for r in reviewers),
        sizes=sizes,
        total=total,
        oversample=oversample if sizes is None else {},
        min_per_agent=minimum,
        description=description.strip(),
        machine_oversample=machine_factors if sizes is None else {},
    )


def _strata_fit(strata) -> bool:
    if not isinstance(strata, list) or not strata or len(set(map(str, strata))) != len(strata):
        return False
    machine = [s for s in strata if isinstance(s, str) and s.startswith(MACHINE_PREFIX)]
    if len(machine) > 1 or any(
        not s[len(MACHINE_PREFIX) :].replace("_", "").isalnum() or len(s) > 108 for s in machine
    ):
        return False
    return all(s in STRATUM_FIELDS for s in strata if s not in machine)


def _sizes(doc: Mapping, check: LineProblems) -> dict[str, int] | None:
    raw = doc.get("sizes")
    if raw is None:
        return None
    if not isinstance(raw, Mapping) or not raw:
        check.add("'[sizes]' must map each stratum to the number of calls to draw", "sizes")
        return None
    sizes = {}
    for key, value in raw.items():
        if type(value) is not int or not 0 <= value <= MAX_SIZE:
            check.add(f"size of '{key}' must be a whole number from 0 to {MAX_SIZE:,}",
                      key, "sizes")  # fmt: skip
            continue
        sizes[str(key)] = value
    return sizes


def _oversample(doc: Mapping, check: LineProblems) -> dict[str, float]:
    if doc.get("oversample") is None:
        return dict(DEFAULT_OVERSAMPLING)
    return _factors(doc, check, "oversample", "interaction types")


def _factors(doc: Mapping, check: LineProblems, table: str, keys: str) -> dict[str, float]:
    raw = doc.get(table)
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        check.add(f"'[{table}]' must map {keys} to factors", table)
        return {}
    factors = {}
    for key, value in raw.items():
        if type(value) not in (int, float) or not (0 < value <= 100) or math.isnan(value):
            check.add(f"factor of '{key}' must be a number above 0 and at most 100",
                      key, table)  # fmt: skip
            continue
        factors[str(key)] = float(value)
    return factors


def stratum_key(values: Sequence[str | None]) -> str:
    """The stratum's name: its field values joined with ' / ' (missing values as '(none)')."""
    return SEPARATOR.join(v if v not in (None, "") else NO_VALUE for v in values)


@dataclass(frozen=True)
class StratumPlan:
    """One stratum: the values that define it, its population and the calls to draw."""

    key: str
    values: dict[str, str | None]
    population: int
    planned: int

    @property
    def probability(self) -> float:
        return self.planned / self.population if self.population else 0.0


@dataclass
class PlanPreview:
    """What a plan will draw, before anything is stored or assigned."""

    strata: list[StratumPlan]
    warnings: list[str]
    # The machine model whose predictions form a stratum, named for the reader.
    machine_model: str | None = None

    @property
    def population(self) -> int:
        return sum(s.population for s in self.strata)

    @property
    def planned(self) -> int:
        return sum(s.planned for s in self.strata)

    @property
    def effective_n(self) -> float:
        """Kish's effective sample size of the planned weights (N_h / n_h per drawn call)."""
        drawn = [s for s in self.strata if s.planned]
        total = sum(s.population for s in drawn)
        squares = sum(s.population**2 / s.planned for s in drawn)
        return effective_n(total, squares)

    @property
    def design_effect(self) -> float | None:
        """Kish's design effect from unequal weights: planned n / effective n."""
        return self.planned / self.effective_n if self.effective_n else None

    def as_rows(self) -> list[dict]:
        """Per stratum: population and share, planned sample and share, probability."""
        population, planned = self.population or 1, self.planned or 1
        return [
            {
                "stratum": s.values,
                "population": s.population,
                "population_share": round(s.population / population, 4),
                "planned": s.planned,
                "sample_share": round(s.planned / planned, 4),
                "probability": round(s.probability, 6),
            }
            for s in self.strata
        ]


def preview_plan(
    spec: SamplingPlanSpec, populations: Mapping[tuple[str | None, ...], int]
) -> PlanPreview:
    """Allocate the plan's sample over the population's strata.

    ``populations``: number of calls per stratum, keyed by the stratum's field values in the
    order of ``spec.strata``. Sizes above a stratum's population are cut to it (with a warning);
    sizes for strata with no calls are reported.
    """
    ordered = sorted(populations.items(), key=lambda item: stratum_key(item[0]))
    keys = {stratum_key(values): values for values, _n in ordered}
    warnings = []
    if spec.sizes is not None:
        planned = {}
        for key, values in keys.items():
            asked = spec.sizes.get(key, 0)
            population = populations[values]
            if asked > population:
                warnings.append(
                    f"'{key}' has {population:,} calls in the period; {asked:,} asked, all "
                    f"{population:,} will be drawn"
                )
            planned[key] = min(asked, population)
        unknown = sorted(set(spec.sizes) - set(keys))
        if unknown:
            warnings.append(
                f"no call in the period has the stratum {', '.join(repr(k) for k in unknown)}; "
                f"strata present: {', '.join(keys) or 'none'}"
            )
    else:
        factors = {key: _factor(spec, values) for key, values in keys.items()}
        planned = _allocate(spec.total or 0, {k: populations[v] for k, v in keys.items()}, factors)
    left_out = [k for k in keys if not planned.get(k) and populations[keys[k]]]
    if left_out:
        warnings.append(
            f"no calls are drawn from {', '.join(repr(k) for k in left_out)}: weighted figures "
            "from this plan leave those calls out"
        )
    strata = [
        StratumPlan(
            key=key,
            values=dict(zip(spec.strata, values, strict=True)),
            population=populations[values],
            planned=planned.get(key, 0),
        )
        for key, values in keys.items()
    ]
    return PlanPreview(strata, warnings)


def _factor(spec: SamplingPlanSpec, values: Sequence[str | None]) -> float:
    """The oversampling factor of a stratum: its interaction type's (1 for any other) times
    its machine band's (1 for a band not named)."""
    factor = 1.0
    if "interaction_type" in spec.strata:
        kind = values[spec.strata.index("interaction_type")]
        factor = spec.oversample.get(kind or "", 1.0)
    target = spec.machine_target
    if target is not None:
        band = values[spec.strata.index(MACHINE_PREFIX + target)]
        factor *= spec.machine_oversample.get(band or NO_VALUE, 1.0)
    return factor


def _allocate(total: int, populations: Mapping[str, int], factors: Mapping[str, float]) -> dict:
    """Split ``total`` over strata in proportion to population × factor (largest remainder),
    never more than a stratum has; what a full stratum cannot take goes to the others."""
    planned = dict.fromkeys(populations, 0)
    remaining = min(total, sum(populations.values()))
    open_strata = {k for k, n in populations.items() if n > 0}
    while remaining > 0 and open_strata:
        sizes = {k: populations[k] * factors[k] for k in open_strata}
        mass = sum(sizes.values())
        shares = {k: remaining * sizes[k] / mass for k in open_strata}
        whole = {k: math.floor(v) for k, v in shares.items()}
        spare = remaining - sum(whole.values())
        for k in sorted(open_strata, key=lambda k: (whole[k] - shares[k], k))[:spare]:
            whole[k] += 1
        given = 0
        for k in sorted(open_strata):
            take = min(whole[k], populations[k] - planned[k])
            planned[k] += take
            given += take
            if planned[k] >= populations[k]:
                open_strata.discard(k)
        remaining -= given
        if given == 0:
            break
    return planned
