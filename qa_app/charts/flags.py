"""The Coaching page's chart (matplotlib, Agg): per save script and flag, the standardised
difference in the outcome between calls with and without the flag, with its 95% interval.
Rows too small to read are drawn hollow and grey and labelled so, not left out."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)

ESTIMATE = "#1c3f8a"
SMALL = "#6b6b6b"
GUIDE = "#555555"


def difference_chart_svg(groups: Sequence[Mapping], percent: bool) -> bytes | None:
    """Dot-and-interval rows (top to bottom in the table's order); None with nothing to draw."""
    rows = [g for g in groups if g.get("standardized_difference") is not None]
    if not rows:
        return None
    scale = 100.0 if percent else 1.0
    figure, axes = plt.subplots(figsize=(9, 0.42 * len(rows) + 1.3))
    labels = []
    for position, group in enumerate(reversed(rows)):
        estimate = group["standardized_difference"] * scale
        ci = group.get("standardized_ci") or [None, None]
        small = bool(group.get("too_small"))
        colour = SMALL if small else ESTIMATE
        if ci[0] is not None and ci[1] is not None:
            axes.plot([ci[0] * scale, ci[1] * scale], [position, position], color=colour, lw=2)
        axes.plot(estimate, position, "o", color=colour, markersize=7,
                  markerfacecolor="white" if small else colour)  # fmt: skip
        labels.append(
            f"{group['save_script']} · {group['flag']}" + ("  (⚠ too few calls)" if small else "")
        )
    axes.axvline(0, color=GUIDE, linewidth=1)
    axes.set_yticks(range(len(rows)), labels, fontsize=11)
    axes.tick_params(axis="x", labelsize=11)
    unit = "percentage points" if percent else "outcome units"
    axes.set_xlabel(f"with the flag minus without, standardised to the mix ({unit}, 95% interval)",
                    fontsize=11)  # fmt: skip
    axes.grid(axis="x", alpha=0.3)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight")
    plt.close(figure)
    return buffer.getvalue()

