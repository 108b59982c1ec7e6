"""Prediction-powered flag rates: seeded simulation of coverage and width.

A population of 5,000 calls with a flag people would give at a rate of 30%; a machine that
agrees with people at Krippendorff's alpha 0.4, 0.6 or 0.8 (it gives people's value with
that probability, else a draw from the same rate, so alpha is about that probability);
people review a simple random sample of 200. Over 300 samples per level, the 95% intervals,
prediction-powered and human-only, must each hold the population's rate in at least 93% of
samples; the prediction-powered one must be no wider than the human-only one on average and
clearly narrower when the machine is good. A machine of pure noise must not widen it.
"""

from __future__ import annotations

import krippendorff
import numpy as np
import pytest

from qa_app.domain.machine.ppi import ppi_mean

POPULATION = 5_000
SAMPLE = 200
REPLICATIONS = 300


def simulate(agreement: float, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    people = (rng.random(POPULATION) < 0.3).astype(float)
    redraw = (rng.random(POPULATION) < 0.3).astype(float)
    machine = np.where(rng.random(POPULATION) < agreement, people, redraw)
    alpha = krippendorff.alpha(reliability_data=np.vstack([people, machine]),
                               level_of_measurement="nominal")  # fmt: skip
    truth = people.mean()
    held = {"ppi": 0, "classical": 0}
    ratios = []
    for _ in range(REPLICATIONS):
        picked = rng.choice(POPULATION, SAMPLE, replace=False)
        result = ppi_mean(people[picked], machine[picked], machine)
        held["ppi"] += result["ppi_ci"][0] <= truth <= result["ppi_ci"][1]
        held["classical"] += result["classical_ci"][0] <= truth <= result["classical_ci"][1]
        ratios.append(result["width_ratio"])
    return {
        "alpha": alpha,
        "ppi": held["ppi"] / REPLICATIONS,
        "classical": held["classical"] / REPLICATIONS,
        "width_ratio": float(np.mean(ratios)),
    }


@pytest.mark.parametrize(("agreement", "narrower"), [(0.4, 0.97), (0.6, 0.88), (0.8, 0.72)])
def test_both_intervals_cover_and_a_better_machine_narrows_the_interval(agreement, narrower):
    found = simulate(agreement, seed=11)
    assert found["alpha"] == pytest.approx(agreement, abs=0.05)
    assert found["ppi"] >= 0.93 and found["classical"] >= 0.93, found
    assert found["width_ratio"] <= narrower, found


def test_a_machine_of_noise_does_not_widen_the_interval():
    found = simulate(0.0, seed=12)
    assert abs(found["alpha"]) < 0.05
    assert found["ppi"] >= 0.93 and found["width_ratio"] <= 1.02, found


def test_design_weights_are_the_samples_weights():
    """An oversampled stratum weighted back: the weighted prediction-powered estimate of a
    sample where stratum A (half the population) was drawn four times as often is near the
    population rate, where the unweighted mean of the same sample is not."""
    rng = np.random.default_rng(5)
    stratum = np.repeat([0, 1], POPULATION // 2)
    people = (rng.random(POPULATION) < np.where(stratum == 0, 0.6, 0.1)).astype(float)
    machine = np.where(rng.random(POPULATION) < 0.7, people,
                       (rng.random(POPULATION) < 0.35).astype(float))  # fmt: skip
    picked = np.concatenate([rng.choice(np.flatnonzero(stratum == 0), 160, replace=False),
                             rng.choice(np.flatnonzero(stratum == 1), 40, replace=False)])
    weights = np.where(stratum[picked] == 0, 2500 / 160, 2500 / 40)  # fmt: skip
    result = ppi_mean(people[picked], machine[picked], machine, weights)
    assert people[picked].mean() > 0.45  # the oversampled stratum pulls the raw mean up
    assert result["ppi_estimate"] == pytest.approx(people.mean(), abs=0.04)
    assert result["ppi_ci"][0] <= people.mean() <= result["ppi_ci"][1]
