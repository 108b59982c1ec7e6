"""Uploads run in the background: the page answers at once, shows progress, then the report."""

from __future__ import annotations

import os
import threading
import time
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from qa_app import create_app, db
from qa_app.models import Call, ImportJob, User, utcnow
from qa_app.store import jobs as job_runners
from qa_app.store.imports import jobs as import_jobs
from qa_app.store.imports import service as import_service
from qa_app.store.users import create_user
from tests.conftest import RUBRICS_DIR
from tests.store.helpers import snapshot
from tests.views.conftest import PASSWORD, csrf_token
from tests.views.imports import JOB_PATH, post_upload, upload, wait_for_job

CALLS = b"call_id,agent,transcript\nN-1,Ana,Agent: Hi\nN-2,Ben,Agent: Hello\n"


def jobs(app) -> list[ImportJob]:
    with Session(db.get_engine_for(app)) as session:
        return list(session.exec(select(ImportJob).order_by(ImportJob.id)))


def calls(app) -> set[str]:
    with Session(db.get_engine_for(app)) as session:
        return set(session.exec(select(Call.call_id)))


@pytest.fixture
def held_import(monkeypatch):
    """The import stops half-way through writing (4 of 10 records) until the test lets go."""
    release, reached = threading.Event(), threading.Event()

    def slow_import(engine, kind, path, *, progress_factory=None, **options):
        progress = progress_factory(10)
        progress.update(4)
        reached.set()
        assert release.wait(30), "the test never let the import go on"
        return import_service.run_import(engine, kind, path, **options)

    monkeypatch.setattr(import_jobs, "run_import", slow_import)
    yield reached, release
    release.set()  # a failing test must not leave the thread waiting


def test_an_upload_answers_at_once_and_the_job_page_shows_progress_then_the_report(
    scoring, auth, client, held_import
):
    reached, release = held_import
    auth.login("lead@test.example")
    token = csrf_token(client.get("/imports").get_data(as_text=True))
    response = post_upload(client, token, "calls", CALLS, "calls.csv")
    # The import is still waiting half-way, yet the upload has been answered: a redirect.
    assert response.status_code == 303
    location = response.headers["Location"]
    assert location.startswith(JOB_PATH)
    assert reached.wait(10)
    page = client.get(location).get_data(as_text=True)
    assert '<progress value="4" max="10">' in page
    assert "calls.csv: writing 4 of 10 calls" in page
    assert "Imported" not in page and calls(scoring) == {"C-1", "C-2", "C-3"}
    fragment = client.get(location, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert fragment.startswith('<div id="import-job"') and "<html" not in fragment
    assert f'hx-get="{location}"' in fragment and "writing 4 of 10 calls" in fragment
    if db.get_engine_for(scoring).dialect.name != "sqlite":
        # Other server processes read the progress from the row (throttled writes).
        deadline = time.monotonic() + 10
        while jobs(scoring)[-1].done_rows != 4 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert (jobs(scoring)[-1].done_rows, jobs(scoring)[-1].total_rows) == (4, 10)
    release.set()
    final = wait_for_job(client, location).get_data(as_text=True)
    assert "calls.csv: calls" in final
    assert "Imported 2 rows (2 calls): 2 created, 0 updated,\n       0 unchanged." in final
    assert "<progress" not in final and "hx-get" not in final.split('id="import-job"')[1]
    assert {"N-1", "N-2"} <= calls(scoring)
    [job] = jobs(scoring)
    assert job.status == "done" and job.summary["written"]["created"] == 2


def test_a_refused_import_keeps_every_row_error_and_writes_nothing(scoring, auth, client):
    """More invalid rows than the page lists: the count stays whole, nothing is written."""
    auth.login("lead@test.example")
    token = csrf_token(client.get("/imports").get_data(as_text=True))
    before = snapshot(db.get_engine_for(scoring))
    rows = "".join(f"B-{n},,Agent: hi\n" for n in range(250))
    page = upload(client, token, "calls", f"call_id,agent,transcript\n{rows}".encode(), "b.csv")
    text = page.get_data(as_text=True)
    assert "250 invalid row(s); nothing was imported" in text
    assert "<td>2</td><td>agent is empty</td>" in text
    assert "<td>201</td><td>agent is empty</td>" in text  # the 200th error is shown
    assert "<td>202</td>" not in text and "… and 50 more." in text
    assert snapshot(db.get_engine_for(scoring)) == before


def test_an_unreadable_file_fails_with_its_reason(scoring, auth, client):
    auth.login("admin@test.example")
    token = csrf_token(client.get("/imports").get_data(as_text=True))
    page = upload(client, token, "calls", b"this is not a workbook", "calls.xlsx")
    text = page.get_data(as_text=True)
    assert "calls.xlsx: calls import failed:" in text
    assert "Nothing was imported; fix the file and choose it again." in text
    assert calls(scoring) == {"C-1", "C-2", "C-3"}


def test_a_file_of_the_wrong_type_for_its_kind_is_refused_at_once(scoring, auth, client):
    auth.login("lead@test.example")
    token = csrf_token(client.get("/imports").get_data(as_text=True))
    response = post_upload(client, token, "outcomes", b'{"call_id": "C-1"}\n', "o.jsonl")
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "o.jsonl: outcomes come in a .csv or .xlsx file. Choose the file again." in text
    assert jobs(scoring) == []


def test_an_upload_without_its_csrf_token_starts_nothing(scoring, auth, client):
    auth.login("lead@test.example")
    response = post_upload(client, "forged", "calls", CALLS, "calls.csv")
    assert response.status_code == 400
    assert jobs(scoring) == []


def test_only_the_uploader_and_admins_see_a_job(scoring, auth, client):
    with db.transaction(db.get_engine_for(scoring)) as session:
        create_user(session, "lead2@test.example", "Other Lead", "lead", PASSWORD)
    auth.login("lead@test.example")
    token = csrf_token(client.get("/imports").get_data(as_text=True))
    response = post_upload(client, token, "calls", CALLS, "calls.csv")
    location = response.headers["Location"]
    wait_for_job(client, location)
    # The job's address is not derived from anything another user knows.
    assert len(location.removeprefix(JOB_PATH)) >= 32
    auth.logout()
    auth.login("lead2@test.example")
    other = client.get(location)
    assert other.status_code == 404 and "calls.csv" not in other.get_data(as_text=True)
    fragment = client.get(location, headers={"HX-Request": "true"})
    assert fragment.status_code == 404 and "Imported" not in fragment.get_data(as_text=True)
    auth.logout()
    auth.login("reviewer@test.example")
    assert client.get(location).status_code == 403
    auth.logout()
    auth.login("admin@test.example")
    seen = client.get(location).get_data(as_text=True)
    assert "Imported 2 rows (2 calls): 2 created" in seen, seen.split("<main")[1]


def add_job(app, runner: str, age: timedelta = timedelta(0)) -> ImportJob:
    with db.transaction(db.get_engine_for(app)) as session:
        lead = session.exec(select(User).where(User.email == "lead@test.example")).one()
        job = import_jobs.create(session, lead, "calls", {}, "big.csv")
        job.status, job.runner = "running", runner
        job.updated_at = utcnow() - age
    return job


def test_a_job_whose_server_process_died_is_reported_as_stopped(scoring, auth, client):
    # Run by this process, which has no such job running: the process that ran it is gone.
    job = add_job(scoring, job_runners.runner_id())
    auth.login("lead@test.example")
    text = client.get(f"{JOB_PATH}{job.token}").get_data(as_text=True)
    assert "the server stopped during the import; nothing was written" in text
    assert "hx-get" not in text.split('id="import-job"')[1]
    assert jobs(scoring)[0].status == "failed"


def test_a_running_job_of_another_live_process_is_left_alone(scoring, auth, client):
    job = add_job(scoring, f"{job_runners.HOST}:{os.getppid()}")
    auth.login("lead@test.example")
    text = client.get(f"{JOB_PATH}{job.token}").get_data(as_text=True)
    assert "reading and checking the calls file" in text and "stopped" not in text
    assert jobs(scoring)[0].status == "running"


def test_a_start_marks_the_jobs_of_dead_processes_failed(scoring, db_url):
    mine = add_job(scoring, job_runners.runner_id())  # e.g. pid 1 in a restarted container
    alive = add_job(scoring, f"{job_runners.HOST}:{os.getppid()}")
    # Another machine: only the heartbeat tells (PostgreSQL; SQLite is one machine's file).
    silent = add_job(scoring, "elsewhere:12", age=timedelta(minutes=5))
    fresh = add_job(scoring, "elsewhere:13")
    restarted = create_app(
        {"DATABASE_URL": db_url, "TESTING": True, "RUBRICS_DIR": str(RUBRICS_DIR)}
    )
    db.get_engine_for(restarted).dispose()
    status = {job.token: (job.status, job.error) for job in jobs(scoring)}
    stopped = ("failed", import_jobs.STOPPED)
    assert status[mine.token] == stopped
    assert status[alive.token] == status[fresh.token] == ("running", "")
    postgres = db.get_engine_for(scoring).dialect.name != "sqlite"
    assert status[silent.token] == (stopped if postgres else ("running", ""))
