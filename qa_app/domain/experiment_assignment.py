"""Stratified randomisation of an experiment's units (queues or schedule blocks) to arms.

The design is *stratified complete randomisation*: within each stratum the units are shuffled
and dealt to the arms so that no arm gets more than one unit more than another. The arms that
receive a stratum's spare units are drawn at random among those with the fewest units so far,
so the arms also stay within one unit of each other overall (and every arm gets a unit as soon
as there are at least as many units as arms).

Everything is drawn from ``numpy.random.default_rng(seed)`` after sorting the units and the
strata, so the same seed, units and strata always give the same assignment whatever order they
came in — the property the audit trail relies on, and the one randomisation inference uses to
re-draw the assignment "with the recorded design" (experiment_analysis.estimate_effect).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

__all__ = ["assign_units", "balance_table", "redraw_assignments", "validate_design"]


def validate_design(strata: Mapping[str, str], arms: Sequence[str]) -> None:
    """Raise ValueError naming what is wrong with a design (units, strata, arms)."""
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


def _deal(groups: list[list[int]], n_units: int, n_arms: int, seed: int) -> list[int]:
    """Arm index of every (sorted) unit for one seed: the whole randomisation procedure.
    Plain lists rather than arrays: strata are small, and randomisation inference calls this
    thousands of times."""
    rng = np.random.default_rng(seed)
    overall = [0] * n_arms
    drawn = [0] * n_units
    for group in groups:
        base, spare = divmod(len(group), n_arms)
        tie_break = rng.random(n_arms).tolist()
        # Spare units go to the arms that have the fewest so far; which of the tied arms is random.
        order = sorted(range(n_arms), key=lambda i: (overall[i], tie_break[i]))
        counts = [base] * n_arms
        for i in order[:spare]:
            counts[i] += 1
        labels = [arm for arm in range(n_arms) for _ in range(counts[arm])]
        for position, index in enumerate(rng.permutation(len(group)).tolist()):
            drawn[group[index]] = labels[position]
        for arm in range(n_arms):
            overall[arm] += counts[arm]
    return drawn


def assign_units(strata: Mapping[str, str], arms: Sequence[str], seed: int) -> dict[str, str]:
    """unit -> arm. Stratified complete randomisation: units sorted, grouped by stratum (strata
    sorted), shuffled with numpy.random.default_rng(seed), dealt to arms so that within each
    stratum arm counts differ by at most one, with which arms get the extra unit also random.
    Reproducible from the seed; never depends on input order.

    The spare units of a stratum go to arms drawn at random among those with the fewest units
    so far (ties broken at random), so overall arm counts also differ by at most one.
    """
    validate_design(strata, arms)
    _check_seed(seed)
    arms = list(arms)
    units, groups = _groups(strata)
    drawn = _deal(groups, len(units), len(arms), int(seed))
    return {unit: arms[i] for unit, i in zip(units, drawn, strict=True)}


def redraw_assignments(
    strata: Mapping[str, str], arms: Sequence[str], seeds: Sequence[int]
) -> tuple[list[str], np.ndarray]:
    """The units (sorted) and, per seed, the arm index each gets: row k is exactly
    ``assign_units(strata, arms, seeds[k])`` (for randomisation inference's re-draws)."""
    validate_design(strata, arms)
    for seed in seeds:
        _check_seed(seed)
    units, groups = _groups(strata)
    drawn = np.empty((len(seeds), len(units)), dtype=int)
    for k, seed in enumerate(seeds):
        drawn[k] = _deal(groups, len(units), len(list(arms)), int(seed))
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
