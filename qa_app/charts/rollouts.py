"""Rollout charts (matplotlib, Agg): the DiD event study and the synthetic control's gap.

Report dicts in (the JSON of ``qa-app rollout evaluate``), image bytes out: PNG for the CLI's
``--chart``, SVG for the Rollouts page (shown as a data: URL, never parsed as HTML).
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)

ESTIMATE = "#1c3f8a"
SYNTHETIC = "#d08a00"
GUIDE = "#555555"


def _save(figure, fmt: str) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format=fmt, bbox_inches="tight")
    plt.close(figure)
    return buffer.getvalue()


def event_study_png(report: dict, fmt: str = "png") -> bytes | None:
    """Estimates with 95% intervals by period since adoption; a line at 0 and one just before
    adoption (the leads left of it should sit on zero if trends were parallel)."""
    rows = [r for r in report.get("event_study") or [] if r.get("estimate") is not None]
    if not rows:
        return None
    periods = [r["relative_period"] for r in rows]
    estimates = [r["estimate"] for r in rows]
    lower = [r["estimate"] - r["ci"][0] if r["ci"][0] is not None else 0 for r in rows]
    upper = [r["ci"][1] - r["estimate"] if r["ci"][1] is not None else 0 for r in rows]
    colours = [GUIDE if p < 0 else ESTIMATE for p in periods]
    figure, axes = plt.subplots(figsize=(8, 4))
    for period, estimate, low, high, colour in zip(
        periods, estimates, lower, upper, colours, strict=True
    ):
        axes.errorbar(period, estimate, yerr=[[low], [high]], fmt="o", color=colour, capsize=3)
    axes.axhline(0, color=GUIDE, linewidth=1)
    axes.axvline(-0.5, color=GUIDE, linestyle=":", linewidth=1)
    axes.text(-0.45, axes.get_ylim()[1], " adoption", fontsize=7, color=GUIDE, va="top")
    axes.set_xlabel("periods since adoption (grey: before adoption)")
    axes.set_ylabel("effect estimate (95% interval)")
    p_value = report.get("pretrend_p_value")
    title = "Event study (Callaway–Sant'Anna)"
    if p_value is not None:
        title += f"; pre-trend test p = {p_value:.2g}"
    axes.set_title(title, fontsize=9)
    axes.grid(alpha=0.3)
    return _save(figure, fmt)


def gap_png(report: dict, fmt: str = "png") -> bytes | None:
    """Treated unit vs its synthetic control (top) and the gap between them (bottom)."""
    rows = _gap_rows(report.get("gap"))
    if not rows:
        return None
    times = [r[0] for r in rows]
    figure, (top, bottom) = plt.subplots(2, 1, figsize=(8, 6), sharex=True)
    if all(r[1] is not None and r[2] is not None for r in rows):
        top.plot(times, [r[1] for r in rows], color=ESTIMATE, label="adopting unit")
        top.plot(times, [r[2] for r in rows], color=SYNTHETIC, linestyle="--", label="synthetic")
        top.legend(fontsize=8)
    top.set_ylabel("outcome")
    top.grid(alpha=0.3)
    bottom.plot(times, [r[3] for r in rows], color=ESTIMATE)
    bottom.axhline(0, color=GUIDE, linewidth=1)
    bottom.set_ylabel("gap (adopting − synthetic)")
    bottom.set_xlabel("period")
    bottom.grid(alpha=0.3)
    start = report.get("treatment_start")
    if start is not None:
        for axes in (top, bottom):
            axes.axvline(start, color=GUIDE, linestyle=":", linewidth=1)
    return _save(figure, fmt)


def _gap_rows(gap) -> list[tuple]:
    """(time, treated, synthetic, gap) from the synth report's gap: a list of dicts or a
    {time: gap} mapping."""
    if isinstance(gap, dict):
        return [(t, None, None, v) for t, v in gap.items() if v is not None]
    rows = []
    for row in gap or []:
        if not isinstance(row, dict):
            continue
        time = row.get("time", row.get("period"))
        value = row.get("gap")
        if time is None or value is None:
            continue
        rows.append((time, row.get("treated"), row.get("synthetic"), value))
    return rows

