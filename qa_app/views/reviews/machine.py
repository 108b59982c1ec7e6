"""The machine rater's scores beside a submitted review (qa_app.store.machine)."""

from __future__ import annotations

from qa_app.domain.rubrics.definitions import Rubric
from qa_app.models import Review, ReviewStatus, RubricVersion
from qa_app.web.database import get_session


def machine_beside(review: Review, row: RubricVersion, rubric: Rubric, answers) -> dict | None:
    """The machine's scores beside a submitted review, or None. Never for a draft: a
    reviewer who saw the machine's score first would lean on it (the anchoring this
    prevents); and not at all when a lead switched it off for the rubric."""
    from qa_app.store import machine as machine_store

    if review.status != ReviewStatus.SUBMITTED:
        return None
    db = get_session()
    if not machine_store.shown_after_submit(db, row.rubric_id):
        return None
    found = machine_store.beside_review(db, review.call_pk, row.id)
    if found is None:
        return None
    model, scores = found
    rows = []
    for dimension in rubric.dimensions:
        machine = scores.get(dimension.id)
        answer = answers.get(dimension.id)
        mine = None if answer is None or answer.not_applicable else answer.score
        gap = None if machine is None or mine is None else machine.score - mine
        figures = model.metrics.get("dimensions", {}).get(dimension.id, {})
        rows.append({"dimension": dimension, "machine": machine, "mine": mine, "gap": gap,
                     "alpha": figures.get("alpha")})  # fmt: skip
    return {"model": model, "rows": rows}
