"""The Rollouts page: was a phased rollout (never randomised) followed by a lift?

Reads the rollout file (uploaded, or pasted as CSV), the metric and the method; builds the
panel with qa_app.store.rollouts and evaluates it with qa_app.domain.rollouts.evaluation, as
``qa-app rollout evaluate`` does; renders the report with its chart. The form is a POST
because it carries a file; it changes nothing stored.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from flask import Blueprint, current_app, render_template, request

from qa_app.models import Role
from qa_app.web.auth import roles_required
from qa_app.web.database import get_session
from qa_app.web.requests import form_int, wants_fragment

bp = Blueprint("rollouts", __name__, url_prefix="/rollouts")
READERS = (Role.COACH, Role.LEAD, Role.ADMIN)
MAX_FILE_BYTES = 1_000_000
MAX_FILE_CHARS = 1_000_000  # pasted text
SUFFIXES = (".csv", ".xlsx", ".jsonl")
EXAMPLE = "queue,adopted_on\nBilling,2025-06-02\nRetention,2025-08-04\n"


def _metrics() -> list:
    from qa_app.store.metrics import available_metrics

    return available_metrics(get_session())


def _page(chosen: dict, problems=None, report=None, chart=None, status: int = 200):
    template = "rollouts/_report.html" if wants_fragment() else "rollouts/index.html"
    return render_template(
        template,
        chosen=chosen,
        problems=problems or [],
        report=report,
        chart=chart,
        metrics=_metrics(),
        example=EXAMPLE,
    ), status


@bp.get("")
@roles_required(*READERS)
def index():
    chosen = {"text": EXAMPLE, "metric": "", "method": "did", "period": "month",
              "control": "never", "window": "", "unit_kind": ""}  # fmt: skip
    return _page(chosen)


def _form() -> tuple[dict, list[str], int]:
    """The form's choices, the problems with them and the status to refuse them with."""
    form = request.form
    chosen = {name: (form.get(name) or "").strip()[:200] for name in
              ("metric", "method", "period", "control", "window", "unit_kind")}  # fmt: skip
    chosen["text"] = form.get("content", "")
    problems = []
    if len(chosen["text"]) > MAX_FILE_CHARS:
        # Refused, not cut: a cut would drop rows silently. The text is not echoed back.
        size = len(chosen["text"])
        chosen["text"] = ""
        problems.append(
            f"pasted text: {size:,} characters, over the limit of {MAX_FILE_CHARS:,}; "
            "split the rollout file or paste only its rows"
        )
        return chosen, problems, 413
    choices = {"method": ("did", "synth"), "period": ("week", "month"),
               "control": ("never", "notyet"), "unit_kind": ("", "queue", "team")}  # fmt: skip
    for name, allowed in choices.items():
        if chosen[name] not in allowed:
            problems.append(f"{name}: '{chosen[name][:40]}' is not one of {', '.join(allowed)}")
    if chosen["window"]:
        window = form_int(chosen["window"], None)
        if window is None or not 1 <= window <= 520:
            problems.append("window: a whole number of periods from 1 to 520")
    if not chosen["metric"]:
        problems.append("metric: choose one")
    return chosen, problems, 422


def _rollout_file(chosen: dict, folder: Path) -> tuple[Path | None, list[str]]:
    """The uploaded file (when one is chosen) or the pasted text, saved where the reader can
    open it by name (its extension says its format)."""
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        suffix = Path(upload.filename).suffix.lower()
        if suffix not in SUFFIXES:
            return None, [f"{upload.filename}: use a .csv, .xlsx or .jsonl file"]
        data = upload.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            return None, [f"{upload.filename}: the file is over {MAX_FILE_BYTES:,} bytes"]
        path = folder / f"rollout{suffix}"
        path.write_bytes(data)
        return path, []
    if not chosen["text"].strip():
        return None, ["rollout file: upload one or paste its rows"]
    path = folder / "rollout.csv"
    path.write_text(chosen["text"], encoding="utf-8")
    return path, []


@bp.post("")
@roles_required(*READERS)
def evaluate():
    """Evaluate the rollout; every problem is shown beside the form, nothing is stored."""
    from qa_app.charts import svg_data_url as data_url
    from qa_app.charts.rollouts import event_study_png, gap_png
    from qa_app.domain.metrics import parse_metric
    from qa_app.domain.rollouts.did import DidError
    from qa_app.domain.rollouts.evaluation import evaluate_panel
    from qa_app.domain.rollouts.files import RolloutFileError, read_rollout_file
    from qa_app.store.flags.rows import ExportError
    from qa_app.store.metrics import MetricError
    from qa_app.store.rollouts import rollout_panel

    chosen, problems, status = _form()
    if problems:
        return _page(chosen, problems, status=status)
    with tempfile.TemporaryDirectory() as folder:
        path, problems = _rollout_file(chosen, Path(folder))
        if problems:
            return _page(chosen, problems, status=422)
        try:
            spec = parse_metric(chosen["metric"])
            rollout = read_rollout_file(path, chosen["unit_kind"] or None)
        except RolloutFileError as exc:
            return _page(chosen, exc.problems, status=422)
        except ValueError as exc:
            return _page(chosen, [str(exc)], status=422)
    try:
        built = rollout_panel(
            get_session(),
            rollout,
            spec,
            period=chosen["period"],
            window=form_int(chosen["window"], None) if chosen["window"] else None,
            default_rubric_id=current_app.config["RUBRIC_ID"],
        )
        report = evaluate_panel(
            built.frame,
            ("unit", "period", "value", "first_treated"),
            method=chosen["method"],
            control=chosen["control"],
            window=built.window,
            period_labels=built.labels,
        )
    except (MetricError, ExportError, DidError) as exc:
        return _page(chosen, [str(exc)], status=422)
    report["rate"] = built.rate
    report["warnings"] = [
        f"metric: {spec.label}, mean per {rollout.kind} and {chosen['period']}",
        *built.notes,
        *report.get("warnings", []),
    ]
    png = gap_png if report.get("method") == "synth" else event_study_png
    svg = png(report, fmt="svg")
    return _page(chosen, report=report, chart=data_url(svg) if svg else None)
