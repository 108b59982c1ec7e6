"""The Outcomes over time page: how long a behaviour takes to show in NPS, renewals, spend and
churn — the lagged panel model (qa_app.domain.panels.model) per outcome and lag, one chart,
the table of figures, and the analysis plan with its time and amendments when one is used.

Read-only (GET): plans are stored and amended from the command line, where the reason for
an amendment is required. The results are one partial, served alone to htmx requests.

A first visit (no choices in the address) gets the form at once, filled with the default
choices, and the results as a placeholder that asks htmx for them on load (a plain link for
no-JS browsers): the fits take a few seconds. The default lags are the usual ones capped at the
deepest lag the data support (qa_app.domain.panels.depth), counted without fitting anything.
"""

from __future__ import annotations

import base64

from flask import Blueprint, current_app, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from qa_app.domain.dates import DayError, parse_day
from qa_app.domain.panels.plan import DOSES, OUTCOMES, parse_lags
from qa_app.models import Role
from qa_app.web.auth import roles_required
from qa_app.web.database import get_session
from qa_app.web.requests import wants_fragment

bp = Blueprint("outcomes_over_time", __name__)
READERS = (Role.COACH, Role.LEAD, Role.ADMIN)
DEFAULTS = {"outcomes": ["nps", "renewal"], "flag": "acknowledged", "dose": "share"}


def _defaults() -> tuple[dict, str | None]:
    """The choices a first visit starts with, and a note saying which lags are used and why
    when the data do not reach the usual ones. The rubric's first flag stands in when it has
    no "acknowledged"; a flag the panel cannot read keeps the usual lags (its error is shown
    with the results)."""
    from qa_app.domain.panels.depth import USUAL_LAGS, lag_depth
    from qa_app.store.panels.queries import PanelQueryError, load_panel_data, rubric_flags

    db, rubric_id = get_session(), current_app.config["RUBRIC_ID"]
    flags = rubric_flags(db, rubric_id)
    flag = DEFAULTS["flag"] if DEFAULTS["flag"] in flags or not flags else flags[0]
    choices = {**DEFAULTS, "flag": flag, "lags": ",".join(map(str, USUAL_LAGS))}
    try:
        data = load_panel_data(db, flag, rubric_id)
    except PanelQueryError:
        return choices, None
    depth = lag_depth(data.customers, data.events, data.calls, choices["outcomes"],
                      USUAL_LAGS, choices["dose"])  # fmt: skip
    choices["lags"] = ",".join(map(str, depth.lags))
    return choices, depth.note


def _query(choices: dict) -> MultiDict:
    """The choices as the form's query string (what the placeholder asks for)."""
    return MultiDict(
        [("outcome", o) for o in choices["outcomes"]]
        + [(k, choices[k]) for k in ("flag", "lags", "dose")]
    )


def _form(args) -> tuple[dict, object | None, list[str]]:
    """The form as typed, the request it makes (None when nothing was asked), and problems."""
    from qa_app.store.panels.queries import PanelRequest

    asked = any(args.get(k) for k in ("outcome", "flag", "lags", "plan"))
    if not asked:
        return {}, None, []
    outcomes = [o.strip() for o in args.getlist("outcome") if o.strip()]
    form = {
        "outcomes": outcomes,
        "flag": (args.get("flag") or "").strip()[:100],
        "lags": (args.get("lags") or "").strip()[:100],
        "plan": (args.get("plan") or "").strip()[:100],
        "as_of": (args.get("as_of") or "").strip()[:40],
        "dose": (args.get("dose") or "share").strip()[:20],
    }
    problems = [f"outcome: '{o[:40]}' is not one of {', '.join(OUTCOMES)}"
                for o in outcomes if o not in OUTCOMES]  # fmt: skip
    as_of = None
    if form["as_of"]:
        try:
            as_of = parse_day(form["as_of"], "as of")
        except DayError as exc:
            problems.append(str(exc))
    if form["dose"] not in DOSES:
        problems.append(f"dose: choose one of {', '.join(DOSES)}")
    lags: list[int] = []
    if not form["plan"]:
        if not outcomes:
            problems.append("outcome: choose at least one outcome")
        if not form["flag"]:
            problems.append("flag: choose the flag whose dose is the exposure")
        try:
            lags = parse_lags(form["lags"])
        except ValueError as exc:
            problems.append(f"lags: {exc}")
    if problems:
        return form, None, problems
    return form, PanelRequest(
        [o for o in outcomes if o in OUTCOMES], None if form["plan"] else form["flag"], lags,
        as_of, form["dose"], form["plan"] or None,
    ), []  # fmt: skip


def _results(panel_request) -> tuple[list[dict], str | None, str | None]:
    """The reports, the chart as base64 SVG, and an error to show instead."""
    from qa_app.charts.panels import lag_chart
    from qa_app.store.panels.plans import AnalysisPlanStoreError
    from qa_app.store.panels.queries import PanelQueryError, panel_reports

    try:
        reports = panel_reports(get_session(), panel_request, current_app.config["RUBRIC_ID"])
    except (PanelQueryError, AnalysisPlanStoreError) as exc:
        return [], None, str(exc)
    chart = base64.b64encode(lag_chart(reports)).decode("ascii") if reports else None
    return reports, chart, None


@bp.get("/outcomes-over-time")
@roles_required(*READERS)
def index():
    from qa_app.store.panels.plans import all_plans
    from qa_app.store.panels.queries import rubric_flags

    form, panel_request, problems = _form(request.args)
    defaults, default_note, pending_url = None, None, None
    if not form:
        # Nothing asked: the default choices, computed after the page is shown (htmx asks for
        # them on load; an htmx request without choices gets them straight away).
        defaults, default_note = _defaults()
        args = _query(defaults)
        if wants_fragment():
            form, panel_request, problems = _form(args)
        else:
            form = {**defaults, "plan": "", "as_of": ""}
            pending_url = url_for("outcomes_over_time.index", **args.to_dict(flat=False))
    reports, chart, error = [], None, None
    if panel_request is not None:
        reports, chart, error = _results(panel_request)
    status = 422 if problems or error else 200
    context = {
        "form": form,
        "problems": problems,
        "error": error,
        "reports": reports,
        "chart": chart,
        "pending_url": pending_url,
    }
    if wants_fragment():
        return render_template("outcomes_over_time/_results.html", **context), status
    db = get_session()
    if defaults is None:
        defaults, default_note = _defaults()
    context.update(
        outcomes=OUTCOMES,
        doses=DOSES,
        flags=rubric_flags(db, current_app.config["RUBRIC_ID"]),
        plans=[p.name for p in all_plans(db)],
        # Which lags the defaults use and why, beside the field while it holds them.
        default_note=default_note if form.get("lags") == defaults["lags"] else None,
    )
    return render_template("outcomes_over_time/index.html", **context), status
