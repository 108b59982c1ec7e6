"""Writing validated calls: upsert by ``call_id``, in batches, in one transaction (outcomes:
qa_app.store.outcomes)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from operator import attrgetter, itemgetter
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, update
from sqlalchemy.engine import Connection
from sqlmodel import Session, select

from qa_app.domain.dates import value_text
from qa_app.domain.imports.calls import OPTIONAL_COLUMNS, CallRecord, Turn
from qa_app.models import AuditEvent, Call, TranscriptTurn, TranscriptVersion, utcnow
from qa_app.store import audit

BATCH_SIZE = 500
# Calls are written 2,000 at a time: fewer statements, still few bound parameters per IN list.
CALL_BATCH_SIZE = 2_000
# Values in one IN list: under SQLite's default limit of 32,766 bound parameters and
# PostgreSQL's 65,535.
IN_LIST_SIZE = 10_000
# Every column of a call besides call_id and the transcript.
CALL_FIELDS = ("agent", *OPTIONAL_COLUMNS)
TURN_COLUMNS = ("call_pk", "position", "speaker", "text", "offset_seconds")


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


def batches(items: Sequence, size: int = BATCH_SIZE) -> Iterable[Sequence]:
    """``items`` in slices of ``size``: one statement, or one IN list, each."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def insert_rows(
    connection: Connection,
    model: Any,
    columns: Sequence[str],
    rows: Iterable[Sequence],
    constants: Mapping[str, Any] | None = None,
    converted: Collection[str] = (),
) -> None:
    """INSERT ``rows`` (each its values in the order of ``columns``) into ``model``'s table
    with one executemany on the database driver.

    ``connection.execute(insert(model), dicts)`` spent more time in SQLAlchemy's handling of
    each row's parameters than the database spent writing them. Here the statement is
    compiled once for the connection's dialect, and each column's own bind processor (the
    conversion SQLAlchemy applies: UTC text for datetimes on SQLite, JSON text, ...) runs
    only on the columns that have one, so the stored values are the same. ``constants`` are
    values every row shares (a batch's timestamps), converted once. Columns with a Python
    default must be given, in ``columns`` or ``constants``: nothing fills them in here.
    ``converted`` names columns whose values the caller has already put through
    :func:`bind_converter` (e.g. to convert each distinct value once).
    """
    constants = dict(constants or {})
    table = model.__table__
    dialect = connection.dialect
    keys = [*columns, *constants]
    compiled = insert(table).compile(dialect=dialect, column_keys=keys, for_executemany=True)
    if compiled.insert_prefetch:
        missing = ", ".join(column.name for column in compiled.insert_prefetch)
        raise ValueError(f"insert_rows into {table.name} needs values for {missing}")
    processors = [table.c[key].type._cached_bind_processor(dialect) for key in keys]
    shared = tuple(
        process(value) if process else value
        for process, value in zip(processors[len(columns) :], constants.values(), strict=True)
    )
    to_convert = [
        (index, process)
        for index, (key, process) in enumerate(zip(columns, processors, strict=False))
        if process and key not in converted
    ]
    if to_convert:
        params = []
        for row in rows:
            values = list(row)
            for index, process in to_convert:
                values[index] = process(values[index])
            params.append((*values, *shared))
    elif shared:
        params = [(*row, *shared) for row in rows]
    else:
        params = [tuple(row) for row in rows]
    if not params:
        return
    if dialect.name == "postgresql" and dialect.driver == "psycopg":
        _copy_rows(connection, table, keys, params)
        return
    if compiled.positiontup is not None:  # SQLite: ?, in the statement's column order
        order = [keys.index(name) for name in compiled.positiontup]
        if order != list(range(len(keys))):
            pick = itemgetter(*order)
            params = [pick(values) for values in params]
    else:  # PostgreSQL (psycopg): %(name)s
        params = [dict(zip(keys, values, strict=True)) for values in params]
    connection.exec_driver_sql(compiled.string, params)


def _copy_rows(connection: Connection, table, keys: Sequence[str], rows: list[tuple]) -> None:
    """Rows into ``table`` by PostgreSQL's COPY, on the connection's own transaction.

    An executemany of INSERTs went one statement per row through psycopg's pipeline (two
    thirds of a call import's time on PostgreSQL, against SQLite's executemany); COPY
    streams the rows in one statement. psycopg adapts each value by its Python type, as it
    does for the INSERT's parameters.
    """
    from psycopg import sql

    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table.name),
        sql.SQL(", ").join(sql.Identifier(table.c[key].name) for key in keys),
    )
    driver_connection = connection.connection.driver_connection
    with driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def select_in(
    connection: Connection,
    columns: Sequence[Any],
    column: Any,
    values: Sequence,
    size: int = IN_LIST_SIZE,
) -> list[Sequence]:
    """Rows of ``columns`` whose ``column`` is one of ``values`` (``size`` values a statement).

    SQLAlchemy renders each IN list anew and handles every value in Python (a tenth of a
    million-call import). Here a list is padded (repeating its last value, which changes
    no result) to one of a few lengths whose statements are compiled once per process, and
    the values go to the driver as they are. That holds only for columns the dialect
    neither converts on the way in nor out (text, integers): others go through SQLAlchemy.
    """
    dialect = connection.dialect
    plain = column.type._cached_bind_processor(dialect) is None and all(
        c.type._cached_result_processor(dialect, None) is None for c in columns
    )
    found: list[Sequence] = []
    if plain and dialect.name == "postgresql" and dialect.driver == "psycopg":
        # One array parameter: a statement with thousands of placeholders was parsed anew by
        # the driver for every list (a third of a call import's time on PostgreSQL).
        key = (dialect.name, dialect.driver, tuple(map(str, columns)), str(column), "any")
        statement = _IN_STATEMENTS.get(key)
        if statement is None:
            compiled = select(*columns).where(column == func.any(bindparam("values")))
            statement = _IN_STATEMENTS[key] = (compiled.compile(dialect=dialect).string, False)
        for start in range(0, len(values), size):
            chunk = list(values[start : start + size])
            found.extend(connection.exec_driver_sql(statement[0], {"values": chunk}).all())
        return found
    for start in range(0, len(values), size):
        chunk = list(values[start : start + size])
        if not plain:
            found.extend(connection.execute(select(*columns).where(column.in_(chunk))).all())
            continue
        length = min(size, max(16, 1 << (len(chunk) - 1).bit_length()))
        chunk.extend(chunk[-1:] * (length - len(chunk)))
        key = (dialect.name, dialect.driver, tuple(map(str, columns)), str(column), length)
        statement = _IN_STATEMENTS.get(key)
        if statement is None:
            binds = [bindparam(f"v{i}", type_=column.type) for i in range(length)]
            compiled = select(*columns).where(column.in_(binds)).compile(dialect=dialect)
            statement = _IN_STATEMENTS[key] = (compiled.string, compiled.positiontup is not None)
        sql, positional = statement
        params: Any = tuple(chunk) if positional else {f"v{i}": v for i, v in enumerate(chunk)}
        found.extend(connection.exec_driver_sql(sql, params).all())
    return found


# SQL of select_in's statements: a few per query and list length (powers of two).
_IN_STATEMENTS: dict[tuple, tuple[str, bool]] = {}


def bind_converter(connection: Connection, model: Any, column: str) -> Callable[[Any], Any]:
    """What SQLAlchemy does to a value of ``model.column`` before the driver sees it."""
    process = model.__table__.c[column].type._cached_bind_processor(connection.dialect)
    return process or (lambda value: value)


def _turn_rows(call_pk: int, turns: Sequence[Turn]) -> list[tuple]:
    """Rows of TURN_COLUMNS for one call's transcript."""
    return [(call_pk, position, *turn) for position, turn in enumerate(turns)]


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
    *,
    replace: bool = False,
    actor: tuple[int | None, str] = (None, "system"),
) -> WriteResult:
    """Create new calls and update existing ones (matched on call_id); never duplicates.

    A call whose fields and transcript are identical is left untouched, so
    re-importing the same file changes nothing. An existing call's fields outside
    ``fields`` (the columns the file has) keep their values: a file without a team
    column does not erase the teams already stored. A changed transcript becomes the
    call's next transcript version; the one it replaces is kept in ``transcript_versions``
    with the time and ``source`` (the import file), because reviews cite its turns.

    A stored field the file changes (agent, team, queue, start, ... feed flag rates by team,
    sampling strata and agent history) is replaced only with ``replace``, each call's old and
    new values kept as a ``call.replaced`` audit event with ``actor`` and the file; without
    it every such change is named and :class:`ChangesRefused` raised, so the caller's
    transaction writes nothing. Filling a blank field is an update, not a replacement.
    """
    result = WriteResult()
    refused: list[str] = []
    # Plain rows and executemany statements on the import's transaction: building one ORM
    # object per call cost more than the database's own work (a million calls is an import).
    connection = db.connection()
    stored_columns = [
        Call.id,
        Call.call_id,
        Call.transcript_version,
        *(getattr(Call, f) for f in CALL_FIELDS),
    ]
    new_values = attrgetter("call_id", *CALL_FIELDS)
    for batch in batches(records, CALL_BATCH_SIZE):
        # Which calls are stored (a quick look), then all their fields: an import of new
        # calls, the usual case, needs only the first.
        stored = select_in(connection, [Call.id], Call.call_id, [r.call_id for r in batch])
        existing = (
            {
                row.call_id: row
                for row in connection.execute(
                    select(*stored_columns).where(Call.id.in_([pk for (pk,) in stored]))
                )
            }
            if stored
            else {}
        )
        stored_turns = _stored_turns(connection, [row.id for row in existing.values()])
        now = utcnow()
        new_calls, new_records, updates, turn_rows, replaced, kept = [], [], [], [], [], []
        for record in batch:
            call = existing.get(record.call_id)
            if call is None:
                new_calls.append(new_values(record))
                new_records.append(record)
                continue
            changed = [f for f in fields if getattr(call, f) != getattr(record, f)]
            same_fields = not changed
            replaced_fields = [f for f in changed if getattr(call, f) is not None]
            if replaced_fields and not replace:
                refused.append(_call_changes(record, call, replaced_fields, source))
                continue
            if replaced_fields:
                db.add(_call_replaced(record, call, replaced_fields, actor, source))
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
            insert_rows(
                connection,
                Call,
                ("call_id", *CALL_FIELDS),
                new_calls,
                {"transcript_version": 1, "imported_at": now, "updated_at": now},
            )
            # Read the new ids back by call_id (unique): RETURNING in parameter order is one
            # statement per row on SQLite, which would undo the executemany.
            ids = dict(
                select_in(
                    connection,
                    [Call.call_id, Call.id],
                    Call.call_id,
                    [r.call_id for r in new_records],
                )
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
            insert_rows(connection, TranscriptTurn, TURN_COLUMNS, turn_rows)
        if progress:
            progress(len(batch))
    if refused:
        raise ChangesRefused(refused)
    return result


def _call_changes(record: CallRecord, call, names: Sequence[str], source: str) -> str:
    """One refused call: its row and each field's stored and new value."""
    changes = "; ".join(
        f"{name} is {value_text(getattr(call, name))} in the database, the file has "
        f"{value_text(getattr(record, name))}"
        for name in names
    )
    where = f"{source}: row {record.row}" if source else f"row {record.row}"
    return f"{where}: call {record.call_id} {changes}"


def _call_replaced(
    record: CallRecord, call, names: Sequence[str], actor: tuple[int | None, str], source: str
) -> AuditEvent:
    """The history of one call's replaced fields: before, after, who, when, which file."""
    return audit.replaced_by_import(
        actor,
        "call.replaced",
        "call",
        record.call_id,
        {name: value_text(getattr(call, name)) for name in names},
        {**{name: value_text(getattr(record, name)) for name in names}, "file": source},
        source,
    )


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
    if db.autoflush:
        db.flush()  # as a query through the session would: calls added to it count
    return dict(
        select_in(db.connection(), [Call.call_id, Call.id], Call.call_id, sorted(set(call_ids)))
    )
