"""Calibration session rules: states, reveal, rotated panel items, alignment, QA-panel gap.

Pure Python. A session runs draft → open → revealed → closed; a closed session can be
reopened (to revealed) by a lead, which the audit trail records.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from qa_app.domain.agreement import Rating

TRANSITIONS = {
    "draft": ("open",),
    "open": ("revealed",),
    "revealed": ("closed",),
    "closed": ("revealed",),
}
ACTIONS = {"open": "open", "revealed": "reveal", "closed": "close"}
Z_95 = 1.959964


class CalibrationError(ValueError):
    """A calibration action that is not allowed now; the message says why."""


def check_transition(current: str, target: str) -> None:
    """Raise unless ``current`` → ``target`` is a step the session may take."""
    if target not in TRANSITIONS.get(current, ()):
        allowed = ", ".join(TRANSITIONS.get(current, ())) or "nothing"
        raise CalibrationError(
            f"A {current} session cannot become {target}; it can become {allowed}."
        )


def unfinished(progress: Mapping[str, int], call_count: int) -> list[str]:
    """Participants who have not submitted every call, with how far they are."""
    return [
        f"{name} ({done} of {call_count})"
        for name, done in sorted(progress.items())
        if done < call_count
    ]


def check_reveal(
    progress: Mapping[str, int],
    call_count: int,
    deadline: datetime | None,
    now: datetime,
    confirmed: bool,
) -> None:
    """Reveal once everyone has submitted or the deadline passed; earlier only when confirmed."""
    waiting = unfinished(progress, call_count)
    if not waiting or (deadline is not None and now >= deadline) or confirmed:
        return
    raise CalibrationError(
        "Not everyone has finished: " + ", ".join(waiting) + ". Confirm to reveal anyway."
    )


def rotated_items(dimension_ids: Sequence[str], participant_number: int) -> list[str]:
    """The panel items in an order rotated per panelist (panelist k starts at item k)."""
    if not dimension_ids:
        return []
    shift = participant_number % len(dimension_ids)
    return list(dimension_ids[shift:]) + list(dimension_ids[:shift])


def alignment(score: float, consensus: float, scale_min: int, scale_max: int) -> float:
    """Alignment as commercial QA tools show it: 100% − |score − consensus| / scale range."""
    return 100.0 * (1 - abs(score - consensus) / (scale_max - scale_min))


@dataclass(frozen=True)
class Gap:
    """Mean of (QA mean − panel mean) over calls both scored, with a 95% interval."""

    calls: int
    mean: float | None
    low: float | None
    high: float | None


def qa_panel_gap(qa: Mapping[str, Sequence[float]], panel: Mapping[str, Sequence[float]]) -> Gap:
    """Per call, the QA reviewers' mean minus the panel's mean; then the mean over calls.

    The interval is mean ± 1.96 · sd / √n over calls (n ≥ 2). Positive: QA scores higher.
    """
    differences = [
        statistics.fmean(qa[call]) - statistics.fmean(panel[call])
        for call in sorted(set(qa) & set(panel))
        if qa[call] and panel[call]
    ]
    if not differences:
        return Gap(0, None, None, None)
    mean = statistics.fmean(differences)
    if len(differences) < 2:
        return Gap(1, mean, None, None)
    half = Z_95 * statistics.stdev(differences) / math.sqrt(len(differences))
    return Gap(len(differences), mean, mean - half, mean + half)


@dataclass(frozen=True)
class SessionRating:
    """One rating as the dashboard reads it."""

    call_id: str
    participant: str
    role: str  # "qa" or "panel"
    dimension: str
    score: int | None
    not_applicable: bool = False


def engine_ratings(ratings: Sequence[SessionRating], role: str | None = None) -> list[Rating]:
    """Ratings for the agreement engine: every participant, or only one role."""
    return [
        Rating(
            r.call_id,
            r.participant,
            r.dimension,
            None if r.score is None else float(r.score),
            r.not_applicable,
        )
        for r in ratings
        if role is None or r.role == role
    ]
