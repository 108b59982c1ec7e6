"""Demo data generated from a fixed seed: agents, calls, transcripts, outcomes and reviews.

Each call has hidden "true" behaviour levels (1–5 per empathy dimension) that
depend on agent tenure, interaction difficulty, channel and save script. The
transcript is written from those levels, outcomes depend on them plausibly, and
demo reviewers score them with a little noise and a personal bias — so the demo
shows real disagreement, real flags and real outcome differences.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from qa_app.domain.demo import scenarios as text
from qa_app.domain.demo.cases import CASES
from qa_app.domain.imports.calls import CallRecord, Turn

SEED = 20260601
CALL_COUNT = 360
DIMENSIONS = ("acknowledgment", "summary", "next_steps", "loop_closure")
PERIOD_START = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
PERIOD_DAYS = 150
REVIEWED_CALLS = 180


@dataclass(frozen=True)
class DemoUser:
    email: str
    name: str
    role: str
    password: str


# Demo accounts only: `make run` prints them. Deactivate them before real use.
DEMO_USERS = (
    DemoUser("admin@example.com", "Ada Admin", "admin", "demo-admin-pass"),
    DemoUser("lead@example.com", "Lee Lead", "lead", "demo-lead-pass"),
    DemoUser("reviewer@example.com", "Rita Reviewer", "reviewer", "demo-reviewer-pass"),
    DemoUser("reviewer2@example.com", "Rob Reviewer", "reviewer", "demo-reviewer2-pass"),
    DemoUser("coach@example.com", "Cora Coach", "coach", "demo-coach-pass"),
)
# Each demo reviewer reads the scale a little differently.
REVIEWER_BIAS = {"reviewer@example.com": 0.0, "reviewer2@example.com": -0.35}


@dataclass(frozen=True)
class DemoReview:
    call_id: str
    reviewer_email: str
    submitted: bool
    scores: dict[str, int | None]
    notes: dict[str, str] = field(default_factory=dict)
    evidence: dict[str, list[int]] = field(default_factory=dict)


@dataclass
class DemoData:
    users: tuple[DemoUser, ...]
    calls: list[CallRecord]
    outcomes: list[tuple[str, str, str, float]]  # call_id, name, kind, value
    reviews: list[DemoReview]
    true_levels: dict[str, dict[str, int]]
    assignments: list[tuple[str, str]] = field(default_factory=list)  # call_id, reviewer email


@dataclass(frozen=True)
class Agent:
    name: str
    team: str
    tenure_days: int
    skill: float


def _weighted(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _clamp_level(value: float) -> int:
    return max(1, min(5, round(value)))


def _logistic(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def make_agents(rng: random.Random) -> list[Agent]:
    """24 agents from new hires (weeks) to veterans (years); skill grows with tenure."""
    agents = []
    for index, first in enumerate(text.FIRST_NAMES):
        band = index % 3
        tenure = (
            rng.randint(7, 90)
            if band == 0
            else (rng.randint(120, 700) if band == 1 else rng.randint(900, 3200))
        )
        skill = 0.55 * math.log10(tenure / 90 + 0.3) + rng.gauss(0, 0.35)
        name = f"{first} {text.LAST_INITIALS[index % len(text.LAST_INITIALS)]}."
        agents.append(Agent(name, text.TEAMS[index % len(text.TEAMS)], tenure, skill))
    return agents


def _true_levels(rng, agent: Agent, difficulty: float, channel: str, script: str | None):
    base = 3.0 + agent.skill - 0.5 * difficulty + (-0.3 if channel == "email" else 0.0)
    shift = {
        "discount-first": {"acknowledgment": -0.6, "loop_closure": -0.4},
        "empathy-first": {"acknowledgment": 0.7, "loop_closure": 0.6},
        "value-recap": {"summary": 0.6, "next_steps": 0.4},
    }.get(script or "", {})
    return {d: _clamp_level(base + shift.get(d, 0.0) + rng.gauss(0, 0.8)) for d in DIMENSIONS}


# --- Transcript wording ---------------------------------------------------------------------
# Turn timing. Voice: about 2.6 words a second, then a short pause before the reply. Chat: the
# reply's writer reads the last message, then types (agents use snippets, so type faster).
SPEAKING_WORDS_PER_SECOND = 2.6
READING_WORDS_PER_SECOND = 4.0
TYPING_WORDS_PER_SECOND = {"Agent": 2.2, "Customer": 0.9}
MIN_GAP_SECONDS, MAX_GAP_SECONDS = 2, 40


def _level_key(level: int) -> str:
    return "low" if level <= 2 else ("mid" if level == 3 else "high")


def _turn_times(channel: str, turns: list[Turn], pauses: list[int], busy: set[int], rng):
    """Whole-second offsets, strictly increasing: each gap is the time the turn takes to say
    (or to read and answer, in chat), plus a pause; ``busy`` turns follow the agent working
    (looking up the account, making the change). ``pauses`` are the seeded draws, 9 to 24."""
    times = [0]
    for index in range(1, len(turns)):
        before, turn = turns[index - 1], turns[index]
        pause = 0.5 + (pauses[index] - 9) * 0.15  # 0.5 to 2.75 seconds
        if channel == "chat":
            seconds = (
                len(before.text.split()) / READING_WORDS_PER_SECOND
                + len(turn.text.split()) / TYPING_WORDS_PER_SECOND[turn.speaker]
                + 2 * pause
            )
        else:
            seconds = len(before.text.split()) / SPEAKING_WORDS_PER_SECOND + pause
        if index in busy:
            seconds += rng.uniform(3, 9)
        gap = max(MIN_GAP_SECONDS, min(MAX_GAP_SECONDS, round(seconds)))
        times.append(times[-1] + gap)
    return times


def build_transcript(rng, agent: Agent, kind: str, channel: str, script, levels, values):
    """Turns for one call; returns (turns, evidence positions per dimension).

    ``rng`` is the demo's seeded stream: this takes from it exactly the draws it always has
    (the opening, one per timed turn, the customer's reactions), so changing the wording
    leaves every later call, outcome and review as it was. Wording variants come from a
    second generator seeded from the call's own values, so they are seeded too."""
    words = random.Random(f"{values['ref']}|{agent.name}|{kind}|{channel}|{script}|{levels}")
    fill = dict(
        values,
        agent=agent.name.split()[0],
        case_ref=f"{values['ref'][0]}{words.randint(1000000, 9999999)}",
        check=words.choice(text.CHECKS),
    )
    live = channel != "email"
    lines: list[tuple[str, str]] = []
    pauses: list[int] = []  # one seeded draw per turn of a call or chat (the first goes unused)
    evidence: dict[str, list[int]] = {}

    def say(speaker: str, line: str, dimension: str | None = None) -> None:
        if dimension:
            evidence.setdefault(dimension, []).append(len(lines))
        if live:
            pauses.append(rng.randint(9, 24))
        lines.append((speaker, line.format(**fill)))

    def variant(options: tuple[str, ...]) -> str:
        return words.choice(options)

    say("Agent", variant(text.GREETINGS[channel]))
    # Drawn after the greeting's pause, where the stream has always drawn the opening.
    case = {k: v.format(**values) for k, v in rng.choice(CASES[kind]).items()}
    fill.update(case, Confirm=case["confirm"][0].upper() + case["confirm"][1:])
    say("Customer", case["opening"])
    say("Agent", variant(text.ACKNOWLEDGMENT[levels["acknowledgment"]]), "acknowledgment")
    chose = variant(("The first one, please. ", "The first option, please. "))
    say("Customer", (chose if levels["acknowledgment"] == 5 else "") + case["detail"])
    say("Agent", variant(text.SUMMARY[levels["summary"]]), "summary")
    say("Customer", variant(text.SUMMARY_REPLIES[levels["summary"]]))
    if script:
        say("Customer", variant(text.RETENTION["customer"]))
        say("Agent", variant(text.RETENTION[script]))
        mood = _level_key((levels["acknowledgment"] + levels["summary"]) // 2)
        say("Customer", rng.choice(text.OFFER_REACTIONS[script][mood]))
    say("Agent", variant(text.NEXT_STEPS[levels["next_steps"]]), "next_steps")
    say("Customer", rng.choice(text.CUSTOMER_REACTIONS["plan"][_level_key(levels["next_steps"])]))
    closing = text.LOOP_CLOSURE[levels["loop_closure"]]
    if not live and levels["loop_closure"] in text.EMAIL_LOOP_CLOSURE:
        closing = text.EMAIL_LOOP_CLOSURE[levels["loop_closure"]]
    say("Agent", variant(closing), "loop_closure")
    reaction = rng.choice(text.CUSTOMER_REACTIONS["close"][_level_key(levels["loop_closure"])])
    say("Customer", f"{reaction} {variant(text.SIGN_OFFS)}" if live else reaction)

    turns = [Turn(speaker, line, None) for speaker, line in lines]
    if live:
        # The agent works before summarising (looking the case up) and before the next steps.
        busy = {evidence["summary"][0], evidence["next_steps"][0]}
        times = _turn_times(channel, turns, pauses, busy, words)
        turns = [t._replace(offset_seconds=float(s)) for t, s in zip(turns, times, strict=True)]
    return tuple(turns), evidence


def _outcomes(rng, call_id: str, kind_difficulty: float, script, levels) -> list[tuple]:
    centred = {d: levels[d] - 3 for d in DIMENSIONS}
    rows = []
    callback = _logistic(-1.2 - 0.55 * centred["next_steps"] + 0.8 * kind_difficulty)
    rows.append((call_id, "callback_30d", "boolean", float(rng.random() < callback)))
    intent = (
        5.5 + 0.8 * centred["acknowledgment"] + 0.6 * centred["loop_closure"] + rng.gauss(0, 1.3)
    )
    rows.append((call_id, "renewal_intent", "number", float(max(0, min(10, round(intent))))))
    if script:
        credit = 0.0
        if script == "discount-first" or rng.random() < 0.25:
            credit = float(rng.choice((10, 15, 20, 25, 40, 60)))
        saved = _logistic(
            -0.2
            + 0.45 * centred["acknowledgment"]
            + 0.25 * centred["summary"]
            + 0.4 * centred["loop_closure"]
            + 0.015 * credit
        )
        rows.append((call_id, "saved", "boolean", float(rng.random() < saved)))
        rows.append((call_id, "credit_amount", "number", credit))
    return rows


def _review_scores(rng, levels, bias: float, kind: str) -> dict[str, int | None]:
    scores: dict[str, int | None] = {}
    for dim in DIMENSIONS:
        scores[dim] = _clamp_level(levels[dim] + bias + rng.gauss(0, 0.55))
    if kind == "quick_win" and rng.random() < 0.3:
        scores["loop_closure"] = None  # nothing emotional to close on a two-minute update
    return scores


def generate_demo(seed: int = SEED, call_count: int = CALL_COUNT) -> DemoData:
    """The whole demo data set; the same seed always gives the same data."""
    rng = random.Random(seed)
    agents = make_agents(rng)
    kinds = {k: v[0] for k, v in text.INTERACTION_TYPES.items()}
    calls, outcomes, truth, evidence_by_call = [], [], {}, {}
    for number in range(1, call_count + 1):
        call_id = f"DEMO-{number:04d}"
        agent = rng.choice(agents)
        kind = _weighted(rng, kinds)
        _share, difficulty, queue = text.INTERACTION_TYPES[kind]
        channel = _weighted(rng, text.CHANNELS)
        script = (
            rng.choice(text.SAVE_SCRIPTS) if kind != "quick_win" and rng.random() < 0.45 else None
        )
        levels = _true_levels(rng, agent, difficulty, channel, script)
        values = {
            "ref": f"{rng.choice('ABCKRT')}{rng.randint(100000, 999999)}",
            "amount": f"£{rng.randint(12, 89)}.{rng.randint(0, 99):02d}",
            "credit": f"{rng.choice((10, 15, 20, 25))}%",
        }
        turns, evidence = build_transcript(rng, agent, kind, channel, script, levels, values)
        started = PERIOD_START + timedelta(
            days=rng.randrange(PERIOD_DAYS), minutes=rng.randrange(0, 10 * 60)
        )
        calls.append(
            CallRecord(
                call_id=call_id,
                agent=agent.name,
                transcript=turns,
                team=agent.team,
                queue="retention" if script else queue,
                channel=channel,
                interaction_type=kind,
                started_at=started,
                save_script=script,
                agent_tenure_days=agent.tenure_days + (started - PERIOD_START).days,
            )
        )
        outcomes.extend(_outcomes(rng, call_id, difficulty, script, levels))
        truth[call_id] = levels
        evidence_by_call[call_id] = evidence
    reviews = _demo_reviews(rng, calls, truth, evidence_by_call)
    return DemoData(DEMO_USERS, calls, outcomes, reviews, truth, _demo_assignments(calls, reviews))


def _demo_assignments(calls, reviews) -> list[tuple[str, str]]:
    """Every reviewed call sits in its reviewer's queue; each reviewer also has calls to do."""
    assignments = [(r.call_id, r.reviewer_email) for r in reviews]
    reviewed = {r.call_id for r in reviews}
    waiting = [c.call_id for c in calls if c.call_id not in reviewed]
    assignments += [(call_id, "reviewer@example.com") for call_id in waiting[:25]]
    assignments += [(call_id, "reviewer2@example.com") for call_id in waiting[25:40]]
    return assignments


def _demo_reviews(rng, calls, truth, evidence_by_call) -> list[DemoReview]:
    """Oversample hard interactions for review, as QA teams do; some calls get two reviewers."""
    review_weight = {
        "escalation": 3.0,
        "policy_exception": 3.0,
        "delayed_shipment": 1.5,
        "billing_correction": 1.5,
        "quick_win": 0.5,
    }
    weighted = sorted(
        calls, key=lambda c: rng.random() ** (1 / review_weight[c.interaction_type]), reverse=True
    )
    chosen = weighted[:REVIEWED_CALLS]
    reviews = []
    for index, call in enumerate(chosen):
        reviewers = ["reviewer@example.com", "reviewer2@example.com"]
        if index % 3:  # two of three calls get a single reviewer, alternating
            reviewers = [reviewers[index % 2]]
        for email in reviewers:
            scores = _review_scores(
                rng, truth[call.call_id], REVIEWER_BIAS[email], call.interaction_type
            )
            evidence = {d: p for d, p in evidence_by_call[call.call_id].items() if scores.get(d)}
            notes = {}
            if scores["acknowledgment"] is not None and scores["acknowledgment"] <= 2:
                notes["acknowledgment"] = "Went straight to process; no reference to the impact."
            reviews.append(DemoReview(call.call_id, email, True, scores, notes, evidence))
    # A few drafts in progress for the demo reviewer: some dimensions still unscored.
    for call in weighted[REVIEWED_CALLS : REVIEWED_CALLS + 4]:
        levels = truth[call.call_id]
        partial = {"acknowledgment": levels["acknowledgment"], "summary": levels["summary"]}
        reviews.append(DemoReview(call.call_id, "reviewer@example.com", False, partial))
    return reviews


# October's reviews follow a sampling plan: hard calls oversampled, every figure weighted back.
DEMO_PLAN = """\
name = "demo-october-hard-calls"
description = "Demo: October's reviews, oversampling the hard calls (default factors)"
since = 2026-10-01
until = 2026-10-31
seed = 2026
strata = ["interaction_type"]
reviewers = ["reviewer@example.com", "reviewer2@example.com"]
total = 40
"""


def plan_reviews(
    data: DemoData, drawn: list[tuple[str, str]], already_reviewed: set[str], seed: int = SEED
) -> list[DemoReview]:
    """Submitted reviews for the plan's drawn calls not reviewed yet, by the reviewer the draw
    assigned (``drawn``: call_id, reviewer email), scored like every demo review."""
    rng = random.Random(seed + 1)
    kinds = {c.call_id: c.interaction_type for c in data.calls}
    reviews = []
    for call_id, email in drawn:
        if call_id in already_reviewed:
            continue
        scores = _review_scores(
            rng, data.true_levels[call_id], REVIEWER_BIAS[email], kinds[call_id]
        )
        reviews.append(DemoReview(call_id, email, True, scores))
    return reviews
