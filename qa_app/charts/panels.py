"""The Outcomes over time chart (matplotlib, SVG): coefficient by lag with its 95% interval,
one panel per outcome side by side, near-term lags (up to 3 months) shaded apart from the
long-term ones. Plain function: report dicts in, SVG bytes out."""

from __future__ import annotations

import io
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)

NEAR_TERM = 3  # months: lags up to this are "near term"
UNITS = {
    "nps": "NPS points",
    "renewal": "renewal probability",
    "spend": "spend (money)",
    "churn": "churn probability",
}


def lag_chart(reports: Sequence[dict]) -> bytes:
    """One panel per outcome report: each lag's coefficient and interval; a lag that could
    not be estimated is marked "n/a" on the zero line."""
    count = max(len(reports), 1)
    figure, axes = plt.subplots(1, count, figsize=(3.6 * count + 0.6, 3.4), squeeze=False)
    for axis, report in zip(axes[0], reports, strict=False):
        lags = [item["lag"] for item in report["lags"]]
        positions = range(len(lags))
        near = [p for p, lag in zip(positions, lags, strict=True) if lag <= NEAR_TERM]
        if near:
            axis.axvspan(-0.5, max(near) + 0.5, color="#e8f0fb", zorder=0)
            axis.text(-0.45, 1.0, "near term", transform=axis.get_xaxis_transform(),
                      va="top", fontsize=7, color="#1c3f8a")  # fmt: skip
        if len(near) < len(lags):
            axis.text(len(near) - 0.45, 1.0, "long term", transform=axis.get_xaxis_transform(),
                      va="top", fontsize=7, color="#6b4a00")  # fmt: skip
        axis.axhline(0, color="#555", linewidth=0.8)
        for position, item in zip(positions, report["lags"], strict=True):
            if item["coefficient"] is None:
                axis.text(position, 0, "n/a", ha="center", va="bottom", fontsize=8, color="#b03a2e")
                continue
            low, high = item["ci"]
            colour = "#d08a00" if item["warnings"] else "#1c3f8a"
            axis.errorbar(
                [position], [item["coefficient"]],
                yerr=[[item["coefficient"] - low], [high - item["coefficient"]]],
                fmt="o", capsize=4, color=colour,
            )  # fmt: skip
        axis.set_xticks(list(positions), [f"{lag} mo" for lag in lags], fontsize=8)
        axis.set_xlim(-0.5, len(lags) - 0.5)
        axis.set_title(f"{report['outcome']} (flag: {report['flag']})", fontsize=9)
        axis.set_ylabel(f"change in {UNITS.get(report['outcome'], 'outcome')}", fontsize=8)
        axis.set_xlabel("months after the dose", fontsize=8)
        axis.tick_params(axis="y", labelsize=7)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(figure)
    return buffer.getvalue()
