"""The demo data looks like a contact centre's work and is the same on every machine."""

from __future__ import annotations

from collections import Counter
from statistics import mean

from qa_app.domain.demo.calls import DEMO_USERS, generate_demo
from qa_app.domain.rubrics.definitions import load_rubric_file
from tests.conftest import RUBRICS_DIR


def test_same_seed_same_data():
    first, second = generate_demo(), generate_demo()
    assert first.calls == second.calls and first.outcomes == second.outcomes


def test_demo_covers_the_interaction_mix_channels_scripts_and_tenure():
    data = generate_demo()
    assert len(data.calls) >= 300
    assert set(Counter(c.interaction_type for c in data.calls)) == {
        "escalation",
        "delayed_shipment",
        "billing_correction",
        "policy_exception",
        "quick_win",
    }
    assert set(c.channel for c in data.calls) == {"voice", "chat", "email"}
    assert {c.save_script for c in data.calls} - {None} == {
        "discount-first",
        "empathy-first",
        "value-recap",
    }
    tenures = [c.agent_tenure_days for c in data.calls]
    assert min(tenures) < 90 and max(tenures) > 900
    assert min(len(c.transcript) for c in data.calls) >= 9
    assert {u.role for u in DEMO_USERS} == {"admin", "lead", "reviewer", "coach"}


def test_transcripts_vary_in_the_four_behaviours():
    data = generate_demo()
    for dimension in ("acknowledgment", "summary", "next_steps", "loop_closure"):
        assert {levels[dimension] for levels in data.true_levels.values()} == {1, 2, 3, 4, 5}


def test_reviews_oversample_hard_interactions_and_use_the_rubric_scale():
    data = generate_demo()
    by_id = {c.call_id: c for c in data.calls}
    reviewed = [by_id[r.call_id].interaction_type for r in data.reviews if r.submitted]
    hard = {"escalation", "policy_exception"}
    share_all = mean(c.interaction_type in hard for c in data.calls)
    share_reviewed = mean(kind in hard for kind in reviewed)
    assert share_reviewed > 1.5 * share_all
    scale = set(load_rubric_file(RUBRICS_DIR / "empathy-v1.toml").scale)
    assert all(s in scale for r in data.reviews for s in r.scores.values() if s is not None)
    assert any(not r.submitted for r in data.reviews)


def test_outcomes_depend_on_the_behaviours():
    data = generate_demo()
    saved = {cid: v for cid, name, _k, v in data.outcomes if name == "saved"}
    acknowledged = [v for cid, v in saved.items() if data.true_levels[cid]["acknowledgment"] >= 4]
    not_acknowledged = [
        v for cid, v in saved.items() if data.true_levels[cid]["acknowledgment"] <= 2
    ]
    assert mean(acknowledged) > mean(not_acknowledged) + 0.1
    credits = {}
    for cid, name, _k, value in data.outcomes:
        if name == "credit_amount":
            credits.setdefault(
                next(c.save_script for c in data.calls if c.call_id == cid), []
            ).append(value)
    assert mean(credits["discount-first"]) > 2 * mean(credits["empathy-first"])
