"""How often each 95% interval for alpha holds the population alpha, over a grid of sessions.

Run it (about half an hour on two cores) to rebuild the tables in docs/statistics.md:

    python -m tests.domain.agreement.coverage_grid --sessions 300 > coverage.tsv
    python -m tests.domain.agreement.coverage_grid --tables coverage.tsv

Each session: C calls, R raters, four dimensions on an ordinal 1–5 scale. A call has one
quality per dimension, drawn from a normal distribution whose dimensions correlate at rho
(at 0.95 a hard call is hard on every dimension); each rater has a leniency (sd 0.4) and
each rating its own noise (sd 0.7); the sum is rounded to the scale. A share of ratings is
missing at random. Raters are either *fixed* (the same R people, with the same leniencies,
in every session: the population is these raters on every possible call) or *random* (R
new raters drawn from a population of raters in each session: the population is any two
raters of that population on any call).

The intervals compared, all from the same resamples of whole calls (as compute_agreement
draws them) and the same leave-one-call-out alphas:
- ``bca``: the bias-corrected and accelerated percentile interval (what qa_app shows);
- ``percentile``: the plain percentile interval;
- ``boot_t``: alpha ± t(C−1) × the resamples' standard deviation;
- ``jackknife_t``: alpha ± t(C−1) × the jackknife standard error, as qa_app computes it
  (summarise_bootstrap: the percentile interval where the jackknife cannot be had);
- ``expanded_bca``: BCa with its normal quantile widened as in Hesterberg's expanded
  percentile interval (2015, "What teachers should know about the bootstrap"):
  z → sqrt(C/(C−1)) · t(C−1);
- ``calls_and_raters``: alpha ± 1.96 × sqrt(the jackknife variance over calls + the one over
  raters), as qa_app computes ``ci_other_raters`` for raters who stand for others (three
  raters or more).
"""

from __future__ import annotations

import argparse
import itertools
import math
import sys
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from qa_app.domain.agreement.alpha import (
    alpha_point,
    bootstrap_units,
    jackknife_units,
    other_raters_interval,
    resample_indices,
    summarise_bootstrap,
    value_counts,
)

DOMAIN = np.arange(1.0, 6.0)
DIMENSIONS = 4
LENIENCY_SD = 0.4
NOISE_SD = 0.7
METHODS = ("bca", "percentile", "boot_t", "jackknife_t", "expanded_bca", "calls_and_raters")
TARGETS = ("dimension", "overall")


@dataclass(frozen=True)
class Cell:
    """One point of the grid."""

    raters: int
    calls: int
    rho: float
    raters_kind: str  # "fixed" or "random"
    missing: float

    def seed(self) -> int:
        """A seed of its own, so each cell can be rerun alone."""
        kind = 1 if self.raters_kind == "random" else 0
        return 10_000 * self.raters + 10 * self.calls + int(100 * self.rho) * 7 + kind * 3 + int(
            100 * self.missing
        ) * 1_000_000


def call_qualities(rng: np.random.Generator, calls: int, rho: float) -> np.ndarray:
    """Dimensions × calls, each dimension sd 1, correlated at rho within a call."""
    shared = rng.normal(size=calls)
    own = rng.normal(size=(DIMENSIONS, calls))
    return math.sqrt(rho) * shared[None, :] + math.sqrt(1 - rho) * own


def scores(
    rng: np.random.Generator, calls: int, leniency: np.ndarray, rho: float, missing: float
) -> np.ndarray:
    """Dimensions × raters × calls on 1–5, NaN where a rating is missing."""
    quality = call_qualities(rng, calls, rho)
    noise = rng.normal(0, NOISE_SD, size=(DIMENSIONS, len(leniency), calls))
    values = np.clip(np.rint(3 + quality[:, None, :] + leniency[None, :, None] + noise), 1, 5)
    if missing:
        values[rng.random(values.shape) < missing] = np.nan
    return values


def pooled(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every call × dimension as a unit (raters × units), and each unit's call."""
    calls = values.shape[2]
    return np.concatenate(list(values), axis=1), np.tile(np.arange(calls), len(values))


def alpha_of(matrix: np.ndarray) -> float:
    counts = value_counts(matrix, DOMAIN)
    return alpha_point(counts, DOMAIN, "ordinal", matrix.shape[0]).alpha


def population_alphas(
    cell: Cell, leniency: np.ndarray | None, calls: int = 200_000
) -> dict[str, float]:
    """Dimension and overall alpha of the population, from one very large sample (``calls``
    calls for fixed raters; a tenth as many, each with 60 raters, for random ones)."""
    rng = np.random.default_rng(cell.seed() + 1)
    if leniency is None:  # random raters: many raters, so every pair is two draws
        leniency = rng.normal(0, LENIENCY_SD, size=60)
        calls = calls // 10
    values = scores(rng, calls, leniency, cell.rho, 0.0)
    dimension = float(np.mean([alpha_of(values[d]) for d in range(DIMENSIONS)]))
    return {"dimension": dimension, "overall": alpha_of(pooled(values)[0])}


def raters_left_out(matrix: np.ndarray) -> np.ndarray:
    """Alpha leaving out each rater in turn (NaN where it is undefined)."""
    alphas = [alpha_of(np.delete(matrix, r, axis=0)) for r in range(matrix.shape[0])]
    return np.array([np.nan if a is None else a for a in alphas])


def intervals(
    matrix: np.ndarray, clusters: np.ndarray | None, rng: np.random.Generator, replicates: int
) -> dict[str, tuple[float, float]] | None:
    """Every method's 95% interval for one session's alpha, or None when alpha is undefined."""
    counts = value_counts(matrix, DOMAIN)
    estimate = alpha_point(counts, DOMAIN, "ordinal", matrix.shape[0]).alpha
    if estimate is None:
        return None
    kept_units = counts.sum(axis=1) >= 2
    kept = None if clusters is None else clusters[kept_units]
    resampled = int(len(np.unique(kept))) if kept is not None else int(kept_units.sum())
    indices = resample_indices(resampled, replicates, rng)
    every_alpha = bootstrap_units(counts, DOMAIN, "ordinal", indices, kept)
    alphas = every_alpha[np.isfinite(every_alpha)]
    every_jackknife = jackknife_units(counts, DOMAIN, "ordinal", kept)
    jackknife = every_jackknife[np.isfinite(every_jackknife)]
    if len(alphas) < 10 or len(jackknife) < 3:
        return None
    shipped = summarise_bootstrap(every_alpha, "units", 0.95, estimate, every_jackknife)
    from scipy import stats

    c = len(jackknife)
    t = float(stats.t.ppf(0.975, c - 1))
    boot_se = float(alphas.std(ddof=1))
    result = {
        "percentile": tuple(np.quantile(alphas, (0.025, 0.975))),
        "boot_t": (estimate - t * boot_se, estimate + t * boot_se),
        "jackknife_t": (shipped.low, shipped.high),
    }
    others = other_raters_interval(estimate, every_jackknife, raters_left_out(matrix), 0.95)
    if others is not None:
        result["calls_and_raters"] = others
    for name, z in (("bca", 1.959964), ("expanded_bca", math.sqrt(c / (c - 1)) * t)):
        levels = bca_levels(alphas, estimate, jackknife, z)
        result[name] = tuple(np.quantile(alphas, levels)) if levels else result["percentile"]
    return result


def bca_levels(alphas, estimate, jackknife, z):
    """BCa's quantile levels for a normal quantile z (as qa_app.domain.agreement.alpha)."""
    normal = NormalDist()
    share = ((alphas < estimate).sum() + (alphas <= estimate).sum()) / (2 * len(alphas))
    if not 0 < share < 1:
        return None
    z0 = normal.inv_cdf(share)
    spread = jackknife.mean() - jackknife
    denominator = 6 * (spread**2).sum() ** 1.5
    if denominator == 0:
        return None
    a = float((spread**3).sum() / denominator)
    levels = []
    for t in (-z, z):
        if a * (z0 + t) >= 1:
            return None
        levels.append(normal.cdf(z0 + (z0 + t) / (1 - a * (z0 + t))))
    return levels


def run_cell(
    cell: Cell, sessions: int, replicates: int, population_calls: int = 200_000
) -> dict:
    """Coverage of every method for both targets, over ``sessions`` seeded sessions."""
    rng = np.random.default_rng(cell.seed())
    fixed = rng.normal(0, LENIENCY_SD, size=cell.raters) if cell.raters_kind == "fixed" else None
    truth = population_alphas(cell, fixed, population_calls)
    held = {(target, m): 0 for target in TARGETS for m in METHODS}
    shown = dict.fromkeys(held, 0)  # calls_and_raters is missing where it cannot be had
    for _ in range(sessions):
        leniency = fixed if fixed is not None else rng.normal(0, LENIENCY_SD, size=cell.raters)
        values = scores(rng, cell.calls, leniency, cell.rho, cell.missing)
        matrix, clusters = pooled(values)
        found = {"overall": [intervals(matrix, clusters, rng, replicates)]}
        found["dimension"] = [
            intervals(values[d], None, rng, replicates) for d in range(DIMENSIONS)
        ]
        for target, results in found.items():
            for result in results:
                if result is None:
                    continue
                for method, (low, high) in result.items():
                    held[(target, method)] += low <= truth[target] <= high
                    shown[(target, method)] += 1
    return {
        "cell": cell,
        "truth": truth,
        "coverage": {
            key: count / shown[key] if shown[key] else float("nan") for key, count in held.items()
        },
    }


def grid(
    raters=(3, 5, 10), calls=(10, 20, 40, 100), rhos=(0.0, 0.5, 0.95),
    kinds=("fixed", "random"), missing=(0.0, 0.3),
) -> list[Cell]:
    return [Cell(*values) for values in itertools.product(raters, calls, rhos, kinds, missing)]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=300)
    parser.add_argument("--replicates", type=int, default=400)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--tables", metavar="TSV", help="print the docs' tables from a run")
    args = parser.parse_args(argv)
    if args.tables:
        print(markdown_tables(args.tables))
        return
    from concurrent.futures import ProcessPoolExecutor

    cells = grid()
    with ProcessPoolExecutor(args.workers) as pool:
        runs = list(
            pool.map(run_cell, cells, [args.sessions] * len(cells), [args.replicates] * len(cells))
        )
    write_rows(runs, sys.stdout)


def write_rows(runs: list[dict], out) -> None:
    """One tab-separated row per cell and target: what the docs' tables are made from."""
    print("raters\tcalls\trho\tkind\tmissing\ttarget\ttruth\t" + "\t".join(METHODS), file=out)
    for run in runs:
        c = run["cell"]
        for target in TARGETS:
            figures = "\t".join(f"{run['coverage'][(target, m)]:.3f}" for m in METHODS)
            print(
                f"{c.raters}\t{c.calls}\t{c.rho}\t{c.raters_kind}\t{c.missing}\t{target}\t"
                f"{run['truth'][target]:.3f}\t{figures}",
                file=out,
            )


NAMES = {
    "jackknife_t": "jackknife t (shown)",
    "bca": "BCa (before)",
    "percentile": "percentile",
    "boot_t": "bootstrap SE × t",
    "expanded_bca": "expanded BCa",
    "calls_and_raters": "calls and raters",
}


def markdown_tables(path: str) -> str:
    """Coverage by number of calls, fixed and random raters: the mean over the cells and,
    in brackets, the lowest cell (each cell 300 sessions: about ±1.3 points by chance)."""
    import pandas as pd

    grid = pd.read_csv(path, sep="\t")
    out = []
    for kind in ("fixed", "random"):
        rows = grid[grid["kind"] == kind]
        out.append(f"\n{kind} raters\n")
        out.append("| calls | target | " + " | ".join(NAMES.values()) + " |")
        out.append("|---|---|" + "---|" * len(NAMES))
        for (calls, target), cells in rows.groupby(["calls", "target"]):
            figures = " | ".join(
                f"{100 * cells[m].mean():.1f} ({100 * cells[m].min():.0f})" for m in NAMES
            )
            out.append(f"| {calls} | {target} | {figures} |")
    return "\n".join(out)


if __name__ == "__main__":
    main()
