"""Final scores, mix weights and outcome comparisons against independent computations."""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.stats.proportion import confint_proportions_2indep

from qa_app.domain.flags.comparison import Comparison
from qa_app.domain.flags.comparison_groups import SMALL_CELL, ComparisonRow
from qa_app.domain.rubrics.definitions import load_rubric_file
from qa_app.domain.rubrics.final_scores import final_scores, mix_weights
from qa_app.domain.rubrics.scoring import DimensionAnswer
from qa_app.domain.sampling.estimates import DesignCall, design_difference
from tests.conftest import RUBRICS_DIR

RUBRIC = load_rubric_file(RUBRICS_DIR / "empathy-v1.toml")


def answers(ack, summary, steps, loop):
    values = {"acknowledgment": ack, "summary": summary, "next_steps": steps, "loop_closure": loop}
    return {
        d: DimensionAnswer(None, True) if v == "na" else DimensionAnswer(v)
        for d, v in values.items()
    }


def test_consensus_wins_then_single_review_then_median():
    first, second, third = answers(4, 2, 5, "na"), answers(2, 3, 4, "na"), answers(5, 3, 1, 2)
    consensus = {"acknowledgment": 3, "summary": 3, "next_steps": 3, "loop_closure": None}
    assert final_scores(RUBRIC, [first, second], consensus).source == "consensus"
    assert final_scores(RUBRIC, [first, second], consensus).scores["acknowledgment"] == 3
    single = final_scores(RUBRIC, [first])
    assert (single.source, single.scores["next_steps"], single.scores["loop_closure"]) == (
        "review",
        5,
        None,
    )
    median = final_scores(RUBRIC, [first, second, third])
    assert median.source == "median of reviews" and median.review_count == 3
    assert median.scores == {"acknowledgment": 4, "summary": 3, "next_steps": 4, "loop_closure": 2}
    even = final_scores(RUBRIC, [first, second])
    assert even.scores["acknowledgment"] == 3 and even.scores["summary"] == 2.5
    assert even.scores["loop_closure"] is None  # every review said N/A
    assert even.flags(RUBRIC)["summarized"] is False and even.flags(RUBRIC)["acknowledged"] is False


def test_mix_weights_restore_the_interaction_mix():
    everyone = {"escalation": 100, "quick_win": 900}
    reviewed = {"escalation": 50, "quick_win": 50}
    weights = mix_weights(everyone, reviewed)
    assert weights == pytest.approx({"escalation": 0.2, "quick_win": 1.8})
    # Weighted reviewed counts reproduce the real shares.
    total = sum(reviewed[k] * weights[k] for k in reviewed)
    assert reviewed["escalation"] * weights["escalation"] / total == pytest.approx(0.1)


def simulated_rows(seed=4, n=400):
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(n):
        flag = bool(rng.random() < 0.5)
        script = rng.choice(["discount-first", "empathy-first"])
        saved = float(rng.random() < (0.6 if flag else 0.4))
        weight = float(rng.choice([0.5, 1.5]))
        rows.append(
            ComparisonRow(
                {"closed_emotional_loop": flag},
                saved,
                weight,
                script,
                int(rng.integers(1, 400)),
                rng.choice(["voice", "chat"]),
                rng.choice(["escalation", "quick_win"]),
                saved,
                float(rng.choice([0, 20])),
            )
        )
    return rows


def independent(rows, flag_value, script=None):
    """numpy computation of n, mean, weighted mean and Kish's effective n."""
    chosen = [
        r
        for r in rows
        if r.flags["closed_emotional_loop"] == flag_value
        and (script is None or r.save_script == script)
    ]
    y = np.array([r.outcome for r in chosen])
    w = np.array([r.weight for r in chosen])
    weighted = np.average(y, weights=w)
    effective = w.sum() ** 2 / (w**2).sum()
    return len(y), y.mean(), weighted, effective


def test_comparison_matches_an_independent_computation():
    rows = simulated_rows()
    report = Comparison(["closed_emotional_loop"], value_is="rate").add_all(rows)
    groups = {g["save_script"]: g for g in report.groups()}
    assert set(groups) == {"discount-first", "empathy-first", "(all)"}
    for script in ("discount-first", "empathy-first", None):
        group = groups[script or "(all)"]
        n1, m1, w1, e1 = independent(rows, True, script)
        n0, m0, w0, e0 = independent(rows, False, script)
        assert group["with"]["n"] == n1 and group["without"]["n"] == n0
        assert group["with"]["value"] == pytest.approx(m1)
        assert group["with"]["weighted_value"] == pytest.approx(w1)
        assert group["difference"] == pytest.approx(m1 - m0)
        assert group["weighted_difference"] == pytest.approx(w1 - w0)
        # Newcombe's score interval on the counts (statsmodels, called on the raw rows here).
        assert group["ci"] == pytest.approx(
            list(confint_proportions_2indep(m1 * n1, n1, m0 * n0, n0, method="newcomb"))
        )
        # Weighted: the design's interval (Taylor linearisation; one stratum here), as svy
        # computes it for the same calls, those of other scripts outside both sides.
        calls = [
            DesignCall(
                r.outcome,
                r.weight,
                r.stratum,
                int(r.flags["closed_emotional_loop"])
                if script is None or r.save_script == script
                else -1,
            )
            for r in rows
        ]
        expected = design_difference(calls)
        assert group["weighted_difference"] == pytest.approx(expected.difference)
        width = expected.ci[1] - expected.ci[0]
        assert group["weighted_ci"] == pytest.approx(list(expected.ci), abs=1e-6 * width)
        assert group["with"]["effective_n"] == pytest.approx(e1, abs=0.05)
        assert group["too_small"] == (e1 < SMALL_CELL or e0 < SMALL_CELL)


def test_credit_per_saved_customer():
    rows = [
        ComparisonRow({"f": True}, 1.0, 1.0, "s", saved=1.0, credit=20.0),
        ComparisonRow({"f": True}, 0.0, 1.0, "s", saved=0.0, credit=10.0),
        ComparisonRow({"f": False}, 1.0, 2.0, "s", saved=1.0, credit=0.0),
    ]
    group = Comparison(["f"]).add_all(rows).groups()[0]
    assert group["with"]["credit_per_save"] == 30.0
    assert group["without"]["credit_per_save"] == 0.0


def test_empty_side_is_null_and_small_cells_are_marked():
    rows = [ComparisonRow({"f": True}, 1.0), ComparisonRow({"f": None}, 0.0)]
    group = Comparison(["f"]).add_all(rows).groups()[0]
    assert group["without"] == {
        "n": 0,
        "effective_n": 0.0,
        "value": None,
        "weighted_value": None,
        "standardized_value": None,
    }
    assert group["difference"] is None and group["ci"] is None and group["too_small"]


def test_equity_cuts_split_by_tenure_channel_and_type():
    cuts = Comparison(["closed_emotional_loop"]).add_all(simulated_rows()).equity()
    segments = {(c["cut"], c["segment"]) for c in cuts}
    assert ("agent_tenure", "new (<90 days)") in segments
    assert ("agent_tenure", "experienced (90+ days)") in segments
    assert {
        ("channel", "voice"),
        ("channel", "chat/email/other"),
        ("interaction_type", "escalation"),
    } <= segments
    new = next(c for c in cuts if c["segment"] == "new (<90 days)")
    everyone = new["groups"][-1]
    rows = [r for r in simulated_rows() if r.agent_tenure_days < 90]
    assert everyone["with"]["n"] + everyone["without"]["n"] == len(rows)
