"""The Survival page: do customers whose first reviewed call had a flag stay longer?

Parses the form, calls qa_app.store.survival and the domain's curve and at-risk helpers,
renders. The page is a GET form: nothing changes state here.
"""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, current_app, render_template, request

from qa_app.domain.dates import DayError, parse_day
from qa_app.models import Role
from qa_app.web.auth import roles_required
from qa_app.web.background import Background, Pending
from qa_app.web.database import get_session
from qa_app.web.requests import form_int, wants_fragment

# Reports by choice and data fingerprint (store.fingerprints.survival_fingerprint), worked out in
# the background: lifelines' fits over every customer take seconds, a minute at a million.
_REPORTS = Background(16)

bp = Blueprint("survival", __name__)
READERS = (Role.COACH, Role.LEAD, Role.ADMIN)
MAX_HORIZON = 3650


def _choice(args) -> tuple[dict, list[str]]:
    """The form's values, typed, and what is wrong with them."""
    from qa_app.domain.survival.analysis import BY_CHOICES, DEFAULT_HORIZON
    from qa_app.domain.survival.cohorts import COHORTS, DEFAULT_FLAG

    problems = []
    typed = {name: (args.get(name) or "").strip() for name in
             ("cohort", "flag", "as_of", "horizon", "by", "window")}  # fmt: skip
    cohort = typed["cohort"] or "onboarding"
    if cohort not in COHORTS:
        problems.append(f"cohort: '{cohort[:40]}' is not one of {', '.join(COHORTS)}")
    as_of = None
    if typed["as_of"]:
        try:
            day = parse_day(typed["as_of"], "as of")
            as_of = datetime(day.year, day.month, day.day)
        except DayError as exc:
            problems.append(str(exc))
    horizon = form_int(typed["horizon"], DEFAULT_HORIZON)
    if horizon is None or not 1 <= horizon <= MAX_HORIZON:
        problems.append(f"horizon: a whole number of days from 1 to {MAX_HORIZON}")
    window = form_int(typed["window"], None) if typed["window"] else None
    if typed["window"] and (window is None or window > MAX_HORIZON):
        problems.append(f"window: a whole number of days from 0 to {MAX_HORIZON}")
    by = typed["by"] or None
    if by is not None and by not in BY_CHOICES:
        problems.append(f"compare within: '{by[:40]}' is not one of {', '.join(BY_CHOICES)}")
    chosen = {"cohort": cohort, "flag": typed["flag"] or DEFAULT_FLAG, "as_of": as_of,
              "horizon": horizon, "by": by, "window": window}  # fmt: skip
    return chosen | {"typed": typed}, problems


@bp.get("/survival")
@roles_required(*READERS)
def index():
    """The form, and for its choice the curves, at-risk table and figures."""
    from qa_app.domain.survival.analysis import BY_CHOICES, FIELD_LABELS
    from qa_app.domain.survival.cohorts import COHORTS

    chosen, problems = _choice(request.args)
    context = {"chosen": chosen, "problems": problems, "cohorts": COHORTS,
               "by_choices": BY_CHOICES, "labels": FIELD_LABELS, "report": None, "chart": None,
               "at_risk": None, "ticks": [], "flags": [], "error": None,
               "pending": None}  # fmt: skip
    if not problems:
        answer = _analysis(chosen)
        if isinstance(answer, Pending):
            context["pending"] = answer
        else:
            context.update(answer)
        if context["error"] and "unknown flag" in context["error"]:
            problems.append(context.pop("error"))
            context["error"] = None
    status = 422 if problems else 200
    template = "survival/_results.html" if wants_fragment() else "survival/index.html"
    return render_template(template, **context), status


def _analysis(chosen: dict) -> dict | Pending:
    """The figures, chart and at-risk table for ``chosen``, or Pending while they are worked
    out: computed once per choice and data (the same data give the same report)."""
    from qa_app.store.fingerprints import survival_fingerprint

    config = current_app.config
    key = (tuple(sorted((k, str(v)) for k, v in chosen.items())), config["RUBRIC_ID"],
           config["CURRENCY"], survival_fingerprint(get_session()))  # fmt: skip
    return _REPORTS.answer(key, lambda: _computed(chosen))


def _computed(chosen: dict) -> dict:
    from qa_app.charts import svg_data_url as data_url
    from qa_app.charts.survival import km_chart_svg
    from qa_app.domain.survival.analysis import at_risk, curves
    from qa_app.domain.survival.cohorts import SurvivalError
    from qa_app.store.flags.rows import ExportError
    from qa_app.store.survival import survival_report

    try:
        cohort, report = survival_report(
            get_session(), chosen["cohort"], chosen["flag"], chosen["as_of"],
            chosen["horizon"], chosen["by"], chosen["window"], None,
            current_app.config["RUBRIC_ID"], current_app.config["CURRENCY"],
        )  # fmt: skip
    except (SurvivalError, ExportError) as exc:
        return {"error": str(exc)}
    out = {"report": report, "error": None}
    if cohort.members:
        # The horizon the restricted means used: the one asked for, or where follow-up ends.
        horizon = (report.get("rmst") or {}).get("horizon") or chosen["horizon"]
        step = 90 if horizon > 180 else 30
        ticks = list(range(0, int(horizon) + 1, step))
        out["ticks"] = ticks
        out["at_risk"] = at_risk(cohort.members, ticks)
        out["chart"] = data_url(km_chart_svg(curves(cohort.members), horizon, chosen["flag"]))
    return out
