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

import numpy as np

from qa_app.domain.agreement import Rating

TRANSITIONS = {
    "draft": ("open",),
    "open": ("revealed",),
    "revealed": ("closed",),
    "closed": ("revealed",),
}
ACTIONS = {"open": "open", "revealed": "reveal", "closed": "close"}


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


GAP_SCOPE = (
    "describes these raters on these calls: how far these QA reviewers' mean is from these "
    "panelists' on calls like these, not QA reviewers and customers in general"
)
MIXED_MIN_RATERS = 3  # per role: fewer, and the rater variance cannot be told from the gap
MIXED_MIN_CALLS = 8


@dataclass(frozen=True)
class MixedGap:
    """The gap from a crossed random-effects model, generalising over raters and calls."""

    mean: float | None
    low: float | None
    high: float | None
    qa_raters: int
    panel_raters: int
    calls: int
    warning: str | None  # None: converged, read at face value


@dataclass(frozen=True)
class Gap:
    """Mean of (QA mean − panel mean) over calls both scored, with a 95% interval.

    ``scope`` says what the interval is about; ``mixed`` is the estimate for QA reviewers
    and customers in general, when there are enough raters to make one.
    """

    calls: int
    mean: float | None
    low: float | None
    high: float | None
    scope: str = GAP_SCOPE
    mixed: MixedGap | None = None


def qa_panel_gap(
    qa: Mapping[str, Sequence[float]],
    panel: Mapping[str, Sequence[float]],
    scores: Sequence[tuple[str, str, str, float]] | None = None,
) -> Gap:
    """Per call, the QA reviewers' mean minus the panel's mean; then the mean over calls.

    The interval is mean ± t(n − 1; 0.975) · sd / √n over calls (n ≥ 2): Student's t,
    because sessions have 6 to 8 calls: in simulation (tests/domain/flags/test_gap_coverage.py)
    t held the truth in 95% of 7-call sessions, 1.96 in 90.5%. It treats the raters as
    fixed: it is about these raters (``scope``). Read as "QA against customers in
    general" it held that truth in 70% of simulated sessions, because the raters' own
    leniency does not average out over calls. ``scores``
    (call, rater, role, score) adds the crossed random-effects estimate that does
    generalise (:func:`qa_panel_mixed`). Positive: QA scores higher.
    """
    from scipy import stats  # scipy.stats takes half a second to import; only needed here

    differences = [
        statistics.fmean(qa[call]) - statistics.fmean(panel[call])
        for call in sorted(set(qa) & set(panel))
        if qa[call] and panel[call]
    ]
    mixed = qa_panel_mixed(scores) if scores is not None else None
    if not differences:
        return Gap(0, None, None, None, mixed=mixed)
    mean = statistics.fmean(differences)
    n = len(differences)
    if n < 2:
        return Gap(1, mean, None, None, mixed=mixed)
    half = float(stats.t.ppf(0.975, n - 1)) * statistics.stdev(differences) / math.sqrt(n)
    return Gap(n, mean, mean - half, mean + half, mixed=mixed)


def qa_panel_mixed(scores: Sequence[tuple[str, str, str, float]]) -> MixedGap | None:
    """QA − panel from score ~ role + (1 | call) + (1 | rater), crossed (statsmodels MixedLM).

    Call and rater are variance components of one group, the usual way to fit crossed
    random effects with MixedLM; REML. The role effect is a contrast between raters, so
    its interval uses t with (raters − 2) degrees of freedom on the model's standard
    error rather than the normal, whose large-sample promise 6 or 7 raters do not keep;
    in simulation (tests/domain/flags/test_gap_coverage.py) it held the general gap in 95% of
    sessions of 3 QA reviewers, 4 panelists and 10 calls. None when there are fewer than
    MIXED_MIN_RATERS raters per role or MIXED_MIN_CALLS calls: the rater variance
    cannot then be separated from the gap. A fit that does not converge, or warns,
    keeps its numbers with the warning.
    """
    rows = [row for row in scores if row[3] is not None]
    raters = {role: {r for _c, r, ro, _s in rows if ro == role} for role in ("qa", "panel")}
    calls = {c for c, _r, _ro, _s in rows}
    if min(len(raters["qa"]), len(raters["panel"])) < MIXED_MIN_RATERS or len(calls) < (
        MIXED_MIN_CALLS
    ):
        return None
    import warnings

    import pandas as pd
    import statsmodels.formula.api as smf
    from scipy import stats

    frame = pd.DataFrame(rows, columns=["call", "rater", "role", "score"])
    frame["qa"] = (frame["role"] == "qa").astype(float)
    frame["session"] = 1
    model = smf.mixedlm(
        "score ~ qa",
        frame,
        groups="session",
        re_formula="0",
        vc_formula={"call": "0 + C(call)", "rater": "0 + C(rater)"},
    )
    problems = []
    counts = (len(raters["qa"]), len(raters["panel"]), len(calls))
    # Everything statsmodels computes stays inside: its warnings become our warning text.
    with warnings.catch_warnings(record=True) as caught, np.errstate(all="warn"):
        warnings.simplefilter("always")
        try:
            fitted = model.fit(reml=True)
            estimate = float(fitted.fe_params["qa"])
            error = float(fitted.bse_fe["qa"])
        except (ValueError, np.linalg.LinAlgError) as exc:
            fitted = None
            problems.append(f"the model could not be fitted ({exc})")
    problems += [str(w.message).splitlines()[0].rstrip(".") for w in caught]
    if fitted is None:
        return MixedGap(None, None, None, *counts, warning="; ".join(problems))
    # statsmodels retries a failed optimiser with others; a retry that "converges" on a singular
    # fit is still a fit that did not converge the first time, and is said so either way.
    from statsmodels.tools.sm_exceptions import ConvergenceWarning

    if not fitted.converged or any(issubclass(w.category, ConvergenceWarning) for w in caught):
        problems.insert(0, "the fit did not converge")
    half = float(stats.t.ppf(0.975, counts[0] + counts[1] - 2)) * error
    if not math.isfinite(half):
        problems.append("its standard error could not be computed")
        return MixedGap(
            estimate, None, None, *counts, warning="Mixed model warning: " + "; ".join(problems)
        )
    return MixedGap(
        estimate,
        estimate - half,
        estimate + half,
        *counts,
        warning=(
            "Mixed model warning: " + "; ".join(dict.fromkeys(problems)) + ". Read it with care."
        )
        if problems
        else None,
    )


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
