"""Flag rates and mean scores made more precise by the machine rater (prediction-powered).

The reviewed calls give people's values and their design weights; the newest machine model
of the rubric version has scored the calls of the period, reviewed or not. For each group
and figure, ppi-python's power-tuned estimate and interval (qa_app.domain.machine.ppi) put
the two together. Only when a report asks for it (``qa-app flags summary --machine``): the
machine's scores never enter a human figure otherwise.

A reviewed call the model was trained on is compared through its held-out score (from the
cross-validation model that never saw it): the stored model's own score of a call it
learned from would agree with people too well, and the interval would be too narrow.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import Session

from qa_app.domain.machine.ppi import ppi_mean
from qa_app.store.machine import current_model, held_out_values, machine_values


def ppi_figures(
    db: Session, plan, filters, columns: list[str], reviewed: list, group_of: Callable
) -> dict | None:
    """{"model": {...}, "figures": {(group, column): ppi_mean(...)}} or None without a
    model of the rubric version that scored the period's calls.

    ``reviewed``: (call_id, design weight, group, {column: people's value}) per reviewed
    call of the period.
    """
    model = current_model(db, plan.rubric_row.id)
    if model is None:
        return None
    values, groups = machine_values(db, model, plan.rubric, filters, group_of)
    held_out = held_out_values(model, plan.rubric)
    figures = {}
    for column in columns:
        by_group: dict[str, dict[str, list]] = {}
        for call_id, value in values.items():
            if value.get(column) is not None:
                by_group.setdefault(groups[call_id], {"all": [], "y": [], "yhat": [], "w": []})
                by_group[groups[call_id]]["all"].append(value[column])
        for call_id, weight, group, people in reviewed:
            machine = held_out.get(call_id, values.get(call_id, {})).get(column)
            if machine is None or people[column] is None or weight <= 0 or group not in by_group:
                continue
            part = by_group[group]
            part["y"].append(float(people[column]))
            part["yhat"].append(float(machine))
            part["w"].append(weight)
        for group, part in by_group.items():
            found = ppi_mean(part["y"], part["yhat"], part["all"], part["w"])
            if found is not None:
                figures[(group, column)] = found
    return {
        "model": {"version": model.version, "scored_calls": len(values),
                  "method": "prediction-powered inference with power tuning (ppi-python), "
                            "the reviewed calls' design weights as sample weights"},
        "figures": figures,
    }
