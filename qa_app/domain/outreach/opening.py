"""A humane opening for an outreach conversation, drawn from the rubric's top points.

Not a sales script: it tells the person reaching out what good listening looks like on the
dimensions the customer's call fell short on, in the rubric's own words.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from qa_app.domain.rubrics.definitions import Rubric

PATHWAYS = {
    "apology_and_fix": "Apology and fix",
    "follow_up_scheduled": "Follow-up scheduled",
    "escalated": "Escalated",
    "customer_declined": "Customer declined",
    "no_contact": "No contact made",
}
# Pathways in which someone spoke with the customer (the contact rate counts these).
CONTACTED = ("apology_and_fix", "follow_up_scheduled", "escalated", "customer_declined")


@dataclass(frozen=True)
class Opening:
    sentence: str
    guidance: tuple[tuple[str, str], ...]


def humane_opening(rubric: Rubric, scores: Mapping[str, int | None]) -> Opening:
    """The opening: a first sentence, and the top-point definition of each dimension the call
    scored at or below the middle of the scale on (every dimension when none did)."""
    middle = (rubric.scale_min + rubric.scale_max) / 2
    low = [
        d for d in rubric.dimensions if scores.get(d.id) is not None and scores[d.id] <= middle
    ]
    chosen = low or list(rubric.dimensions)
    guidance = tuple((d.name, d.points[rubric.scale_max]) for d in chosen)
    sentence = (
        "Start by saying why you are calling: their recent call did not go as it should have. "
        "Ask how things are now and listen before offering anything; name their situation "
        "and its impact in their own words, then offer ways forward and let them choose."
    )
    return Opening(sentence, guidance)
