"""Benchmark (make bench): `qa-app agreement` end to end against a loop over krippendorff.alpha.

Target: 20 raters × 10,000 calls (30% missing) with ``--bootstrap 1000``, run as a fresh
process the way a person types it (start-up, reading the CSV, alpha, AC2, diagnostics and
the bootstrap), takes at most a fifteenth of the time a loop calling ``krippendorff.alpha``
on the same 1,000 resamples takes, measured in the same run. The loop is timed on a part
of the resamples and scaled, as in test_bootstrap_speed; runs alternate so a busy machine
slows both sides alike, and medians are compared.
"""

from __future__ import annotations

import csv
import json
import statistics
import subprocess
import time

import krippendorff
import numpy as np
import pytest

from qa_app.domain.agreement.alpha import pairable, resample_indices, value_counts
from tests.benchmarks.test_bootstrap_speed import DOMAIN, reliability_data
from tests.benchmarks.test_cli_speed import qa_app_command

pytestmark = pytest.mark.benchmark

REPLICATES = 1000
NAIVE_TIMED = 100
RUNS = 3
SEED = 1
TARGET_RATIO = 15.0


def write_ratings(matrix: np.ndarray, path) -> None:
    """The matrix as a long ratings CSV (unit, rater, value), missing values left out."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["unit", "rater", "value"])
        for unit in range(matrix.shape[1]):
            for rater in range(matrix.shape[0]):
                if not np.isnan(matrix[rater, unit]):
                    writer.writerow(
                        [f"C-{unit:05d}", f"rater{rater:02d}@example.com", int(matrix[rater, unit])]
                    )


def test_agreement_command_is_15x_faster_than_a_krippendorff_loop(tmp_path):
    matrix = reliability_data()
    path = tmp_path / "ratings.csv"
    write_ratings(matrix, path)
    command = [
        *qa_app_command(),
        "agreement",
        str(path),
        "--bootstrap",
        str(REPLICATES),
        "--seed",
        str(SEED),
        "--format",
        "json",
    ]
    # The command draws its resamples from default_rng(seed) over the pairable calls, in
    # call order; the loop resamples the same calls (a unit's raters as matrix columns).
    counts = value_counts(matrix, DOMAIN)
    usable = matrix[:, counts.sum(axis=1) >= 2]
    indices = resample_indices(len(pairable(counts)), REPLICATES, np.random.default_rng(SEED))

    def naive() -> list[float]:
        return [
            krippendorff.alpha(
                reliability_data=usable[:, drawn],
                value_domain=DOMAIN,
                level_of_measurement="ordinal",
            )
            for drawn in indices[:NAIVE_TIMED]
        ]

    def run_command() -> tuple[float, dict]:
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True)
        elapsed = time.perf_counter() - start
        assert done.returncode == 0, done.stderr
        return elapsed, json.loads(done.stdout)

    _, report = run_command()  # warms the file cache; and checks the answer is the loop's
    result = report["dimensions"]["value"]
    expected = krippendorff.alpha(
        reliability_data=matrix, value_domain=DOMAIN, level_of_measurement="ordinal"
    )
    assert result["alpha"] == pytest.approx(expected, abs=1e-9)
    assert result["bootstrap"]["replicates"] == REPLICATES
    assert result["ci"][0] < expected < result["ci"][1]

    command_seconds, naive_seconds = [], []
    for _ in range(RUNS):
        command_seconds.append(run_command()[0])
        start = time.perf_counter()
        naive()
        naive_seconds.append((time.perf_counter() - start) * REPLICATES / NAIVE_TIMED)
    took, loop = statistics.median(command_seconds), statistics.median(naive_seconds)
    ratio = loop / took
    print(
        f"\nqa-app agreement, 20 raters x 10,000 calls ({path.stat().st_size / 1e6:.1f} MB CSV), "
        f"--bootstrap {REPLICATES}, median of {RUNS} runs:"
        f"\n  command end to end (process start included): {took:.2f} s "
        f"(runs: {', '.join(f'{s:.2f}' for s in command_seconds)})"
        f"\n  loop over krippendorff.alpha on the same resamples: {loop:.1f} s (scaled from "
        f"{NAIVE_TIMED} replicates)\n  ratio: {ratio:.1f}x (target {TARGET_RATIO:.0f}x)"
    )
    assert ratio >= TARGET_RATIO
