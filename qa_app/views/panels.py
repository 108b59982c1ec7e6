"""The Outcomes over time page: how long a behaviour takes to show in NPS, renewals, spend and
churn — the lagged panel model (qa_app.domain.panels.model) per outcome and lag, one chart,
the table of figures, and the analysis plan with its time and amendments when one is used.

Read-only (GET): plans are stored and amended from the command line, where the reason for
an amendment is required. The results are one partial, served alone to htmx requests.
"""

from __future__ import annotations

import base64

from flask import Blueprint, current_app, render_template, request

from qa_app.domain.dates import DayError, parse_day
from qa_app.domain.panels.plan import DOSES, OUTCOMES, parse_lags
from qa_app.models import Role
from qa_app.web.auth import roles_required
from qa_app.web.database import get_session
from qa_app.web.requests import wants_fragment

bp = Blueprint("outcomes_over_time", __name__)
READERS = (Role.COACH, Role.LEAD, Role.ADMIN)
DEFAULTS = {"outcomes": ["nps", "renewal"], "flag": "acknowledged", "lags": "1,3,12"}


def _form(args) -> tuple[dict, object | None, list[str]]:
    """The form as typed, the request it makes (None when nothing was asked), and problems."""
    from qa_app.store.panels.queries import PanelRequest

    asked = any(args.get(k) for k in ("outcome", "flag", "lags", "plan"))
    outcomes = [o.strip() for o in args.getlist("outcome") if o.strip()]
    form = {
        "outcomes": outcomes if asked else DEFAULTS["outcomes"],
        "flag": (args.get("flag") or "").strip()[:100] if asked else DEFAULTS["flag"],
        "lags": (args.get("lags") or "").strip()[:100] if asked else DEFAULTS["lags"],
        "plan": (args.get("plan") or "").strip()[:100],
        "as_of": (args.get("as_of") or "").strip()[:40],
        "dose": (args.get("dose") or "share").strip()[:20],
    }
    if not asked:
        return form, None, []
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
        "asked": panel_request is not None,
    }
    if wants_fragment():
        return render_template("outcomes_over_time/_results.html", **context), status
    db = get_session()
    context.update(
        outcomes=OUTCOMES,
        doses=DOSES,
        flags=rubric_flags(db, current_app.config["RUBRIC_ID"]),
        plans=[p.name for p in all_plans(db)],
    )
    return render_template("outcomes_over_time/index.html", **context), status
