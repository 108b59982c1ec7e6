"""The QA − panel gap's intervals: coverage in seeded simulations, and what each describes.

Scores on 1–5 from a latent call quality, a leniency per rater, a true QA − panel gap
and noise, rounded and clipped. Two questions, two truths:

* "these raters": the raters stay the same in every simulated session (only the calls
  are new), and the truth is their expected gap over a very large number of calls.
  Student's t over 7 calls must hold it in at least 93% of sessions (1.96 holds less).
* "QA reviewers and customers in general": new raters each session, and the truth is
  the expected gap over very many raters and calls. The per-call interval does not
  hold it (raters' leniency does not average out over calls); the crossed mixed
  model (3 QA reviewers, 4 panelists, 10 calls) must hold it in at least 90%.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from qa_app.domain.calibration.sessions import qa_panel_gap, qa_panel_mixed

TRUE_GAP = 0.4
SESSIONS = 1000
MIXED_SESSIONS = 200


def scores(rng, calls, qa_bias, panel_bias):
    """(qa, panel) score arrays, raters × calls."""
    quality = rng.normal(0, 0.8, size=calls)

    def rate(bias, shift):
        noise = rng.normal(0, 0.6, size=(len(bias), calls))
        return np.clip(np.rint(3 + quality[None] + bias[:, None] + shift + noise), 1, 5)

    return rate(qa_bias, TRUE_GAP), rate(panel_bias, 0.0)


def gap_of(qa, panel):
    calls = range(qa.shape[1])
    return qa_panel_gap(
        {f"c{c}": qa[:, c].tolist() for c in calls}, {f"c{c}": panel[:, c].tolist() for c in calls}
    )


def test_t_interval_holds_these_raters_gap():
    rng = np.random.default_rng(12)
    qa_bias, panel_bias = rng.normal(0, 0.4, size=3), rng.normal(0, 0.4, size=4)
    big_qa, big_panel = scores(rng, 400_000, qa_bias, panel_bias)
    truth = big_qa.mean() - big_panel.mean()
    held = held_z = 0
    for _ in range(SESSIONS):
        gap = gap_of(*scores(rng, 7, qa_bias, panel_bias))
        held += gap.low <= truth <= gap.high
        half_z = (gap.high - gap.low) / 2 * 1.959964 / 2.446912  # t(6; 0.975) → z
        held_z += gap.mean - half_z <= truth <= gap.mean + half_z
    print(f"\n7 calls, fixed raters: t {held / SESSIONS:.3f}, 1.96 {held_z / SESSIONS:.3f}")
    assert held / SESSIONS >= 0.93
    assert held_z < held
    assert "describes these raters" in gap.scope


def general_truth(rng):
    """The expected gap over very many raters and calls."""
    qa, panel = scores(rng, 2_000, rng.normal(0, 0.4, 2_000), rng.normal(0, 0.4, 2_000))
    return qa.mean() - panel.mean()


def long_rows(qa, panel):
    return [
        (f"c{c}", f"{role}{r}", role, float(matrix[r, c]))
        for role, matrix in (("qa", qa), ("panel", panel))
        for r in range(matrix.shape[0])
        for c in range(matrix.shape[1])
    ]


def test_mixed_model_holds_the_general_gap_and_the_per_call_interval_does_not():
    rng = np.random.default_rng(21)
    truth = general_truth(rng)
    held_mixed = held_per_call = warned = 0
    for _ in range(MIXED_SESSIONS):
        qa, panel = scores(rng, 10, rng.normal(0, 0.4, 3), rng.normal(0, 0.4, 4))
        mixed = qa_panel_mixed(long_rows(qa, panel))
        per_call = gap_of(qa, panel)
        warned += mixed.warning is not None
        held_mixed += mixed.low is not None and mixed.low <= truth <= mixed.high
        held_per_call += per_call.low <= truth <= per_call.high
    print(
        f"\n10 calls, new raters each session: mixed {held_mixed / MIXED_SESSIONS:.3f} "
        f"({warned} with a warning), per-call t {held_per_call / MIXED_SESSIONS:.3f}"
    )
    assert held_mixed / MIXED_SESSIONS >= 0.90
    assert held_per_call / MIXED_SESSIONS < 0.85


def test_mixed_model_needs_three_raters_per_role_and_eight_calls():
    rng = np.random.default_rng(3)
    qa, panel = scores(rng, 10, rng.normal(0, 0.4, 2), rng.normal(0, 0.4, 4))
    assert qa_panel_mixed(long_rows(qa, panel)) is None  # 2 QA reviewers
    qa, panel = scores(rng, 7, rng.normal(0, 0.4, 3), rng.normal(0, 0.4, 4))
    assert qa_panel_mixed(long_rows(qa, panel)) is None  # 7 calls
    qa, panel = scores(rng, 8, rng.normal(0, 0.4, 3), rng.normal(0, 0.4, 3))
    mixed = qa_panel_mixed(long_rows(qa, panel))
    assert (mixed.qa_raters, mixed.panel_raters, mixed.calls) == (3, 3, 8)


def test_mixed_model_reports_a_fit_that_does_not_converge():
    # Every rater gives every call the same score: no variance to separate, a singular fit.
    rows = [
        (f"c{c}", f"{role}{r}", role, 3.0)
        for c in range(8)
        for role in ("qa", "panel")
        for r in range(3)
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing may escape to the caller
        mixed = qa_panel_mixed(rows)
    assert mixed.warning.startswith("Mixed model warning: the fit did not converge")


@pytest.mark.parametrize("calls", [2, 6])
def test_t_interval_is_wider_than_the_normal_one_on_few_calls(calls):
    qa = {f"c{c}": [3 + c % 2] for c in range(calls)}
    panel = {f"c{c}": [3] for c in range(calls)}
    gap = qa_panel_gap(qa, panel)
    from scipy import stats

    sd = np.std([c % 2 for c in range(calls)], ddof=1)
    assert gap.high - gap.mean == pytest.approx(stats.t.ppf(0.975, calls - 1) * sd / calls**0.5)


def test_dashboard_gives_the_gap_its_scope_mixed_model_and_the_interval_warnings():
    from qa_app.domain.calibration.dashboard import build_dashboard
    from qa_app.domain.calibration.sessions import SessionRating
    from qa_app.domain.rubrics.definitions import load_rubric_file
    from tests.conftest import RUBRICS_DIR

    rubric = load_rubric_file(RUBRICS_DIR / "empathy-v1.toml")
    rng = np.random.default_rng(8)
    qa, panel = scores(rng, 8, rng.normal(0, 0.4, 3), rng.normal(0, 0.4, 3))
    ratings = [
        SessionRating(call, rater, role, dimension.id, int(score))
        for call, rater, role, score in long_rows(qa, panel)
        for dimension in rubric.dimensions
    ]
    numbers = build_dashboard(ratings, rubric, {}, seed=1)
    gap = numbers["gaps"][rubric.dimensions[0].id]
    assert gap.calls == 8 and "describes these raters" in gap.scope
    assert (gap.mixed.qa_raters, gap.mixed.panel_raters, gap.mixed.calls) == (3, 3, 8)
    assert numbers["category_set"] == "the rubric's scale 1–5"
    everyone = numbers["agreement"]["everyone"]
    assert everyone.overall.interval.warning.startswith("Only 8 calls")
