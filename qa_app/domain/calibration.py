"""Calibration session rules: states, reveal, rotated panel items, alignment, QA-panel gap.

Pure Python. A session runs draft → open → revealed → closed; a closed session can be
reopened (to revealed) by a lead, which the audit trail records.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

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


MAX_LINK_GRACE_HOURS = 24 * 366  # a year: longer is a typo, not a plan


def panel_link_state(
    state: str, deadline: datetime | None, grace_hours: int | None, now: datetime
) -> str:
    """Whether a panelist's invite link opens the session now: "open", "not_started" or "ended".

    A link is a credential that needs no account, so it must not work for ever: it ends when
    the session leaves "open" (revealed or closed; a reopened session stays ended for
    panelists), and, when the lead set a grace, ``grace_hours`` after the deadline. Without
    a grace (None) or without a deadline, it works until the session is revealed or closed.
    Revoking a single link is separate (the panelist's own ``revoked_at``).
    """
    if state == "draft":
        return "not_started"
    if state != "open":
        return "ended"
    if deadline is None or grace_hours is None:
        return "open"
    if deadline.tzinfo is None:  # stored timestamps are UTC
        deadline = deadline.replace(tzinfo=UTC)
    try:
        ends = deadline + timedelta(hours=grace_hours)
    except OverflowError:  # a deadline at the end of the calendar: the grace never runs out
        return "open"
    return "ended" if now >= ends else "open"


def parse_link_grace(text: str) -> tuple[int | None, str | None]:
    """The lead's grace in whole hours (blank: None, links work until the session ends),
    or a message saying why the text is not one."""
    text = text.strip()
    if not text:
        return None, None
    if not (text.isascii() and text.isdigit()) or int(text) > MAX_LINK_GRACE_HOURS:
        return None, (
            f"Link grace '{text}' is not a number of hours from 0 to {MAX_LINK_GRACE_HOURS}; "
            "leave it blank for links that work until the session is revealed."
        )
    return int(text), None


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
