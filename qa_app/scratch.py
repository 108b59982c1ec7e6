"""Scratch files the app writes while it works, named so that what a killed process left
behind can be found and removed at the next start.

Uploads being imported and XLSX exports being assembled live in folders in the system's
temporary directory whose names start with one of :data:`PREFIXES`; an interrupted command
export leaves ``.<name>.<pid>.partial`` beside its target. ``tempfile.TemporaryFile``
(export_service) needs nothing: it has no name, so it goes with the process.
No Flask and no database here: the CLI uses it too.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from pathlib import Path

UPLOAD_PREFIX = "qa-app-upload-"
XLSX_PREFIX = "qa-app-xlsx-"  # domain/flag_export.py's scratch folder
# openpyxl's own temporary files (worksheet XML while a write-only workbook is assembled):
# removed by openpyxl when the workbook is saved, left behind by a killed export.
OPENPYXL_PREFIX = "openpyxl."
PREFIXES = (UPLOAD_PREFIX, XLSX_PREFIX, OPENPYXL_PREFIX)
# Old enough that no import or export still running (on this or another server process on the
# same machine) can be using it: a running export keeps writing, so its folder stays young.
STALE_AFTER_SECONDS = 6 * 3600

_cleaned_this_process = False


def _newest_change(path: Path) -> float:
    """The latest modification time of ``path`` or anything in it (links are not followed)."""
    newest = path.lstat().st_mtime
    if path.is_dir() and not path.is_symlink():
        for folder, dirs, files in os.walk(path):
            for name in dirs + files:
                try:
                    newest = max(newest, os.lstat(os.path.join(folder, name)).st_mtime)
                except FileNotFoundError:
                    continue
    return newest


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def remove_stale(
    folder: Path | None = None, older_than: float = STALE_AFTER_SECONDS, now: float | None = None
) -> list[Path]:
    """Remove our scratch folders in ``folder`` (the system temporary directory) untouched for
    ``older_than`` seconds; returns what was removed.

    Only names with our prefixes, owned by this user, are considered: anything else in a
    shared temporary directory belongs to someone else.
    """
    folder = Path(folder or tempfile.gettempdir())
    cutoff = (time.time() if now is None else now) - older_than
    removed = []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return removed
    for path in entries:
        if not path.name.startswith(PREFIXES):
            continue
        try:
            if path.lstat().st_uid != os.getuid() or _newest_change(path) > cutoff:
                continue
        except FileNotFoundError:  # removed meanwhile, e.g. by its own process
            continue
        _remove(path)
        removed.append(path)
    return removed


def remove_stale_once(logger=None) -> None:
    """:func:`remove_stale`, once per process (create_app runs for every command and server)."""
    global _cleaned_this_process
    if _cleaned_this_process:
        return
    _cleaned_this_process = True
    removed = remove_stale()
    if removed and logger is not None:
        logger.info(
            "removed %d scratch folder(s) left by an interrupted import or export", len(removed)
        )


def partial_path(target: Path) -> Path:
    """Where a command writes ``target`` before renaming it into place."""
    return target.with_name(f".{target.name}.{os.getpid()}.partial")


def remove_stale_partials(
    target: Path, older_than: float = STALE_AFTER_SECONDS, now: float | None = None
) -> list[Path]:
    """Remove ``.<target>.<pid>.partial`` files beside ``target`` left by an export that was
    killed: older than ``older_than`` seconds and written by no process running here (the
    folder may be shared with another machine, so the age alone must already be safe)."""
    pattern = re.compile(rf"^\.{re.escape(target.name)}\.(\d+)\.partial$")
    cutoff = (time.time() if now is None else now) - older_than
    removed = []
    try:
        entries = list(target.parent.iterdir())
    except OSError:
        return removed
    for path in entries:
        match = pattern.match(path.name)
        if match is None or path.is_dir():
            continue
        try:
            old = path.lstat().st_mtime <= cutoff
        except FileNotFoundError:
            continue
        if old and not _running(int(match.group(1))):
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def _running(pid: int) -> bool:
    """Whether a process with this id runs on this machine (it may be another user's)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True  # exists but is not ours, or cannot tell: leave the file alone
    return True
