"""The "New experiment" form: read its fields, list the choices it offers (queues, interaction
types, metrics) and render it. The routes are in qa_app.views.experiments.pages; the TOML is written
by qa_app.domain.experiments.plan_form.plan_toml and checked like any plan."""

from __future__ import annotations

from datetime import date, timedelta

from flask import render_template, request
from sqlmodel import select

from qa_app.domain.experiments.plan import KINDS
from qa_app.domain.experiments.plan_form import FIELDS, POWER_KEYS, form_problem
from qa_app.models import Call
from qa_app.web.database import get_session

MAX_TREATMENTS = 4
_TEXT_KEYS = (
    "name", "hypothesis", "decision_rule", "intervention_kind", "intervention_name",
    "intervention_playbook", "control", "primary_metric", "window_start", "window_end",
    "after_assignment_days", "after_exposure_days", "new_agent_days", "binary", *POWER_KEYS,
)  # fmt: skip
DEFAULTS = {
    "control": "control", "treatments": ["training"], "intervention_kind": "training",
    "after_assignment_days": "0", "after_exposure_days": "0", "alpha": "0.05", "power": "0.8",
}  # fmt: skip


# The fields the checker refuses a plan without; marked on the form and required by the browser.
REQUIRED = (
    "name", "hypothesis", "decision_rule", "intervention_name", "intervention_playbook",
    "control", "treatment_0", "primary_metric", "window_start", "window_end",
)  # fmt: skip
WINDOW_WEEKS = 8


def _defaults() -> dict:
    """A new form's values: what has a sensible default (the window from tomorrow for eight
    weeks, the usual alpha and power); the rest is the lead's to decide."""
    start = date.today() + timedelta(days=1)
    end = start + timedelta(weeks=WINDOW_WEEKS) - timedelta(days=1)
    return dict(DEFAULTS, window_start=start.isoformat(), window_end=end.isoformat())


def _distinct(column) -> list[str]:
    rows = get_session().exec(select(column).where(column.is_not(None)).distinct()).all()
    return sorted(str(v) for v in rows if str(v).strip())


def read_fields() -> dict:
    """The posted form as plan_toml's fields (and as the values to show again)."""
    form = request.form
    fields: dict = {key: form.get(key, "") for key in _TEXT_KEYS}
    fields["treatments"] = [form.get(f"treatment_{i}", "") for i in range(MAX_TREATMENTS)]
    fields["treatments"] = [t for t in fields["treatments"] if t.strip()]
    arms = [fields["control"].strip(), *(t.strip() for t in fields["treatments"])]
    slots = ["control", *(f"treatment_{i}" for i in range(MAX_TREATMENTS))]
    fields["allocation_slots"] = {s: form.get(f"ratio_{s}", "") for s in slots}
    named = [s for s in slots if s == "control" or form.get(s, "").strip()]
    fields["allocation"] = dict(
        zip(arms, (fields["allocation_slots"][s] for s in named), strict=True)
    )
    fields["treatment_slots"] = [form.get(f"treatment_{i}", "") for i in range(MAX_TREATMENTS)]
    fields["secondary_metrics"] = form.getlist("secondary_metrics")
    fields["complex_interaction_types"] = form.getlist("complex_interaction_types")
    fields["channel"] = form.get("channel") == "on"
    queues = []
    for i, name in enumerate(form.getlist("queue_name")):
        stratum = form.get(f"queue_stratum_{i}", "")
        included = form.get(f"queue_include_{i}") == "on"
        queues.append({"name": name, "stratum": stratum, "included": included})
    fields["queue_rows"] = queues
    fields["queues"] = [q for q in queues if q["included"]]
    return fields


def render_form(fields: dict | None = None, problems=(), text: str = "", status: int = 200):
    """The form with ``fields`` kept; ``problems`` and the generated ``text`` beside it."""
    from qa_app.store.metrics import available_metrics

    fields = _defaults() if fields is None else fields
    known = {q["name"]: q for q in fields.get("queue_rows", ())}
    queue_rows = [known.get(q, {"name": q, "stratum": "", "included": False})
                  for q in _distinct(Call.queue)]  # fmt: skip
    slots = list(fields.get("treatment_slots") or fields.get("treatments") or [])
    slots += [""] * (MAX_TREATMENTS - len(slots))
    numbered = list(enumerate(text.splitlines(), start=1)) if text else []
    said = [form_problem(text, p) for p in problems]
    field_errors: dict[str, list[str]] = {}
    for field, _label, message in said:
        if field:
            field_errors.setdefault(field, []).append(message)
    return render_template(
        "experiments/new.html",
        f=fields,
        kinds=KINDS,
        queue_rows=queue_rows,
        treatment_slots=slots[:MAX_TREATMENTS],
        ratios=fields.get("allocation_slots", {}),
        metrics=available_metrics(get_session()),
        interaction_types=_distinct(Call.interaction_type),
        power_labels=[(k, FIELDS[('power', k)][1]) for k in POWER_KEYS],
        problems=said,
        field_errors=field_errors,
        required=REQUIRED,
        numbered=numbered,
    ), status
