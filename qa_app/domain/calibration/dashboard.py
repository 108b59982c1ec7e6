"""What the lead sees after the reveal: agreement by group, the QA-panel gap, calls to
discuss first, and each rater's bias and distance from consensus. All numbers come
from the agreement engine.

The machine rater, when it scored the session's calls, is one more row in the calls and
raters tables; its scores enter an agreement figure only when the lead includes it, and then
in a group of its own (``with_machine``), so the people's figures never change with it.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import replace

from qa_app.domain.agreement import compute_agreement
from qa_app.domain.calibration.sessions import (
    SessionRating,
    alignment,
    engine_ratings,
    qa_panel_gap,
)
from qa_app.domain.rubrics.definitions import Rubric

GROUPS = (("everyone", None), ("qa", "qa"), ("panel", "panel"))
MACHINE_ROLE = "machine"
WITH_MACHINE = "with_machine"
REPLICATES = 1000


def build_dashboard(
    ratings: Sequence[SessionRating],
    rubric: Rubric,
    consensus: Mapping[tuple[str, str], int | None],
    seed: int,
    machine: Sequence[SessionRating] = (),
    include_machine: bool = False,
) -> dict:
    """The dashboard's numbers, as plain values for the template and the report.

    ``ratings`` are the people's; ``machine`` the machine rater's scores of the same calls
    (role "machine"), shown beside them and counted only in the ``with_machine`` group when
    ``include_machine``."""
    scale = list(rubric.scale)

    def agreement_of(selected):
        if not selected:
            return None
        report = compute_agreement(selected, "ordinal", REPLICATES, seed, scale=scale)
        return in_rubric_order(report, rubric)

    agreement = {label: agreement_of(engine_ratings(ratings, role)) for label, role in GROUPS}
    if machine and include_machine:
        agreement[WITH_MACHINE] = agreement_of(engine_ratings([*ratings, *machine]))
    gaps = {}
    for dimension in rubric.dimensions:
        by_role: dict[str, dict[str, list[float]]] = {
            "qa": defaultdict(list),
            "panel": defaultdict(list),
        }
        scores = []
        for r in ratings:
            if r.dimension == dimension.id and r.score is not None:
                by_role[r.role][r.call_id].append(r.score)
                scores.append((r.call_id, r.participant, r.role, float(r.score)))
        # With the raters' own scores the gap also gets the mixed-model estimate for QA
        # and customers in general, when there are enough raters.
        gaps[dimension.id] = qa_panel_gap(by_role["qa"], by_role["panel"], scores)
    everyone = agreement["everyone"]
    raters = rater_rows(ratings, rubric, everyone, consensus)
    if machine:
        raters += rater_rows(machine, rubric, agreement.get(WITH_MACHINE), consensus)
    return {
        # Which categories AC2 counted: the rubric's whole scale (passed above).
        "category_set": everyone.category_set if everyone else None,
        "agreement": agreement,
        "gaps": gaps,
        "calls": rank_calls([*ratings, *machine], rubric, everyone),
        "raters": raters,
        "machine_calls": len({r.call_id for r in machine}),
    }


GROUP_WORDS = {
    "everyone": "everyone together",
    "qa": "QA reviewers",
    "panel": "the customer panel",
    WITH_MACHINE: "everyone and the machine rater",
}


def verdict(alpha: float | None) -> str:
    """Krippendorff's (2004) reading of alpha, in words."""
    if alpha is None:
        return "not computable"
    if alpha >= 0.8:
        return "reliable"
    if alpha >= 0.667:
        return "tentative: good enough for tentative conclusions only"
    return "not yet reliable: the definitions or the training need work"


def headline(numbers: Mapping) -> dict | None:
    """The dashboard's answer, said first: overall alpha for everyone together (or the first
    group that has one), its interval and what it means."""
    for label, _role in GROUPS:
        report = numbers["agreement"].get(label)
        if report is None or report.overall.alpha is None:
            continue
        overall = report.overall
        interval = overall.interval
        return {
            "group": GROUP_WORDS[label],
            "alpha": overall.alpha,
            "low": interval.low if interval else None,
            "high": interval.high if interval else None,
            "verdict": verdict(overall.alpha),
        }
    return None


def interval_notes(numbers: Mapping) -> list[str]:
    """Each different interval warning once, in the order met: the page says a caveat once
    and each row points to it, instead of repeating it in every row."""
    notes: list[str] = []
    for report in numbers["agreement"].values():
        if report is None:
            continue
        for result in (*report.dimensions.values(), report.overall):
            for warning in result.interval.warnings if result.interval else ():
                if warning not in notes:
                    notes.append(warning)
    return notes


def in_rubric_order(report, rubric: Rubric):
    """The engine's report with its dimensions in rubric order, each named by its title.

    The engine knows dimensions only by the ids in the ratings and sorts them; people read
    the rubric's titles in the rubric's order, on the dashboard and in the report alike.
    The keys stay the ids (charts and links find results by id).
    """
    titles = {d.id: d.name for d in rubric.dimensions}
    order = [d.id for d in rubric.dimensions] + sorted(set(report.dimensions) - set(titles))
    return replace(
        report,
        dimensions={
            key: replace(report.dimensions[key], name=titles.get(key, key))
            for key in order
            if key in report.dimensions
        },
    )


def rank_calls(ratings: Sequence[SessionRating], rubric: Rubric, report) -> list[dict]:
    """Calls by mean disagreement over the dimensions, the ones to discuss first on top."""
    scores: dict[str, dict[str, dict[str, str]]] = defaultdict(lambda: defaultdict(dict))
    for r in ratings:
        scores[r.call_id][r.participant][r.dimension] = (
            "N/A" if r.not_applicable else ("—" if r.score is None else str(r.score))
        )
    disagreement: dict[str, list[float]] = defaultdict(list)
    if report is not None:
        for result in report.dimensions.values():
            for unit in result.unit_diagnostics:
                disagreement[unit.unit].append(unit.disagreement)
    calls = [
        {
            "call_id": call_id,
            "disagreement": statistics.fmean(disagreement[call_id])
            if disagreement[call_id]
            else 0.0,
            "scores": {
                p: [dims.get(d.id, "—") for d in rubric.dimensions]
                for p, dims in sorted(people.items())
            },
        }
        for call_id, people in scores.items()
    ]
    return sorted(calls, key=lambda c: (-c["disagreement"], c["call_id"]))


def rater_rows(
    ratings: Sequence[SessionRating],
    rubric: Rubric,
    report,
    consensus: Mapping[tuple[str, str], int | None],
) -> list[dict]:
    """Per rater: role, bias and leave-one-out effect (overall), distance from consensus."""
    overall = {r.rater: r for r in report.overall.rater_diagnostics} if report else {}
    roles = {r.participant: r.role for r in ratings}
    rows = []
    for name in sorted(roles):
        distances, alignments = [], []
        for r in ratings:
            agreed = consensus.get((r.call_id, r.dimension))
            if r.participant == name and r.score is not None and agreed is not None:
                distances.append(abs(r.score - agreed))
                alignments.append(alignment(r.score, agreed, rubric.scale_min, rubric.scale_max))
        diagnostics = overall.get(name)
        rows.append(
            {
                "participant": name,
                "role": roles[name],
                "bias": diagnostics.bias if diagnostics else None,
                "effect_of_removing": diagnostics.effect_of_removing if diagnostics else None,
                "distance_from_consensus": statistics.fmean(distances) if distances else None,
                "alignment": statistics.fmean(alignments) if alignments else None,
            }
        )
    return rows
