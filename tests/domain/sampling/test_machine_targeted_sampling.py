"""Sampling on the machine rater's prediction stays unbiased once weighted back (issue 26, item 7).

A fixed population of 8,000 calls, 12% of them truly flagged. The machine predicts the flag
for 70% of the flagged calls and for 15% of the others (a useful, imperfect machine), and in
the second population it predicts at random (a useless one). Each seeded draw is a plan with
``strata = ["machine:empathy_absent"]``, a total of 300 calls and the flagged band oversampled
4×, allocated and drawn by the plan's own functions. Every drawn call is weighted N_h / n_h.

Over 400 draws the mean weighted estimate must sit within 3 Monte Carlo standard errors of
the true rate (a z-test whose outcome is fixed by the seeds), the 95% Korn–Graubard interval
must cover the truth in at least 93% of draws, and the unweighted rate must be visibly biased:
that is what the weights are for. With the useful machine the interval is conservative (99.5%
here): the bands differ so much in their rates that the design effect falls below 1, and the
Korn–Graubard form svy implements caps the effective sample size at n (see
qa_app.domain.sampling.estimates), so it never claims the precision stratification gains.
"""

from __future__ import annotations

import numpy as np
import pytest

from qa_app.domain.sampling.draw import PopulationCall, draw_sample
from qa_app.domain.sampling.estimates import DesignCall, design_estimates
from qa_app.domain.sampling.plan import (
    FLAGGED,
    NOT_FLAGGED,
    machine_band,
    parse_plan,
    preview_plan,
)

PLAN = """
name = "machine-targeted"
since = 2026-11-01
until = 2026-11-30
seed = 1
strata = ["machine:empathy_absent"]
reviewers = ["rita@example.com"]
total = 300
[machine_oversample]
flagged = 4.0
"""
CALLS = 8_000
TRUE_RATE = 0.12
DRAWS = 400


def _population(useful: bool, rng: np.random.Generator):
    truth = np.zeros(CALLS, dtype=int)
    truth[: round(CALLS * TRUE_RATE)] = 1
    rng.shuffle(truth)
    if useful:
        predicted = np.where(truth == 1, rng.random(CALLS) < 0.70, rng.random(CALLS) < 0.15)
    else:
        predicted = rng.random(CALLS) < 0.25
    calls = []
    for i, flagged in enumerate(predicted):
        band = machine_band("empathy_absent", {}, {"empathy_absent": bool(flagged)})
        calls.append(PopulationCall(i, f"C-{i:05d}", band, f"agent-{i % 40}"))
    return truth, calls


@pytest.mark.parametrize("useful", [True, False], ids=["useful machine", "machine at random"])
def test_machine_bands_weighted_back_are_unbiased_and_cover(useful):
    rng = np.random.default_rng(20261208)
    truth, calls = _population(useful, rng)
    spec = parse_plan(PLAN)
    populations: dict[tuple, int] = {}
    for call in calls:
        populations[(call.stratum,)] = populations.get((call.stratum,), 0) + 1
    preview = preview_plan(spec, populations)
    by_key = {s.key: s for s in preview.strata}
    assert by_key[FLAGGED].probability > 2 * by_key[NOT_FLAGGED].probability

    weighted, unweighted, covered = [], [], 0
    for seed in range(DRAWS):
        drawn = draw_sample(preview, calls, seed)
        sample = [
            DesignCall(truth[d.call_pk], 1 / d.probability, d.stratum, "all") for d in drawn
        ]
        estimate = design_estimates(sample, {k: s.population for k, s in by_key.items()})["all"]
        weighted.append(estimate.estimate)
        unweighted.append(estimate.unweighted)
        covered += estimate.ci[0] <= TRUE_RATE <= estimate.ci[1]

    monte_carlo_se = np.std(weighted, ddof=1) / np.sqrt(DRAWS)
    assert abs(np.mean(weighted) - TRUE_RATE) < 3 * monte_carlo_se
    assert covered / DRAWS >= 0.93
    if useful:
        # Reviewers see far more flagged calls than a simple random sample would show them,
        # and reading those calls unweighted would overstate the rate.
        assert np.mean(unweighted) > 1.8 * TRUE_RATE
        assert np.mean(weighted) == pytest.approx(TRUE_RATE, abs=0.01)


def test_machine_band_names_flag_score_and_missing():
    assert machine_band("empathy_absent", {"a": 1}, {"empathy_absent": True}) == FLAGGED
    assert machine_band("empathy_absent", {"a": 4}, {"empathy_absent": False}) == NOT_FLAGGED
    assert machine_band("empathy_absent", {}, {"empathy_absent": None}) == "(none)"
    assert machine_band("acknowledgment", {"acknowledgment": 2}, {}) == "2"
    assert machine_band("acknowledgment", {}, {}) == "(none)"


def test_plan_file_checks_machine_strata():
    from qa_app.domain.sampling.plan import PlanError

    crossed = PLAN.replace('"machine:empathy_absent"', '"channel", "machine:empathy_absent"')
    spec = parse_plan(crossed)
    assert spec.machine_target == "empathy_absent"
    assert spec.machine_oversample == {"flagged": 4.0}
    two = PLAN.replace('"machine:empathy_absent"', '"machine:a", "machine:b"')
    with pytest.raises(PlanError, match="at most one machine prediction"):
        parse_plan(two)
    without = PLAN.replace('"machine:empathy_absent"', '"channel"')
    with pytest.raises(PlanError, match=r"machine_oversample.*needs a 'machine:\.\.\.' stratum"):
        parse_plan(without)
    bad = PLAN.replace("flagged = 4.0", "flagged = -1")
    with pytest.raises(PlanError, match="factor of 'flagged' must be a number above 0"):
        parse_plan(bad)
