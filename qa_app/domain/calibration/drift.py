"""Rater history across calibration sessions: does each reviewer drift from the shared scale?

For every session, QA rater and dimension: the rater's bias against the other raters
on the same calls (from the agreement engine) and mean distance from the consensus.
A value past the lead's threshold is flagged.

Each session's agreement is computed on its rubric's scale, as the dashboard computes it
(``calibration_dashboard.build_dashboard``), so the two never read the same ratings
differently: the same category set, and a value off the scale an error in both.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from qa_app.domain.agreement import compute_agreement
from qa_app.domain.calibration.sessions import SessionRating, engine_ratings


@dataclass(frozen=True)
class SessionInput:
    name: str
    when: datetime | None
    ratings: Sequence[SessionRating]
    consensus: Mapping[tuple[str, str], int | None]
    # The points of the session's rubric version; None only where no rubric is known.
    scale: Sequence[int] | None = None


@dataclass(frozen=True)
class DriftPoint:
    session: str
    when: datetime | None
    participant: str
    dimension: str
    bias: float | None
    distance: float | None
    flagged: bool


def rater_history(
    sessions: Sequence[SessionInput], dimensions: Sequence[str], threshold: float
) -> list[DriftPoint]:
    """One point per session, QA rater and dimension, oldest session first."""
    points = []
    for session in sorted(sessions, key=lambda s: (s.when is None, s.when)):
        report = compute_agreement(
            engine_ratings(session.ratings),
            "ordinal",
            scale=list(session.scale) if session.scale else None,
        )
        qa = sorted({r.participant for r in session.ratings if r.role == "qa"})
        for dimension in dimensions:
            result = report.dimensions.get(dimension)
            biases = {d.rater: d.bias for d in result.rater_diagnostics} if result else {}
            for participant in qa:
                distances = [
                    abs(r.score - agreed)
                    for r in session.ratings
                    if r.participant == participant
                    and r.dimension == dimension
                    and r.score is not None
                    and (agreed := session.consensus.get((r.call_id, dimension))) is not None
                ]
                bias = biases.get(participant)
                distance = statistics.fmean(distances) if distances else None
                flagged = any(v is not None and abs(v) > threshold for v in (bias, distance))
                points.append(
                    DriftPoint(
                        session.name, session.when, participant, dimension, bias, distance, flagged
                    )
                )
    return points
