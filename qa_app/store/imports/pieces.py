"""A CSV of calls imported a piece at a time, in flat memory, still all or nothing.

The file is read, checked and written ``PIECE_ROWS`` rows at a time inside one transaction:
what the process holds is one piece, whatever the file's length (a million-call file read
whole held 2.9 GB). Calls seen in earlier pieces are remembered in a temporary table on the
import's own connection, so a call_id repeated anywhere in the file is refused as it is in a
file read whole, with the row it first appeared in. A problem anywhere (an invalid row
without --skip-invalid, a stored value the file would replace without --replace, the file
turning out unreadable part way) rolls back every piece already written.
"""

from __future__ import annotations

import csv
import queue
import threading
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

from sqlalchemy import Column, Integer, MetaData, Table, Text

from qa_app.db import transaction
from qa_app.domain.files.csv_readers import csv_chunks
from qa_app.domain.files.reports import ImportReport
from qa_app.domain.files.tables import Table as FileTable
from qa_app.domain.imports.calls import call_id_of, validate_calls
from qa_app.store import calls as call_store

PIECE_ROWS = 5_000


class _RollBack(Exception):
    """Ends the transaction without writing: a dry run, or rows refused without --skip-invalid."""


# A temporary table of the import's own connection, never part of the schema. SQLite's
# driver may run the CREATE outside the transaction, so a table left by an earlier import
# on the same pooled connection is emptied rather than created again.
SEEN = Table(
    "import_seen_call_ids",
    MetaData(),
    Column("call_id", Text, primary_key=True),
    Column("row_number", Integer, nullable=False),
)
_CREATE_SEEN = (
    "CREATE TEMPORARY TABLE IF NOT EXISTS import_seen_call_ids "
    "(call_id TEXT PRIMARY KEY, row_number INTEGER NOT NULL)"
)


def import_calls_in_pieces(engine, path: Path, result, options, write_audit) -> None:
    """Read, check and write the calls of the CSV at ``path`` into ``result`` (an
    ImportResult), as run_import does for a file read whole.

    ``options`` holds skip_invalid, dry_run, replace, source, who and progress_factory;
    ``write_audit(db, result)`` records the import once everything is written.
    """
    columns, pieces = csv_chunks(path, PIECE_ROWS)
    result.table = FileTable(columns, [])
    report = result.report = ImportReport()
    result.records_seen = 0
    present = [f for f in call_store.CALL_FIELDS if f in columns]
    progress = options.progress_factory(_rows_estimate(path)) if options.progress_factory else None
    written, refused, existing = call_store.WriteResult(), [], 0
    try:
        with transaction(engine) as db:
            connection = db.connection()
            seen = SEEN
            connection.exec_driver_sql(_CREATE_SEEN)
            connection.exec_driver_sql("DELETE FROM import_seen_call_ids")
            any_piece = False
            # Reading and checking run a piece or two ahead in a thread while this one
            # writes: the database's own work (PostgreSQL's, in its server process) overlaps
            # the Python work of the next piece.
            for piece, checked in _ahead((piece, validate_calls(piece)) for piece in pieces):
                part = _settle(connection, seen, piece, checked, first=not any_piece)
                any_piece = True
                report.errors.extend(part.errors)
                report.rejected_rows.update(part.rejected_rows)
                report.warnings.extend(w for w in part.warnings if w not in report.warnings)
                result.records_seen += len(part.records)
                writing = not options.dry_run and not refused
                writing = writing and (options.skip_invalid or not report.errors)
                if writing and part.records:
                    try:
                        done = call_store.upsert_calls(
                            db, part.records, None, present, options.source,
                            replace=options.replace, actor=options.who,
                        )  # fmt: skip
                    except call_store.ChangesRefused as exc:
                        refused.extend(exc.changes)
                    else:
                        for name in ("created", "updated", "unchanged", "transcripts_kept"):
                            setattr(written, name, getattr(written, name) + getattr(done, name))
                elif part.records:
                    ids = [record.call_id for record in part.records]
                    existing += len(call_store.existing_call_ids(db, ids))
                if progress:
                    progress.update(len(piece.rows))
            if not any_piece:  # a header and nothing else: its own checks, as a whole file
                header = validate_calls(FileTable(columns, []))
                report.errors, report.rejected_rows = header.errors, header.rejected_rows
                report.warnings = header.warnings
            connection.exec_driver_sql("DROP TABLE import_seen_call_ids")
            result.existing_calls = existing + written.updated + written.unchanged
            if refused:
                raise call_store.ChangesRefused(refused)
            if options.dry_run or (report.errors and not options.skip_invalid):
                raise _RollBack
            result.written = written
            write_audit(db, result)
    except _RollBack:
        result.written = None
    except call_store.ChangesRefused as exc:
        result.written = None
        result.refused_changes = exc.changes
    finally:
        if progress:
            progress.close()


def _settle(
    connection, seen: Table, piece: FileTable, part: ImportReport, first: bool
) -> ImportReport:
    """A piece's own check made a check of the whole file: a call_id of an earlier piece is
    a duplicate naming the row it first appeared in (its rows are checked again knowing
    that, so their messages are those of a file read whole); the piece's own call_ids are
    remembered for the pieces after it."""
    ids: dict[str, int] = {}
    for row, raw in piece.rows:
        if "__error__" not in raw and (call_id := call_id_of(raw)):
            ids.setdefault(call_id, row)
    earlier = dict(
        call_store.select_in(connection, [seen.c.call_id, seen.c.row_number], seen.c.call_id,
                             list(ids))
    )  # fmt: skip
    if earlier:
        again = FileTable(
            piece.columns,
            [(row, raw) for row, raw in piece.rows
             if "__error__" not in raw and call_id_of(raw) in earlier],
            piece.row_unit,
        )  # fmt: skip
        redone = validate_calls(again, dict(earlier))
        rows = {row for row, _raw in again.rows}
        part.records = [record for record in part.records if record.row not in rows]
        part.errors = sorted(
            [error for error in part.errors if error.row not in rows] + redone.errors,
            key=lambda error: error.row,
        )
        for row in rows:
            part.rejected_rows.pop(row, None)
        part.rejected_rows.update(redone.rejected_rows)
    if not first:
        part.warnings = []  # said once, for the first piece
    new = [(call_id, row) for call_id, row in ids.items() if call_id not in earlier]
    if new:
        call_store.insert_rows(
            connection, SimpleNamespace(__table__=seen), ("call_id", "row_number"), new
        )
    return part


def _ahead(items: Iterator, depth: int = 2) -> Iterator:
    """``items`` worked out in a thread, at most ``depth`` ahead of the one using them;
    an exception there (the file unreadable part way) is raised here, in its place."""
    done = object()
    waiting: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def offer(entry) -> bool:
        while not stop.is_set():
            try:
                waiting.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False  # the reader stopped listening

    def produce() -> None:
        try:
            for item in items:
                if not offer((item, None)):
                    return
            offer((done, None))
        except Exception as exc:  # handed over in the items' place
            offer((done, exc))

    worker = threading.Thread(target=produce, name="qa-app-import-reader", daemon=True)
    worker.start()
    try:
        while True:
            item, problem = waiting.get()
            if problem is not None:
                raise problem
            if item is done:
                return
            yield item
    finally:
        stop.set()
        worker.join()


def _rows_estimate(path: Path) -> int:
    """The file's records less the header, for the progress bar: one quick pass of the csv
    module, holding nothing (a cell may span lines, so lines are no count of rows)."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return max(sum(1 for _record in csv.reader(handle)) - 1, 1)
    except (UnicodeDecodeError, csv.Error):
        return 1  # the import itself says what is wrong with the file
