"""Reading a call's transcripts: the current one, or an earlier version a review was scored on.

An import that changes a transcript keeps the old turns in ``transcript_versions``
(see :func:`qa_app.store.calls.upsert_calls`), so a review's evidence turns keep meaning
the text the reviewer read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, select

from qa_app.models import Call, TranscriptTurn, TranscriptVersion


@dataclass(frozen=True)
class ShownTurn:
    """One turn as the pages show it (``position`` counts from 0; evidence cites it)."""

    position: int
    speaker: str
    text: str
    offset_seconds: float | None


@dataclass(frozen=True)
class Replacement:
    """A review's transcript version was replaced: when, by which file, what is current."""

    version: int
    replaced_at: datetime
    replaced_by: str
    current: int


def _kept(db: Session, call: Call, version: int) -> TranscriptVersion | None:
    return db.exec(
        select(TranscriptVersion).where(
            TranscriptVersion.call_pk == call.id, TranscriptVersion.version == version
        )
    ).first()


def turns(db: Session, call: Call, version: int | None = None) -> list[ShownTurn]:
    """The turns of ``version`` of the call's transcript (default: the current one)."""
    if version is None or version == call.transcript_version:
        rows = db.exec(
            select(TranscriptTurn)
            .where(TranscriptTurn.call_pk == call.id)
            .order_by(TranscriptTurn.position)
        )
        return [ShownTurn(t.position, t.speaker, t.text, t.offset_seconds) for t in rows]
    kept = _kept(db, call, version)
    if kept is None:
        return []
    return [
        ShownTurn(position, speaker, text, offset)
        for position, (speaker, text, offset) in enumerate(kept.turns)
    ]


def turn_count(db: Session, call: Call, version: int | None = None) -> int:
    """How many turns ``version`` of the transcript has (evidence may cite 1 to this)."""
    if version is None or version == call.transcript_version:
        return db.exec(
            select(func.count())
            .select_from(TranscriptTurn)
            .where(TranscriptTurn.call_pk == call.id)
        ).one()
    kept = _kept(db, call, version)
    return len(kept.turns) if kept else 0


def replacement(db: Session, call: Call, version: int) -> Replacement | None:
    """How ``version`` was superseded, or None when it is still the call's transcript."""
    if version >= call.transcript_version:
        return None
    kept = _kept(db, call, version)
    if kept is None:
        return None
    return Replacement(version, kept.replaced_at, kept.replaced_by, call.transcript_version)
