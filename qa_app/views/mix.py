"""The Mix page: how far the reviewed calls are from the real call mix, and the weighted
flag rates that correct for it.

The shares come at once (qa_app.store.mix); the flag rates read every reviewed call of the
month, so they follow as an htmx fragment, as the coach page's comparison does.
"""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request

from qa_app.kept import Kept
from qa_app.models import Role
from qa_app.store import mix as mix_queries
from qa_app.store.flags.rows import ExportError
from qa_app.store.flags.summary import BY_CHOICES, flags_summary
from qa_app.store.reviews.queue import CallFilters
from qa_app.web.auth import roles_required
from qa_app.web.background import Background, Pending
from qa_app.web.database import get_engine, get_session
from qa_app.web.requests import wants_fragment

bp = Blueprint("mix", __name__)
# Flag summaries by month, grouping and data fingerprint: each reads the month's reviewed calls.
_SUMMARIES = Background(16)
READERS = (Role.COACH, Role.LEAD, Role.ADMIN)
LABELS = {"interaction_type": "Interaction type", "channel": "Channel"}


def _choice(args) -> tuple[mix_queries.Month | None, str | None, list[str]]:
    """The month and flag grouping asked for, and what is wrong with them."""
    problems = []
    typed = (args.get("month") or "").strip()
    month = None
    if typed:
        month = mix_queries.Month.parse(typed)
        if month is None:
            problems.append(
                f"month: '{typed[:40]}' is not a month; write it as YYYY-MM, e.g. 2026-10"
            )
    by = (args.get("by") or "").strip() or None
    if by is not None and by not in BY_CHOICES:
        problems.append(f"group flags by: '{by[:40]}' is not one of {', '.join(BY_CHOICES)}")
        by = None
    return month, by, problems


@bp.get("/mix")
@roles_required(*READERS)
def index():
    month, by, problems = _choice(request.args)
    if wants_fragment():
        return _flags(month, by, problems)
    db = get_session()
    history_months = mix_queries.months_with_calls(db)
    if month is None and not problems:
        month = history_months[0] if history_months else None
    context = {
        "month": month,
        "typed_month": (request.args.get("month") or "").strip(),
        "by": by or "",
        "by_choices": BY_CHOICES,
        "problems": problems,
        "months": history_months,
        "labels": LABELS,
        "mixes": {},
        "history": None,
        "pending": False,
        "summary": None,
        "flags_error": None,
    }
    if month is not None and not problems:
        context["mixes"], context["history"] = _mixes(db, month, history_months)
        context["pending"] = True
    return render_template("mix/index.html", **context), (422 if problems else 200)


def _mixes(db, month, history_months) -> tuple[dict, dict]:
    """The month's mixes and the months' history, kept by the versions of the tables they
    count (a million calls took two seconds to count on every visit). Reviewed calls are
    counted from submitted reviews; every submit rewrites the call's stored final scores,
    so the final_scores version moves with them."""
    from qa_app.store.fingerprints import table_versions

    key = (table_versions(db, ("calls", "final_scores", "rubrics")), str(month),
           tuple(str(m) for m in history_months))  # fmt: skip
    found = _MIXES.get(key)
    if found is None:
        found = ({field: mix_queries.mix(db, month, field) for field in LABELS},
                 mix_queries.mix_history(db, history_months))  # fmt: skip
        _MIXES.put(key, found)
    return found


# The mixes by month and data versions (_mixes).
_MIXES = Kept(16)


def _flags(month, by, problems):
    """The flag rates fragment: weighted and unweighted, for the month's calls."""
    summary, error = None, "; ".join(problems) or None
    if month is None and not error:
        error = "Choose a month (YYYY-MM)."
    pending = None
    if not error:
        answer = _summary(month, by)
        if isinstance(answer, Pending):
            pending = answer
        else:
            summary, error = answer
    return render_template(
        "mix/_flags.html",
        summary=summary,
        flags_error=error,
        pending=pending,
        month=month,
        by=by,
    ), (422 if problems else 200)


def _summary(month, by: str | None):
    """(summary, error) of the month's weighted flag rates, or Pending while it is worked
    out; kept by the question and the data's fingerprint."""
    from qa_app.store.fingerprints import flags_fingerprint

    rubric_id = current_app.config["RUBRIC_ID"]
    key = (str(month), by, rubric_id, flags_fingerprint(get_session()))

    def compute():
        filters = CallFilters(since=month.first_day, until=month.last_day)
        try:
            # With the machine's prediction-powered figures beside people's, when a model of
            # the rubric version has scored the month's calls.
            return flags_summary(get_engine(), filters, by, None, rubric_id, machine=True), None
        except ExportError as exc:
            return None, str(exc)

    return _SUMMARIES.answer(key, compute)
