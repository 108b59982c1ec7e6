"""Outreach signals on plain records: usage dip, repeated contacts, negative sentiment,
empathy absent. No database and no Flask: qa_app.store.outreach.alerts hands the records in.

Every moment is naive UTC. A signal is judged over the ``window_days`` days that end on the
run's day (``as_of``, inclusive): from ``as_of + 1 day - window_days`` up to the end of
``as_of``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from statistics import fmean

# Speakers whose turns are the customer's (lower case, before any digit or name).
CUSTOMER_SPEAKERS = ("customer", "caller", "client", "member")


@dataclass(frozen=True)
class OutreachCall:
    """One call of a customer. ``flags``/``scores`` are the final ones (empty when the call
    was not reviewed); ``sentiment`` is the imported value, when the import gave one."""

    call_id: str
    customer_id: str
    started_at: datetime
    team: str | None = None
    agent: str | None = None
    flags: Mapping[str, bool | None] = field(default_factory=dict)
    scores: Mapping[str, int | None] = field(default_factory=dict)
    sentiment: float | None = None
    customer_text: tuple[str, ...] = ()

    @property
    def reviewed(self) -> bool:
        return bool(self.scores)


@dataclass(frozen=True)
class UsagePoint:
    """A ``usage`` event of a customer."""

    customer_id: str
    at: datetime
    value: float


def window(as_of: date, days: int) -> tuple[datetime, datetime]:
    """The half-open span [start, end) of the ``days`` days ending with ``as_of``."""
    end = datetime.combine(as_of + timedelta(days=1), time())
    return end - timedelta(days=days), end


def usage_drop(
    points: Iterable[UsagePoint], as_of: date, window_days: int, baseline_days: int
) -> float | None:
    """How far the customer's mean usage in the window fell below their own mean over the
    ``baseline_days`` before it, as a share (0.45 = 45% lower; negative when it rose).

    None when either span has no usage event or the baseline is not positive: no baseline,
    no dip.
    """
    start, end = window(as_of, window_days)
    base_start = start - timedelta(days=baseline_days)
    recent = [p.value for p in points if start <= p.at < end]
    baseline = [p.value for p in points if base_start <= p.at < start]
    if not recent or not baseline:
        return None
    base = fmean(baseline)
    if base <= 0:
        return None
    # Rounded so that 70 against 100 is a 30% drop, not 29.999...%.
    return round(1 - fmean(recent) / base, 9)


def calls_in_window(calls: Iterable[OutreachCall], as_of: date, days: int) -> list[OutreachCall]:
    """The calls that started in the window, oldest first."""
    start, end = window(as_of, days)
    return sorted((c for c in calls if start <= c.started_at < end), key=lambda c: c.started_at)


@lru_cache(maxsize=1)
def _analyzer():
    # Built once per process: reading VADER's lexicon takes a few tens of milliseconds.
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def is_customer_speaker(speaker: str) -> bool:
    """True for the customer's side of a transcript ("Customer", "caller 1", ...)."""
    return speaker.strip().lower().startswith(CUSTOMER_SPEAKERS)


def text_sentiment(texts: Sequence[str]) -> float | None:
    """The mean VADER compound score (-1 to 1) of the customer's turns; None without any."""
    scores = [_analyzer().polarity_scores(t)["compound"] for t in texts if t.strip()]
    return round(fmean(scores), 4) if scores else None


def call_sentiment(call: OutreachCall) -> float | None:
    """The imported sentiment when the import gave one (it takes precedence), else VADER's
    score of the customer's turns."""
    if call.sentiment is not None:
        return call.sentiment
    return text_sentiment(call.customer_text)


@dataclass
class SignalFindings:
    """What held for one customer on one day, with the figures behind it."""

    signals: set[str]
    trigger: OutreachCall | None
    usage_drop: float | None = None
    contacts: int = 0
    contact_days: int = 0
    sentiment: float | None = None
    sentiment_call: str | None = None


def find_signals(
    calls: Sequence[OutreachCall],
    usage: Sequence[UsagePoint],
    as_of: date,
    settings: Mapping[str, Mapping],
) -> SignalFindings:
    """Every signal of one customer on ``as_of`` under the rules' ``settings``.

    The trigger is the latest reviewed call in the empathy window whose flag is true (the
    call the alert links to); without one, the latest reviewed call in that window.
    """
    found: set[str] = set()
    empathy = settings["empathy_absent"]
    reviewed = [c for c in calls_in_window(calls, as_of, empathy["window_days"]) if c.reviewed]
    flagged = [c for c in reviewed if c.flags.get(empathy["flag"]) is True]
    if flagged:
        found.add("empathy_absent")
    trigger = flagged[-1] if flagged else (reviewed[-1] if reviewed else None)

    dip = settings["usage_dip"]
    drop = usage_drop(usage, as_of, dip["window_days"], dip["baseline_days"])
    if drop is not None and drop >= dip["min_drop"]:
        found.add("usage_dip")

    repeated = settings["repeated_contacts"]
    recent = calls_in_window(calls, as_of, repeated["window_days"])
    if len(recent) >= repeated["min_calls"]:
        found.add("repeated_contacts")
    span = (recent[-1].started_at - recent[0].started_at).days + 1 if recent else 0

    negative = settings["negative_sentiment"]
    lowest, lowest_call = None, None
    for call in calls_in_window(calls, as_of, negative["window_days"]):
        score = call_sentiment(call)
        if score is not None and (lowest is None or score < lowest):
            lowest, lowest_call = score, call.call_id
    if lowest is not None and lowest <= negative["threshold"]:
        found.add("negative_sentiment")
    return SignalFindings(found, trigger, drop, len(recent), span, lowest, lowest_call)


_COUNTS = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight"}


def reasons(findings: SignalFindings, dimension_names: Mapping[str, str]) -> list[str]:
    """The alert's reasons in plain words, e.g. "usage down 45% on their baseline"."""
    said = []
    if "usage_dip" in findings.signals and findings.usage_drop is not None:
        said.append(f"usage down {round(100 * findings.usage_drop)}% on their baseline")
    if "repeated_contacts" in findings.signals:
        count = _COUNTS.get(findings.contacts, str(findings.contacts))
        days = findings.contact_days
        span = "a week" if days <= 7 else f"{days} days"
        said.append(f"{count} calls in {span}")
    if "negative_sentiment" in findings.signals and findings.sentiment is not None:
        said.append(f"the customer sounded upset (sentiment {findings.sentiment:+.2f})")
    trigger = findings.trigger
    if "empathy_absent" in findings.signals and trigger is not None:
        scored = [(s, d) for d, s in trigger.scores.items() if s is not None]
        if scored:
            score, dimension = min(scored)
            name = dimension_names.get(dimension, dimension).lower()
            said.append(f"last call scored {score} on {name}")
        else:
            said.append("last call had no real acknowledgment")
    return said
