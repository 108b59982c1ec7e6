"""Server-rendered charts (matplotlib, PNG) for the calibration dashboard.

Plain functions: numbers in, PNG bytes out. Charts use the non-interactive Agg backend,
so they render on a server without a screen.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)
import numpy as np  # noqa: E402

from qa_app.domain.agreement.alpha import RELIABLE, TENTATIVE  # noqa: E402
from qa_app.domain.calibration.sessions import SessionRating  # noqa: E402
from qa_app.domain.rubrics.definitions import Rubric  # noqa: E402

HEATMAP_COLOURS = "cividis"
GROUP_COLOURS = {"everyone": "#1c3f8a", "qa": "#d08a00", "panel": "#2a8a4a"}


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(figure)
    return buffer.getvalue()


def alpha_chart(agreement: Mapping, rubric: Rubric) -> bytes:
    """Alpha per dimension and group with its bootstrap interval, against 0.667 and 0.800."""
    names = [d.id for d in rubric.dimensions] + ["overall"]
    labels = [d.name for d in rubric.dimensions] + ["Overall"]
    figure, axes = plt.subplots(figsize=(8, 3.6))
    groups = [(g, r) for g, r in agreement.items() if r is not None]
    width = 0.8 / max(len(groups), 1)
    for index, (group, report) in enumerate(groups):
        results = {**report.dimensions, "overall": report.overall}
        xs, ys, low, high = [], [], [], []
        for position, name in enumerate(names):
            result = results.get(name)
            if result is None or result.alpha is None:
                continue
            xs.append(position + (index - (len(groups) - 1) / 2) * width)
            ys.append(result.alpha)
            interval = result.interval
            # A percentile interval (the fallback) may lie wholly on one side of the estimate;
            # matplotlib refuses negative error bars, so that side's bar is drawn as zero length.
            low.append(max(0.0, result.alpha - interval.low) if interval else 0)
            high.append(max(0.0, interval.high - result.alpha) if interval else 0)
        axes.errorbar(
            xs,
            ys,
            yerr=[low, high],
            fmt="o",
            capsize=3,
            label=group,
            color=GROUP_COLOURS.get(group, "grey"),
        )
    axes.axhline(RELIABLE, color="#2a8a4a", linestyle="--", linewidth=1)
    axes.axhline(TENTATIVE, color="#b03a2e", linestyle="--", linewidth=1)
    axes.text(-0.45, RELIABLE, "reliable 0.800", va="bottom", fontsize=7, color="#2a8a4a")
    axes.text(-0.45, TENTATIVE, "tentative 0.667", va="bottom", fontsize=7, color="#b03a2e")
    axes.set_xticks(range(len(names)), labels, fontsize=8)
    axes.set_ylim(min(-0.1, axes.get_ylim()[0]), 1.05)
    axes.set_ylabel("Krippendorff's alpha (95% interval)")
    axes.set_xlim(-0.5, len(names) - 0.5)
    axes.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1), title="raters")
    return _png(figure)


def heatmap(
    ratings: Sequence[SessionRating], rubric: Rubric, dimension: str | None = None
) -> bytes:
    """Raters × calls, coloured by score (mean over dimensions unless one is named)."""
    raters = sorted({r.participant for r in ratings})
    calls = sorted({r.call_id for r in ratings})
    grid = np.full((len(raters), len(calls)), np.nan)
    sums: dict[tuple[int, int], list[int]] = {}
    for r in ratings:
        if r.score is None or (dimension and r.dimension != dimension):
            continue
        sums.setdefault((raters.index(r.participant), calls.index(r.call_id)), []).append(r.score)
    for (i, j), values in sums.items():
        grid[i, j] = sum(values) / len(values)
    figure, axes = plt.subplots(
        figsize=(max(4, 0.6 * len(calls) + 2), max(2, 0.4 * len(raters) + 1))
    )
    # cividis: readable with every common colour-vision deficiency (Nuñez et al. 2018), where
    # red-green told low from high by hue alone.
    image = axes.imshow(
        grid, cmap=HEATMAP_COLOURS, vmin=rubric.scale_min, vmax=rubric.scale_max, aspect="auto"
    )
    axes.set_xticks(range(len(calls)), calls, rotation=45, ha="right", fontsize=8)
    axes.set_yticks(range(len(raters)), raters, fontsize=8)
    middle = (rubric.scale_min + rubric.scale_max) / 2
    for i, j in sums:
        # White on the dark (low) half of the scale, black on the light half.
        colour = "white" if grid[i, j] < middle else "black"
        axes.text(j, i, f"{grid[i, j]:.1f}", ha="center", va="center", fontsize=7, color=colour)
    figure.colorbar(image, ax=axes, label="mean score" if not dimension else "score")
    return _png(figure)
