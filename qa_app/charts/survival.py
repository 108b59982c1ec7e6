"""The Survival page's chart: Kaplan–Meier curves with 95% bands, as SVG (matplotlib, Agg).

Numbers in, SVG text out; the page shows it as an image (a data: URL), so nothing in it is
ever parsed as the page's HTML.
"""

from __future__ import annotations

import io
from collections.abc import Mapping

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)

COLOURS = {"with": "#1c3f8a", "without": "#d08a00"}
# The page scales the SVG to the content width (about 1000-1200 px on a laptop). The figure
# fills its 10 inches (720 pt; constrained layout), so at 1000 px wide its 10 pt ticks and
# legend show at about 14 px and the 11 pt axis labels at about 15 px.
FIGSIZE = (10, 4.5)
FONT_PT = 10
LABEL_PT = 11


def km_chart_svg(curves: Mapping[str, Mapping[str, list[float]]], horizon: float, flag: str) -> str:
    """Step curves of survival per group with their confidence bands, up to past the horizon."""
    figure, axes = plt.subplots(figsize=FIGSIZE, layout="constrained")
    for group, curve in curves.items():
        colour = COLOURS.get(group, "grey")
        label = f"{group} {flag}"
        axes.step(curve["days"], curve["survival"], where="post", color=colour, label=label)
        axes.fill_between(
            curve["days"], curve["low"], curve["high"], step="post", color=colour, alpha=0.15
        )
    axes.axvline(horizon, color="#555555", linestyle=":", linewidth=1)
    axes.text(horizon, 0.02, f" horizon {horizon:g} d", fontsize=FONT_PT, color="#555555")
    axes.set_ylim(0, 1.02)
    axes.set_xlim(left=0)
    axes.set_xlabel(
        "days since the customer's first reviewed call in the window", fontsize=LABEL_PT
    )
    axes.set_ylabel("share of customers still active", fontsize=LABEL_PT)
    axes.tick_params(labelsize=FONT_PT)
    axes.legend(fontsize=FONT_PT, loc="lower left")
    axes.grid(alpha=0.3)
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight")
    plt.close(figure)
    return buffer.getvalue()

