"""Drawing a sampling plan's calls, and handing them out to its reviewers.

Drawing is simple random sampling without replacement within each stratum, reproducible
from the seed; each drawn call records its inclusion probability π_h = n_h / N_h, so every
figure downstream can weight it back by 1/π_h. Calls added to reach an agent's minimum are
not part of the probability sample: they are marked so and weighted like calls reviewed
outside a plan. The plan file and its allocation over strata are in
qa_app.domain.sampling.plan.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from qa_app.domain.sampling.plan import PlanPreview

PROBABILITY_SAMPLE = "probability"
AGENT_MINIMUM = "agent_minimum"


@dataclass(frozen=True)
class PopulationCall:
    call_pk: int
    call_id: str
    stratum: str
    agent: str


@dataclass(frozen=True)
class DrawnCall:
    call_pk: int
    call_id: str
    stratum: str
    purpose: str
    probability: float | None


def draw_sample(
    preview: PlanPreview, calls: Sequence[PopulationCall], seed: int, min_per_agent: int = 0
) -> list[DrawnCall]:
    """Simple random sampling without replacement within each stratum, from the seed.

    The same population and seed always give the same calls (calls are ordered by call_id
    before drawing). Then agents with fewer than ``min_per_agent`` drawn calls get more of
    their calls, at random, marked as outside the probability sample.
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    by_stratum: dict[str, list[PopulationCall]] = {}
    for call in sorted(calls, key=lambda c: c.call_id):
        by_stratum.setdefault(call.stratum, []).append(call)
    drawn: list[DrawnCall] = []
    for stratum in preview.strata:
        members = by_stratum.get(stratum.key, [])
        if not stratum.planned or not members:
            continue
        picked = sorted(rng.choice(len(members), size=stratum.planned, replace=False))
        probability = stratum.planned / len(members)
        drawn += [
            DrawnCall(
                members[i].call_pk, members[i].call_id, stratum.key, PROBABILITY_SAMPLE, probability
            )  # fmt: skip
            for i in picked
        ]
    if min_per_agent:
        drawn += _agent_minimum(calls, drawn, min_per_agent, rng)
    return drawn


def _agent_minimum(calls, drawn: list[DrawnCall], minimum: int, rng) -> list[DrawnCall]:
    taken = {d.call_pk for d in drawn}
    agent_of = {c.call_pk: c.agent for c in calls}
    counts = Counter(agent_of[d.call_pk] for d in drawn)
    spare: dict[str, list[PopulationCall]] = {}
    for call in sorted(calls, key=lambda c: c.call_id):
        if call.call_pk not in taken:
            spare.setdefault(call.agent, []).append(call)
    extra = []
    for agent in sorted(spare):
        short = minimum - counts.get(agent, 0)
        if short <= 0:
            continue
        members = spare[agent]
        picked = sorted(rng.choice(len(members), size=min(short, len(members)), replace=False))
        extra += [
            DrawnCall(
                members[i].call_pk, members[i].call_id, members[i].stratum, AGENT_MINIMUM, None
            )  # fmt: skip
            for i in picked
        ]
    return extra


def balance_assignments(
    call_pks: Sequence[int], reviewers: Sequence[int], workload: Mapping[int, int]
) -> dict[int, int]:
    """Each call to the reviewer with the fewest open reviews at that moment (ties: the
    order the plan lists them), so the plan evens out the queues it lands in."""
    load = {r: workload.get(r, 0) for r in reviewers}
    order = {r: i for i, r in enumerate(reviewers)}
    chosen = {}
    for call_pk in call_pks:
        reviewer = min(load, key=lambda r: (load[r], order[r]))
        chosen[call_pk] = reviewer
        load[reviewer] += 1
    return chosen
