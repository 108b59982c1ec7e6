"""Scratch files a killed import or export left behind are removed at the next start; nothing
that is not ours, or that may still be in use, is touched."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

from qa_app import create_app, db, scratch

DAY = 24 * 3600


def make(path, old: bool, folder: bool = True):
    if folder:
        path.mkdir()
        (path / "calls.csv").write_text("call_id\nC-1\n", encoding="utf-8")
    else:
        path.write_text("x", encoding="utf-8")
    if old:
        stamp = time.time() - DAY
        for item in (path, *path.iterdir()) if folder else (path,):
            os.utime(item, (stamp, stamp))
    return path


def test_only_our_old_scratch_folders_are_removed(tmp_path):
    left = make(tmp_path / "qa-app-upload-abc123", old=True)
    xlsx = make(tmp_path / "qa-app-xlsx-def456", old=True)
    stray_file = make(tmp_path / "qa-app-upload-file", old=True, folder=False)
    running = make(tmp_path / "qa-app-xlsx-running", old=True)
    (running / "sheet1.xml").write_text("<row/>", encoding="utf-8")  # still being written
    young = make(tmp_path / "qa-app-upload-young", old=False)
    foreign = make(tmp_path / "tmp8f3k2", old=True)
    other_app = make(tmp_path / "upload-qa-app-x", old=True)
    openpyxl_left = make(tmp_path / "openpyxl.k3j9sheet1.xml", old=True, folder=False)
    openpyxl_writing = make(tmp_path / "openpyxl.w8x2sheet1.xml", old=False, folder=False)

    removed = scratch.remove_stale(tmp_path)

    assert sorted(removed) == sorted([left, xlsx, stray_file, openpyxl_left])
    assert openpyxl_writing.exists()
    assert not left.exists() and not xlsx.exists() and not stray_file.exists()
    assert running.exists() and young.exists() and foreign.exists() and other_app.exists()


def test_the_app_cleans_the_temporary_directory_once_at_start(tmp_path, monkeypatch):
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    monkeypatch.setattr(scratch, "_cleaned_this_process", False)
    left = make(temp / "qa-app-upload-killed", old=True)
    young = make(temp / "qa-app-upload-in-use", old=False)
    url = f"sqlite:///{tmp_path / 'app.sqlite3'}"

    app = create_app({"DATABASE_URL": url, "CHECK_SCHEMA": False})
    db.get_engine_for(app).dispose()
    assert not left.exists() and young.exists()

    later = make(temp / "qa-app-xlsx-later", old=True)
    app = create_app({"DATABASE_URL": url, "CHECK_SCHEMA": False})
    db.get_engine_for(app).dispose()
    assert later.exists()  # once per process: not on every app a command builds


def finished_pid() -> int:
    process = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(process.stdout)


def test_a_killed_exports_partial_file_is_removed_beside_the_next_export(tmp_path):
    target = tmp_path / "flags.xlsx"
    gone = finished_pid()
    killed = make(tmp_path / f".flags.xlsx.{gone}.partial", old=True, folder=False)
    recent = make(tmp_path / f".flags.xlsx.{gone + 1}.partial", old=False, folder=False)
    alive = make(tmp_path / f".flags.xlsx.{os.getpid()}.partial", old=True, folder=False)
    other = make(tmp_path / f".other.xlsx.{gone}.partial", old=True, folder=False)
    users_file = make(tmp_path / "flags.xlsx.partial", old=True, folder=False)

    assert scratch.remove_stale_partials(target) == [killed]
    assert recent.exists() and alive.exists() and other.exists() and users_file.exists()
    assert scratch.partial_path(target).name == f".flags.xlsx.{os.getpid()}.partial"
