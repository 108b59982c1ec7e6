"""A sampling plan's stratum on the machine rater's prediction (issue 26, item 7).

A plan with ``strata = [..., "machine:empathy_absent"]`` puts each call of its period in a band
of what the newest machine model predicts for it: ``flagged`` or ``not flagged`` when the name
is one of the rubric's flags (the rubric's own rule applied to the machine's scores), the
machine's score when it is a dimension, and ``(none)`` for calls the model has not scored or
where the flag does not apply. The bands are ordinary strata: each drawn call keeps its
inclusion probability n_h / N_h, so weighted figures stay unbiased whatever the machine's
quality; a poor machine only costs precision.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, select

from qa_app.domain.sampling.plan import machine_band
from qa_app.models import Call, MachineScore, RubricVersion


class MachineStratumError(ValueError):
    """The plan's machine stratum cannot be formed; the message says what to do."""


def machine_bands(
    db: Session, target: str, since: datetime, until_next: datetime, call_pks: Sequence[int]
) -> tuple[dict[int, str], str]:
    """Each call's band of the newest machine model's prediction for ``target``, and a
    label naming the model (for the preview and the audit trail)."""
    from qa_app.store.machine import newest_model
    from qa_app.store.rubrics import rubric_from_row

    model = newest_model(db)
    if model is None:
        raise MachineStratumError(
            f"the stratum 'machine:{target}' needs a machine model: train one with "
            "`qa-app machine train` and score the period with `qa-app machine score`"
        )
    row = db.get(RubricVersion, model.rubric_pk)
    rubric = rubric_from_row(row)
    flags = [f.name for f in rubric.flags]
    dimensions = [d.id for d in rubric.dimensions]
    if target not in flags and target not in dimensions:
        raise MachineStratumError(
            f"'machine:{target}' names no flag or dimension of {row.key}; flags: "
            f"{', '.join(flags) or 'none'}; dimensions: {', '.join(dimensions)}"
        )
    scores: dict[int, dict[str, int]] = {}
    query = (
        select(MachineScore.call_pk, MachineScore.dimension, MachineScore.score)
        .join(Call, Call.id == MachineScore.call_pk)
        .where(
            MachineScore.model_pk == model.id,
            Call.started_at >= since,
            Call.started_at < until_next,
        )
    )
    for call_pk, dimension, score in db.exec(query):
        if score is not None:
            scores.setdefault(call_pk, {})[dimension] = score
    bands = {}
    for call_pk in call_pks:
        by_dimension = scores.get(call_pk, {})
        raised = rubric.flags_for(by_dimension) if by_dimension else {}
        bands[call_pk] = machine_band(target, by_dimension, raised or dict.fromkeys(flags))
    label = f"{row.key} machine model v{model.version} ({model.kind})"
    return bands, label
