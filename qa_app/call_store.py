"""Writing validated calls and outcomes: upsert by ``call_id``, in batches, in one transaction."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import bindparam, delete, insert, update
from sqlmodel import Session, select

from qa_app.domain.call_import import OPTIONAL_COLUMNS, CallRecord, Turn
from qa_app.domain.outcome_import import OutcomeRecord
from qa_app.models import AuditEvent, Call, Outcome, TranscriptTurn, TranscriptVersion, utcnow

BATCH_SIZE = 500
# Calls are written 2,000 at a time: fewer statements, still few bound parameters per IN list.
CALL_BATCH_SIZE = 2_000
# Every column of a call besides call_id and the transcript.
CALL_FIELDS = ("agent", *OPTIONAL_COLUMNS)


@dataclass
class WriteResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    transcripts_kept: int = 0  # calls: earlier transcripts kept as numbered versions


class ChangesRefused(Exception):
    """An import would replace stored values and was not told to (``--replace``).

    ``changes`` names each one with its rows, stored value and the file's value.
    """

    def __init__(self, changes: list[str]):
        self.changes = changes
        super().__init__(f"{len(changes)} stored value(s) would be replaced")


def _batches(items: Sequence, size: int = BATCH_SIZE) -> Iterable[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _turn_rows(call_pk: int, turns: Sequence[Turn]) -> list[dict]:
    return [
        {
            "call_pk": call_pk,
            "position": position,
            "speaker": turn.speaker,
            "text": turn.text,
            "offset_seconds": turn.offset_seconds,
        }
        for position, turn in enumerate(turns)
    ]


def _stored_turns(connection, call_pks: list[int]) -> dict[int, tuple[Turn, ...]]:
    turns: dict[int, list[Turn]] = defaultdict(list)
    rows = connection.execute(
        select(
            TranscriptTurn.call_pk,
            TranscriptTurn.speaker,
            TranscriptTurn.text,
            TranscriptTurn.offset_seconds,
        )
        .where(TranscriptTurn.call_pk.in_(call_pks))
        .order_by(TranscriptTurn.call_pk, TranscriptTurn.position)
    )
    for call_pk, speaker, text, offset in rows:
        turns[call_pk].append(Turn(speaker, text, offset))
    return {pk: tuple(items) for pk, items in turns.items()}


def upsert_calls(
    db: Session,
    records: Sequence[CallRecord],
    progress: Callable[[int], None] | None = None,
    fields: Sequence[str] = CALL_FIELDS,
    source: str = "",
) -> WriteResult:
    """Create new calls and update existing ones (matched on call_id); never duplicates.

    A call whose fields and transcript are identical is left untouched, so
    re-importing the same file changes nothing. An existing call's fields outside
    ``fields`` (the columns the file has) keep their values: a file without a team
    column does not erase the teams already stored. A changed transcript becomes the
    call's next transcript version; the one it replaces is kept in ``transcript_versions``
    with the time and ``source`` (the import file), because reviews cite its turns.
    """
    result = WriteResult()
    # Plain rows and executemany statements on the import's transaction: building one ORM
    # object per call cost more than the database's own work (a million calls is an import).
    connection = db.connection()
    stored_columns = [
        Call.id,
        Call.call_id,
        Call.transcript_version,
        *(getattr(Call, f) for f in CALL_FIELDS),
    ]
    for batch in _batches(records, CALL_BATCH_SIZE):
        existing = {
            row.call_id: row
            for row in connection.execute(
                select(*stored_columns).where(Call.call_id.in_([r.call_id for r in batch]))
            )
        }
        stored_turns = _stored_turns(connection, [row.id for row in existing.values()])
        now = utcnow()
        new_calls, new_records, updates, turn_rows, replaced, kept = [], [], [], [], [], []
        for record in batch:
            call = existing.get(record.call_id)
            if call is None:
                new_calls.append(
                    {
                        "call_id": record.call_id,
                        **{f: getattr(record, f) for f in CALL_FIELDS},
                        "imported_at": now,
                        "updated_at": now,
                    }
                )
                new_records.append(record)
                continue
            same_fields = all(getattr(call, f) == getattr(record, f) for f in fields)
            old_turns = stored_turns.get(call.id, ())
            same_transcript = old_turns == record.transcript
            if same_fields and same_transcript:
                result.unchanged += 1
                continue
            version = call.transcript_version
            if not same_transcript:
                kept.append(_kept_version(call.id, version, old_turns, now, source))
                replaced.append(call.id)
                turn_rows.extend(_turn_rows(call.id, record.transcript))
                version += 1
            updates.append(
                {
                    "b_id": call.id,
                    **{f: getattr(record, f) for f in fields},
                    "transcript_version": version,
                    "updated_at": now,
                }
            )
            result.updated += 1
        if new_calls:
            connection.execute(insert(Call), new_calls)
            # Read the new ids back by call_id (unique): RETURNING in parameter order is one
            # statement per row on SQLite, which would undo the executemany.
            ids = dict(
                connection.execute(
                    select(Call.call_id, Call.id).where(
                        Call.call_id.in_([r.call_id for r in new_records])
                    )
                ).all()
            )
            for record in new_records:
                turn_rows.extend(_turn_rows(ids[record.call_id], record.transcript))
            result.created += len(new_calls)
        if updates:
            connection.execute(update(Call).where(Call.id == bindparam("b_id")), updates)
        if kept:
            connection.execute(insert(TranscriptVersion), kept)
            result.transcripts_kept += len(kept)
        if replaced:
            connection.execute(delete(TranscriptTurn).where(TranscriptTurn.call_pk.in_(replaced)))
        if turn_rows:
            connection.execute(insert(TranscriptTurn), turn_rows)
        if progress:
            progress(len(batch))
    return result


def _kept_version(call_pk: int, version: int, turns: Sequence[Turn], now, source: str) -> dict:
    """The row that keeps a transcript an import is replacing."""
    return {
        "call_pk": call_pk,
        "version": version,
        "turns": [[t.speaker, t.text, t.offset_seconds] for t in turns],
        "replaced_at": now,
        "replaced_by": source[:255],
    }


def existing_call_ids(db: Session, call_ids: Iterable[str]) -> dict[str, int]:
    """call_id -> primary key for those of ``call_ids`` that are in the database."""
    found: dict[str, int] = {}
    for batch in _batches(sorted(set(call_ids))):
        found.update(db.exec(select(Call.call_id, Call.id).where(Call.call_id.in_(batch))).all())
    return found


def stored_outcome_kinds(db: Session) -> dict[str, str]:
    """Outcome name -> kind, for every outcome name already stored."""
    return dict(db.exec(select(Outcome.name, Outcome.kind).distinct()).all())


def upsert_outcomes(
    db: Session,
    records: Sequence[OutcomeRecord],
    call_pks: dict[str, int],
    progress: Callable[[int], None] | None = None,
    *,
    replace: bool = False,
    source: str = "",
    actor: tuple[int | None, str] = (None, "system"),
) -> WriteResult:
    """Create or update one value per (call, outcome name); identical values are left alone.

    A stored value the file changes is replaced only with ``replace``; each replacement is
    an ``outcome.replaced`` audit event (object ``outcome:CALL_ID:NAME``) with the old and
    new value, ``actor`` (user id, label) and the file. Without ``replace`` every such value
    is collected and :class:`ChangesRefused` raised, so the caller's transaction writes
    nothing.
    """
    result = WriteResult()
    refused: list[str] = []
    for batch in _batches(records):
        pks = {call_pks[r.call_id] for r in batch}
        names = {r.name for r in batch}
        stored = {
            (o.call_pk, o.name): o
            for o in db.exec(
                select(Outcome).where(Outcome.call_pk.in_(pks), Outcome.name.in_(names))
            )
        }
        for record in batch:
            key = (call_pks[record.call_id], record.name)
            outcome = stored.get(key)
            if outcome is None:
                outcome = Outcome(
                    call_pk=key[0], name=record.name, kind=record.kind, value=record.value
                )
                db.add(outcome)
                stored[key] = outcome
                result.created += 1
            elif outcome.value == record.value and outcome.kind == record.kind:
                result.unchanged += 1
            elif not replace:
                refused.append(
                    f"row {record.row}: call {record.call_id} {record.name} is "
                    f"{_number(outcome.value)} in the database, the file has "
                    f"{_number(record.value)}"
                )
            else:
                db.add(_outcome_replaced(outcome, record, actor, source))
                outcome.value, outcome.kind, outcome.updated_at = (
                    record.value,
                    record.kind,
                    utcnow(),
                )
                result.updated += 1
        db.flush()
        if progress:
            progress(len(batch))
    if refused:
        raise ChangesRefused(refused)
    return result


def _number(value: float) -> str:
    """3.0 as ``3``, 2.5 as ``2.5``: outcome values as people typed them."""
    return str(int(value)) if float(value).is_integer() else str(value)


def _outcome_replaced(
    outcome: Outcome, record: OutcomeRecord, actor: tuple[int | None, str], source: str
) -> AuditEvent:
    """The history of one replaced outcome value: before, after, who, when, which file."""
    return AuditEvent(
        actor_id=actor[0],
        actor_label=actor[1],
        action="outcome.replaced",
        entity_type="outcome",
        entity_id=f"{record.call_id}:{record.name}"[:100],
        before={"value": outcome.value, "kind": outcome.kind},
        after={"value": record.value, "kind": record.kind, "file": source},
        reason=f"import of {source} with --replace",
    )
