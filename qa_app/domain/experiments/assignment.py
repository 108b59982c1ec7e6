"""Stratified randomisation of an experiment's units (queues or schedule blocks) to arms.

The design is *stratified complete randomisation*: within each stratum the units are shuffled
and dealt to the arms so that no arm gets more than one unit more than another. The arms that
receive a stratum's spare units are drawn at random among those with the fewest units so far,
so the arms also stay within one unit of each other overall (and every arm gets a unit as soon
as there are at least as many units as arms).

An *allocation* (whole-number ratios per arm, e.g. control 2 : training 1, "two of six queues
trained") deals each stratum in those proportions instead: every arm first gets the whole part
of its share of the stratum, and the stratum's spare units go, largest remainder first, to the
arms furthest below their share of all units dealt so far (ties drawn at random), so the
overall counts end as close to the ratio as whole units allow. Equal ratios are exactly the
even dealing above (the same draws from the same seed), so assignments stored before
allocations existed stay reproducible.

Everything is drawn from ``numpy.random.default_rng(seed)`` after sorting the units and the
strata, so the same seed, units and strata always give the same assignment whatever order they
came in — the property the audit trail relies on, and the one randomisation inference uses to
re-draw the assignment "with the recorded design" (experiment_analysis.estimate_effect).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

__all__ = [
    "arm_counts",
    "assign_units",
    "balance_table",
    "design_resolution",
    "randomisation_resolution",
    "redraw_assignments",
    "validate_design",
]
MAX_RATIO = 100


def _weights(arms: Sequence[str], allocation: Mapping[str, int] | None) -> list[int]:
    """The arms' ratios in the arms' order (1 each without an allocation)."""
    if allocation is None:
        return [1] * len(arms)
    if not isinstance(allocation, Mapping):
        raise ValueError(f"the allocation must map each arm to a ratio; got {allocation!r}")
    unknown = sorted(set(allocation) - set(arms))
    missing = [a for a in arms if a not in allocation]
    if unknown or missing:
        raise ValueError(
            "the allocation must give a ratio for every arm and only the arms ("
            + ", ".join(arms)
            + ")"
            + (f"; not arms: {', '.join(map(str, unknown))}" if unknown else "")
            + (f"; missing: {', '.join(missing)}" if missing else "")
        )
    bad = [a for a in arms if type(allocation[a]) is not int or not 1 <= allocation[a] <= MAX_RATIO]
    if bad:
        raise ValueError(
            f"allocation ratios must be whole numbers from 1 to {MAX_RATIO}; "
            f"{bad[0]} is {allocation[bad[0]]!r}"
        )
    return [int(allocation[a]) for a in arms]


def arm_counts(
    n_units: int, arms: Sequence[str], allocation: Mapping[str, int] | None = None
) -> dict[str, float]:
    """Each arm's share of ``n_units`` under the allocation (not rounded)."""
    weights = _weights(list(arms), allocation)
    return {a: n_units * w / sum(weights) for a, w in zip(arms, weights, strict=True)}


def validate_design(
    strata: Mapping[str, str], arms: Sequence[str], allocation: Mapping[str, int] | None = None
) -> None:
    """Raise ValueError naming what is wrong with a design (units, strata, arms, allocation)."""
    if isinstance(arms, str):
        raise ValueError(f"the arms must be a list of names, not the single text {arms!r}")
    arms = list(arms)
    if len(arms) < 2:
        raise ValueError(f"an experiment needs at least 2 arms; got {len(arms)}: {arms!r}")
    blank = [i + 1 for i, arm in enumerate(arms) if not isinstance(arm, str) or not arm.strip()]
    if blank:
        raise ValueError(
            f"arm names must be non-empty text; arm {blank[0]} is {arms[blank[0] - 1]!r}"
        )
    seen: set[str] = set()
    duplicates = sorted({arm for arm in arms if arm in seen or seen.add(arm)})
    if duplicates:
        raise ValueError(f"arm names must be distinct; repeated: {', '.join(duplicates)}")
    bad_units = [u for u in strata if not isinstance(u, str) or not u.strip()]
    if bad_units:
        raise ValueError(f"unit names must be non-empty text; got {bad_units[0]!r}")
    missing = sorted(u for u, s in strata.items() if s is None or not str(s).strip())
    if missing:
        shown = ", ".join(missing[:10]) + (
            f" and {len(missing) - 10} more" if len(missing) > 10 else ""
        )
        raise ValueError(f"every unit needs a stratum; no stratum for unit(s): {shown}")
    if len(strata) < len(arms):
        raise ValueError(
            f"at least one unit per arm is needed: {len(strata)} unit(s) for {len(arms)} arms "
            f"({', '.join(arms)})"
        )
    shares = arm_counts(len(strata), arms, allocation)
    short = [a for a in arms if shares[a] < 1]
    if short:
        raise ValueError(
            f"with {len(strata)} units the allocation gives arm {short[0]} "
            f"{shares[short[0]]:.2f} of a unit; every arm needs at least one: add units or "
            "raise its ratio"
        )


def _check_seed(seed: int) -> None:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"the seed must be a whole number of 0 or more; got {seed!r}")


def _groups(strata: Mapping[str, str]) -> tuple[list[str], list[list[int]]]:
    """Units sorted, and the positions of each stratum's units (strata sorted)."""
    units = sorted(strata)
    by_stratum: dict[str, list[int]] = {}
    for position, unit in enumerate(units):
        by_stratum.setdefault(str(strata[unit]), []).append(position)
    return units, [by_stratum[s] for s in sorted(by_stratum)]


def _deal(groups: list[list[int]], n_units: int, weights: list[int], seed: int) -> list[int]:
    """Arm index of every (sorted) unit for one seed: the whole randomisation procedure.
    Plain lists rather than arrays: strata are small, and randomisation inference calls this
    thousands of times. Integer arithmetic (shares scaled by the ratios' total) keeps the
    ordering exact; with equal weights the order is "fewest units so far, ties at random",
    the even dealing, with the same draws."""
    rng = np.random.default_rng(seed)
    n_arms, total = len(weights), sum(weights)
    overall = [0] * n_arms
    dealt = 0
    drawn = [0] * n_units
    for group in groups:
        dealt += len(group)
        counts = [len(group) * w // total for w in weights]
        spare = len(group) - sum(counts)
        tie_break = rng.random(n_arms).tolist()
        # Spare units go to the arms furthest below their share of all units dealt so far
        # (share × total − count × total, in whole numbers); which of tied arms is random.
        order = sorted(
            range(n_arms),
            key=lambda i: (total * (overall[i] + counts[i]) - dealt * weights[i], tie_break[i]),
        )
        for i in order[:spare]:
            counts[i] += 1
        labels = [arm for arm in range(n_arms) for _ in range(counts[arm])]
        for position, index in enumerate(rng.permutation(len(group)).tolist()):
            drawn[group[index]] = labels[position]
        for arm in range(n_arms):
            overall[arm] += counts[arm]
    return drawn


def assign_units(
    strata: Mapping[str, str],
    arms: Sequence[str],
    seed: int,
    allocation: Mapping[str, int] | None = None,
) -> dict[str, str]:
    """unit -> arm. Stratified complete randomisation: units sorted, grouped by stratum (strata
    sorted), shuffled with numpy.random.default_rng(seed), dealt to arms so that within each
    stratum arm counts differ by at most one, with which arms get the extra unit also random.
    Reproducible from the seed; never depends on input order.

    The spare units of a stratum go to arms drawn at random among those with the fewest units
    so far (ties broken at random), so overall arm counts also differ by at most one.

    ``allocation`` (arm -> whole-number ratio, e.g. {"control": 2, "training": 1}) deals each
    stratum in those proportions (largest remainder against the overall share, ties at
    random); None, or equal ratios, is the even dealing above.
    """
    validate_design(strata, arms, allocation)
    _check_seed(seed)
    arms = list(arms)
    units, groups = _groups(strata)
    drawn = _deal(groups, len(units), _weights(arms, allocation), int(seed))
    return {unit: arms[i] for unit, i in zip(units, drawn, strict=True)}


def redraw_assignments(
    strata: Mapping[str, str],
    arms: Sequence[str],
    seeds: Sequence[int],
    allocation: Mapping[str, int] | None = None,
) -> tuple[list[str], np.ndarray]:
    """The units (sorted) and, per seed, the arm index each gets: row k is exactly
    ``assign_units(strata, arms, seeds[k], allocation)`` (randomisation inference's re-draws)."""
    validate_design(strata, arms, allocation)
    for seed in seeds:
        _check_seed(seed)
    units, groups = _groups(strata)
    weights = _weights(list(arms), allocation)
    drawn = np.empty((len(seeds), len(units)), dtype=int)
    for k, seed in enumerate(seeds):
        drawn[k] = _deal(groups, len(units), weights, int(seed))
    return units, drawn


def balance_table(
    strata: Mapping[str, str], assignment: Mapping[str, str], arms: Sequence[str]
) -> list[dict]:
    """Per stratum (sorted): {"stratum", "units", arm: count, ...} for every arm.

    Raises ValueError for an assigned unit with no stratum or an arm not in ``arms``.
    """
    arms = list(arms)
    clash = [a for a in arms if a in ("stratum", "units")]
    if clash:
        raise ValueError(f"an arm cannot be called {clash[0]!r} (a column of the balance table)")
    no_stratum = sorted(u for u in assignment if u not in strata)
    if no_stratum:
        raise ValueError(f"assigned unit(s) with no stratum: {', '.join(no_stratum[:10])}")
    unknown = sorted({a for a in assignment.values() if a not in arms})
    if unknown:
        raise ValueError(
            f"assignment uses arm(s) not in the plan ({', '.join(arms)}): {', '.join(unknown)}"
        )
    table: dict[str, dict] = {}
    for unit, arm in assignment.items():
        stratum = str(strata[unit])
        row = table.setdefault(stratum, {"stratum": stratum, "units": 0, **dict.fromkeys(arms, 0)})
        row["units"] += 1
        row[arm] += 1
    return [table[s] for s in sorted(table)]


def randomisation_resolution(
    strata: Mapping[str, str],
    units: Sequence[str],
    drawn: np.ndarray,
    control: int,
    treatment: int,
    conditional: bool = False,
) -> dict:
    """How fine a randomisation test comparing arm ``treatment`` with arm ``control`` can be,
    from re-drawn assignments (rows of arm indices of ``units``): the number of distinct
    assignments of the two arms' units and the smallest p-value the test can ever give.

    Within a stratum, every arrangement with the same counts is equally likely, so an
    assignment with t treated and c control units per stratum (its *count vector* v) has
    probability f(v) / ∏ C(t + c, t), where f(v) is the share of draws with those counts. The
    most extreme observed result is matched only by itself and its mirror image (the arms'
    labels swapped, when the design can draw it: |difference| is the same), so the smallest
    attainable p-value is min over v of that probability plus the mirror's. Exact when all
    draws share one count vector (every fixed-count design, e.g. two of six queues); otherwise
    f(v) is estimated from the draws. ``conditional``: the labels are shuffled within strata
    with the counts fixed (the multi-arm test), so only the first row's count vector counts."""
    from collections import Counter
    from math import comb

    units = list(units)
    by_stratum: dict[str, list[int]] = {}
    for i, unit in enumerate(units):
        by_stratum.setdefault(str(strata[unit]), []).append(i)
    columns = []
    for stratum in sorted(by_stratum):
        part = drawn[:, by_stratum[stratum]]
        columns += [(part == treatment).sum(axis=1), (part == control).sum(axis=1)]
    vectors = np.stack(columns, axis=1) if columns else np.zeros((len(drawn), 0), dtype=int)
    rows = vectors[:1] if conditional else vectors
    freq = Counter(tuple(int(x) for x in row) for row in rows)
    total = sum(freq.values())

    def ways(v):
        return int(np.prod([comb(v[k] + v[k + 1], v[k]) for k in range(0, len(v), 2)]))

    def mirror(v):
        return tuple(v[k + 1 - 2 * (k % 2)] for k in range(len(v)))

    smallest = 1.0
    for v, n in freq.items():
        m = mirror(v)
        if conditional:
            p = (2 if m == v else 1) / ways(v)
        else:
            p = (2 * n if m == v else n + freq.get(m, 0)) / total / ways(v)
        smallest = min(smallest, p)
    return {
        "distinct_assignments": sum(ways(v) for v in freq),
        "smallest_p_value": float(smallest),
        "exact": conditional or len(freq) == 1,
    }


def design_resolution(
    strata: Mapping[str, str],
    arms: Sequence[str],
    allocation: Mapping[str, int] | None = None,
    *,
    treatment: str | None = None,
    seed: int = 0,
    draws: int = 2000,
) -> dict:
    """randomisation_resolution for the design itself (before any data): the control (first arm)
    against ``treatment`` (default: the second arm), from ``draws`` re-draws of the design.
    With more than two arms the report's test is conditional on the observed counts, so the
    smallest p-value over the count vectors the design can draw is given."""
    arms = list(arms)
    treatment = treatment if treatment is not None else arms[1]
    seeds = np.random.default_rng(seed).integers(0, 2**63 - 1, size=draws)
    units, drawn = redraw_assignments(strata, arms, [int(s) for s in seeds], allocation)
    control_i, treatment_i = 0, arms.index(treatment)
    if len(arms) == 2:
        return randomisation_resolution(strata, units, drawn, control_i, treatment_i)
    results = [
        randomisation_resolution(strata, units, drawn[k : k + 1], control_i, treatment_i, True)
        for k in range(min(len(drawn), 200))  # count vectors repeat; 200 rows cover them
    ]
    best = min(results, key=lambda r: r["smallest_p_value"])
    return best | {"exact": False}
