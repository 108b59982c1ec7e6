"""Agreement reports as a plain-text table and as CSV rows."""

from __future__ import annotations

from qa_app.domain.agreement.report import AgreementReport, DimensionResult
from qa_app.domain.files.spreadsheet_safety import protect_formula

CSV_COLUMNS = (
    "dimension",
    "alpha",
    "reason",
    "ci_low",
    "ci_high",
    "ci_warning",
    "ci_other_raters_low",
    "ci_other_raters_high",
    "undefined_replicates",
    "q_below_0.800",
    "q_below_0.667",
    "units",
    "pairable_units",
    "pairable_values",
    "raters",
    "not_applicable",
    "observed_disagreement",
    "expected_disagreement",
    "percent_agreement",
    "within_one_agreement",
    "ac2",
    "category_set",
)
UNITS_SHOWN = 10


def _number(value: float | None, digits: int = 3) -> str:
    # Rounded first, so float noise (−4.4e-17) prints as 0.000, not −0.000.
    return "—" if value is None else f"{round(value, digits) + 0.0:.{digits}f}"


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def csv_rows(report: AgreementReport) -> list[dict]:
    """One row per dimension and one for overall, with the summary statistics."""
    rows = []
    for result in [*report.dimensions.values(), report.overall]:
        data = result.as_dict()
        ci = data["ci"] or [None, None]
        other = data["ci_other_raters"] or [None, None]
        q = data["q_below"] or {}
        rows.append(
            {
                **{k: data[k] for k in CSV_COLUMNS if k in data},
                "dimension": protect_formula(result.name),
                "category_set": report.category_set,
                "reason": data["reason"],
                "ci_low": ci[0],
                "ci_high": ci[1],
                "ci_other_raters_low": other[0],
                "ci_other_raters_high": other[1],
                "q_below_0.800": q.get("0.800"),
                "q_below_0.667": q.get("0.667"),
            }
        )
    return rows


def _summary_line(result: DimensionResult) -> str:
    interval = result.interval
    ci = f"[{interval.low:.3f}, {interval.high:.3f}]" if interval else "—"
    q = _number(interval.q_below["0.667"]) if interval else "—"
    return (
        f"{result.name:<18} {_number(result.alpha):>7} {ci:>17} {q:>7} {_number(result.ac2):>7}"
        f" {_percent(result.percent_agreement):>7} {_percent(result.within_one_agreement):>7}"
        f" {result.units:>6} {result.pairable_units:>8} {result.raters:>6}"
    )


def format_table(report: AgreementReport, units_shown: int | None = UNITS_SHOWN) -> str:
    """A readable report: the summary per dimension, then raters and the calls to discuss
    (the first ``units_shown`` of them; None: every unit)."""
    results = [*report.dimensions.values(), report.overall]
    lines = [
        f"Krippendorff's alpha ({report.level}); categories: {report.category_set}",
        f"{'dimension':<18} {'alpha':>7} {'95% interval':>17} {'q<.667':>7} {'AC2':>7}"
        f" {'exact':>7} {'±1':>7} {'units':>6} {'pairable':>8} {'raters':>6}",
    ]
    lines += [_summary_line(r) for r in results]
    for result in results:
        if result.reason:
            lines.append(f"  {result.name}: alpha undefined — {result.reason}")
    for result in results:
        if result.interval and result.interval.warning:
            lines.append(f"  {result.name}: interval — {result.interval.warning}")
    kinds = {r.interval.kind for r in results if r.interval and r.interval.method == "units"}
    if kinds:
        lines.append(
            f"  Intervals: {' or '.join(sorted(kinds))}, over calls (overall leaves out and "
            "resamples whole calls with all their dimensions), for these raters."
        )
        others = [
            f"{r.name} [{r.interval.other_raters[0]:.3f}, {r.interval.other_raters[1]:.3f}]"
            for r in results
            if r.interval and r.interval.other_raters
        ]
        if others:
            lines.append(
                "  For raters like these, not only these (calls and raters left out in turn): "
                + "; ".join(others)
                + "."
            )
    overall = report.overall
    if overall.rater_diagnostics:
        lines += [
            "",
            "Raters (overall): mean, bias against the others, alpha without them",
            f"{'rater':<24} {'scored':>6} {'mean':>6} {'bias':>7} {'alpha w/o':>9} {'effect':>7}",
        ]
        ranked = sorted(
            overall.rater_diagnostics,
            key=lambda r: (
                -(r.effect_of_removing if r.effect_of_removing is not None else float("-inf"))
            ),
        )
        for rater in ranked:
            lines.append(
                f"{rater.rater[:24]:<24} {rater.scored:>6} {_number(rater.mean, 2):>6}"
                f" {_number(rater.bias, 2):>7} {_number(rater.alpha_without):>9}"
                f" {_number(rater.effect_of_removing):>7}"
            )
        lines.append("  effect > 0: agreement rises without this rater.")
    for result in report.dimensions.values():
        if not result.unit_diagnostics:
            continue
        lines += ["", f"Discuss first ({result.name}): units ranked by disagreement"]
        for unit in result.unit_diagnostics[:units_shown]:
            values = " ".join(f"{v:g}" for v in unit.values)
            lines.append(f"  {unit.unit[:30]:<30} {unit.disagreement:6.2f}   scores: {values}")
    return "\n".join(lines)
