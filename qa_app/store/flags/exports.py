"""Running a flag export (XLSX or CSV) and outcome comparisons, for the CLI and the coach page."""

from __future__ import annotations

import io
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from qa_app.domain.agreement import compute_agreement
from qa_app.domain.calibration.sessions import engine_ratings
from qa_app.domain.comparison_statistics import ASSOCIATION_LABEL, INTERVAL_METHODS
from qa_app.domain.flags.comparison import Comparison
from qa_app.domain.flags.comparison_sheet import add_comparison_sheets
from qa_app.domain.flags.export import flag_columns, write_csv, write_xlsx
from qa_app.store.calibration.results import revealed_sessions, session_ratings
from qa_app.store.flags.rows import (
    ExportError,
    ExportPlan,
    comparison_row,
    iter_flag_rows,
    plan_export,
)
from qa_app.store.reviews.queue import CallFilters
from qa_app.store.sampling.weights import NONE, Weighting

FORMATS = ("xlsx", "csv")


@dataclass
class ExportSummary:
    rows: int
    rubric_key: str
    comparison_outcome: str | None


def default_outcome(outcomes: list[tuple[str, str]]) -> str | None:
    """The outcome the Comparison sheet reads: saved if imported, else the first boolean one."""
    names = [n for n, _k in outcomes]
    if "saved" in names:
        return "saved"
    booleans = [n for n, k in outcomes if k == "boolean"]
    return booleans[0] if booleans else (names[0] if names else None)


def about_lines(
    filters: CallFilters,
    rubric_key: str,
    outcome: str | None,
    sessions: list[tuple[str, str]] | None = None,
    weighting: Weighting | None = None,
) -> list[tuple]:
    lines = [
        ("generated at (UTC)", datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")),
        ("rubric", rubric_key),
    ]
    lines += [(f"filter: {name}", value) for name, value in filters.as_args().items()]
    if not filters.as_args():
        lines.append(("filters", "none: every reviewed call"))
    lines += [
        ("weighting", (weighting or Weighting(NONE)).description),
        (
            "final scores",
            "consensus where one exists, else the submitted review, else the "
            "median of several reviews",
        ),
        ("comparison outcome", outcome or "no outcomes imported"),
        # Machine scores enter a figure only where a report names them (qa-app flags
        # summary --machine, the Mix page's "with the machine" columns), never here.
        ("machine rater", "not used: every figure in this workbook is from people's reviews"),
    ]
    if sessions:
        lines += [(f"calibration: {name}", summary) for name, summary in sessions]
    else:
        lines.append(("calibration agreement", "no revealed calibration sessions in the period"))
    return lines


def session_agreement(
    db: Session, filters: CallFilters, rubric_pk: int, scale: Sequence[int] | None = None
) -> list[tuple[str, str]]:
    """Overall alpha and AC2 of each revealed session under this rubric version revealed in
    the period.

    ``scale``: the rubric version's points. The session dashboard counts AC2's categories
    over the whole scale; without it AC2 here would count only the values seen and differ
    from the dashboard's on the same ratings, so the line names its category set too.
    """
    summaries = []
    for session in revealed_sessions(db, rubric_pk, filters.since, filters.until):
        ratings = engine_ratings(session_ratings(db, session.id))
        report = compute_agreement(ratings, "ordinal", scale=scale) if ratings else None
        overall = report.overall if report else None
        if overall is None or overall.alpha is None:
            text = overall.reason if overall else "no ratings"
        else:
            ac2 = "n/a" if overall.ac2 is None else f"{overall.ac2:.3f}"
            text = (
                f"alpha {overall.alpha:.3f} (ordinal, {overall.raters} raters, "
                f"{overall.units} call-dimensions); AC2 {ac2} over {report.category_set}"
            )
        summaries.append((session.name, text))
    return summaries


def export_flags(
    engine: Engine,
    filters: CallFilters,
    file_format: str,
    target,
    rubric_key: str | None = None,
    default_rubric_id: str = "empathy",
    outcome: str | None = None,
    progress_factory: Callable[[int], object] | None = None,
) -> ExportSummary:
    """Write the flag spreadsheet to ``target`` (a path or binary stream; text stream for CSV).

    Raises :class:`ExportError` for a rubric that cannot be chosen or an unknown outcome.
    """
    if file_format not in FORMATS:
        raise ExportError(f"unknown format '{file_format}'; use xlsx or csv")
    with Session(engine, expire_on_commit=False) as db:
        plan = plan_export(db, filters, rubric_key, default_rubric_id)
        names = [n for n, _k in plan.outcomes]
        if outcome is not None and outcome not in names:
            raise ExportError(
                f"unknown outcome '{outcome}'; imported: {', '.join(names) or 'none'}"
            )
        outcome = outcome or default_outcome(plan.outcomes)
        columns = flag_columns(plan.rubric, plan.outcomes, plan.survey_items)
        progress = progress_factory(plan.row_count) if progress_factory else None
        rows = iter_flag_rows(db, filters, plan)
        step = progress.update if progress else None
        try:
            if file_format == "csv":
                count = write_csv(target, columns, rows, step)
                return ExportSummary(count, plan.rubric_row.key, None)
            flags = [f.name for f in plan.rubric.flags]
            comparison = Comparison(
                flags,
                value_is=_value_is(plan, outcome),
                stratum_sizes=plan.weighting.stratum_sizes,
            )
            weighted = plan.weighting.mode != NONE

            def counted(source):
                for row in source:
                    if outcome:
                        comparison.add(comparison_row(row, outcome, flags, weighted))
                    yield row

            def add_sheet(workbook):
                if outcome:
                    report = comparison_report(plan, filters, outcome, comparison, weighted)
                    add_comparison_sheets(workbook, report)

            count = write_xlsx(
                target,
                columns,
                counted(rows),
                about_lines(
                    filters,
                    plan.rubric_row.key,
                    outcome,
                    session_agreement(db, filters, plan.rubric_row.id, list(plan.rubric.scale)),
                    plan.weighting,
                ),
                plan.rubric,
                add_sheet,
                step,
            )
        finally:
            if progress:
                progress.close()
    return ExportSummary(count, plan.rubric_row.key, outcome)


def compare_outcomes(
    engine: Engine,
    filters: CallFilters,
    outcome: str,
    flags: list[str] | None = None,
    by: str = "save_script",
    rubric_key: str | None = None,
    default_rubric_id: str = "empathy",
) -> dict:
    """The comparison report (JSON shape in docs/coaches.md) for one outcome."""
    with Session(engine) as db:
        plan = plan_export(db, filters, rubric_key, default_rubric_id)
        names = [n for n, _k in plan.outcomes]
        if outcome not in names:
            raise ExportError(
                f"unknown outcome '{outcome}'; imported: {', '.join(names) or 'none'}"
            )
        known = [f.name for f in plan.rubric.flags]
        unknown = [f for f in (flags or []) if f not in known]
        if unknown:
            raise ExportError(
                f"unknown flag(s) {', '.join(unknown)}; {plan.rubric_row.key} has "
                f"{', '.join(known)}"
            )
        chosen = flags or known
        weighted = plan.weighting.mode != NONE
        comparison = Comparison(
            chosen, by, _value_is(plan, outcome), stratum_sizes=plan.weighting.stratum_sizes
        )
        for row in iter_flag_rows(db, filters, plan):
            comparison.add(comparison_row(row, outcome, chosen, weighted))
    return comparison_report(plan, filters, outcome, comparison, weighted)


def _value_is(plan: ExportPlan, outcome: str | None) -> str:
    return "rate" if outcome and dict(plan.outcomes).get(outcome) == "boolean" else "mean"


def comparison_report(
    plan: ExportPlan, filters: CallFilters, outcome: str, comparison: Comparison, weighted: bool
) -> dict:
    """The comparison's JSON shape (docs/coaches.md), shared by the CLI, the coach page and the
    sheet."""
    kind = dict(plan.outcomes)[outcome]
    value_is = _value_is(plan, outcome)
    return {
        "outcome": outcome,
        "outcome_kind": kind,
        "value_is": value_is,
        # Observational data: every difference below is an association, never an effect.
        "estimand": "association",
        "association_note": ASSOCIATION_LABEL,
        "methods": INTERVAL_METHODS[value_is],
        "weighting": plan.weighting.mode,
        "weighting_note": plan.weighting.description,
        "rubric": plan.rubric_row.key,
        "by": comparison.by,
        "filters": filters.as_args(),
        "groups": comparison.groups(),
        "equity": comparison.equity(),
    }


def export_bytes(
    engine: Engine, filters: CallFilters, file_format: str, **options
) -> tuple[bytes, ExportSummary]:
    """The export as bytes (for the web's background jobs, which keep files in the database).

    The file is built in a temporary file and read once, so memory holds one copy of it.
    """
    with tempfile.TemporaryFile() as spool:
        if file_format == "csv":
            text = io.TextIOWrapper(spool, encoding="utf-8", newline="")
            summary = export_flags(engine, filters, "csv", text, **options)
            text.flush()
            text.detach()
        else:
            summary = export_flags(engine, filters, "xlsx", spool, **options)
        spool.seek(0)
        return spool.read(), summary
