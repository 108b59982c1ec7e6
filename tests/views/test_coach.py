"""The coach page: comparison on screen, background exports with progress and download."""

from __future__ import annotations

import base64
import io
import os
import re
import secrets
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlmodel import Session, select

from qa_app import create_app, db
from qa_app.models import ExportJob, User, utcnow
from qa_app.store import jobs as job_runners
from qa_app.store.demo import load_demo
from qa_app.store.flags import jobs as export_jobs
from tests.conftest import RUBRICS_DIR
from tests.views.conftest import csrf_token


@pytest.fixture
def demo(web_app):
    load_demo(db.get_engine_for(web_app), RUBRICS_DIR)
    return web_app


def login_demo(client, email, password):
    token = csrf_token(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"email": email, "password": password, "csrf_token": token})


def wait_for_export(client, fragment: str) -> str:
    token = fragment.split('id="export-', 1)[1].split('"', 1)[0]
    for _ in range(100):
        text = client.get(f"/coach/exports/{token}", headers={"HX-Request": "true"}).get_data(
            as_text=True
        )
        if "Download" in text or "failed" in text:
            return token
        time.sleep(0.1)
    raise AssertionError("export did not finish")


def test_coach_sees_comparison_and_downloads_the_spreadsheet(demo, client):
    login_demo(client, "coach@example.com", "demo-coach-pass")
    page = client.get("/coach").get_data(as_text=True)
    assert 'hx-trigger="load"' in page and "Computing the comparison for saved" in page
    comparison = client.get("/coach", headers={"HX-Request": "true"}).get_data(as_text=True)
    # The demo's October reviews come from a sampling plan: its design weights take over.
    assert "saved (rate) by save script" in comparison and "weighting: plan" in comparison
    assert "weighted by the sampling plan&#39;s design" in comparison
    # Every weighted figure shows its effective sample size.
    assert comparison.count('class="effective-n"') >= 2
    assert "closed_emotional_loop" in comparison
    # Every comparison says it is an association, and each difference has its own interval.
    assert "Association, not effect: calls with and without the flag differ" in comparison
    # The answer first: a sentence with the standardised difference and its interval, then
    # the dot-and-interval chart, then the table; the method behind a disclosure.
    answer = re.search(r'id="coach-answer">(.*?)</p>', comparison, re.S).group(1)
    said = re.compile(
        r"Saved rate with <strong>\w+</strong> (across every save script|on <strong>[\w-]+"
        r"</strong> calls): <strong>[+-]\d+\.\d pts</strong> against calls without it \(95% "
        r"interval [+-]\d+\.\d pts to [+-]\d+\.\d pts\), standardised"
    )
    assert said.search(answer), answer
    assert "An association in reviewed calls, not an effect." in answer
    chart = re.search(r'<figure id="coach-chart">\s*<img src="data:image/svg\+xml;base64,([^"]+)"',
                      comparison)  # fmt: skip
    assert chart and b"<svg" in base64.b64decode(chart.group(1))
    order = [comparison.index(m) for m in ('id="coach-answer"', 'id="coach-chart"',
                                           "How to read these figures", 'class="comparison"')]
    assert order == sorted(order)
    assert "N_h" not in comparison.split("How to read these figures")[0]
    for header in ("standardised difference", "crude", "weighted", "adjusted"):
        assert f"<th>{header}</th>" in comparison
    weighted_cells = comparison.split('<td class="difference weighted secondary">')[1:]
    assert weighted_cells and all('class="interval"' in c.split("</td>")[0]
                                  for c in weighted_cells if "—" not in c.split("</td>")[0])
    # No rate difference or interval beyond ±100% appears.
    figures = [float(v) for v in re.findall(r"(-?\d+\.\d)%", comparison)]
    assert figures and all(-100 <= v <= 100 for v in figures)
    # Credit per save (the demo imports saved and credit_amount) and the equity cuts.
    assert "credit per save with" in comparison
    for segment in ("agent tenure: new (&lt;90 days)", "channel: voice", "interaction type: "):
        assert f"<summary>{segment}" in comparison, segment
    fragment = client.get(
        "/coach?outcome=renewal_intent&channel=voice", headers={"HX-Request": "true"}
    ).get_data(as_text=True)
    assert (
        fragment.lstrip().startswith('<div id="comparison">')
        and "renewal_intent (mean)" in fragment
    )
    backwards = client.get(
        "/coach?since=2026-05-01&until=2026-04-01", headers={"HX-Request": "true"}
    )
    assert backwards.status_code == 422
    assert "since 2026-05-01 is after until 2026-04-01" in backwards.get_data(as_text=True)
    token = csrf_token(page)
    started = client.post(
        "/coach/exports",
        data={"csrf_token": token, "format": "xlsx", "channel": "voice"},
        headers={"HX-Request": "true"},
    ).get_data(as_text=True)
    assert "<progress" in started or "Download" in started or "Exporting" in started
    job = wait_for_export(client, started)
    response = client.get(f"/coach/exports/{job}/download")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith('attachment; filename="flags-empathy')
    sheet = load_workbook(io.BytesIO(response.data))["Flags"]
    channels = {row[5] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert channels == {"voice"} and sheet.max_row > 10


def test_exports_belong_to_who_started_them(demo, client):
    login_demo(client, "coach@example.com", "demo-coach-pass")
    token = csrf_token(client.get("/coach").get_data(as_text=True))
    started = client.post(
        "/coach/exports",
        data={"csrf_token": token, "format": "csv"},
        headers={"HX-Request": "true"},
    ).get_data(as_text=True)
    job = wait_for_export(client, started)
    client.post("/logout", data={"csrf_token": token})
    login_demo(client, "lead@example.com", "demo-lead-pass")
    assert client.get(f"/coach/exports/{job}/download").status_code == 404


def test_bad_export_requests_and_roles(demo, client):
    login_demo(client, "reviewer@example.com", "demo-reviewer-pass")
    assert client.get("/coach").status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/").get_data(as_text=True))})
    login_demo(client, "coach@example.com", "demo-coach-pass")
    page = client.get("/coach?channel=fax", headers={"HX-Request": "true"})
    assert page.status_code == 422 and "no call has channel" in page.get_data(as_text=True)
    token = csrf_token(client.get("/coach").get_data(as_text=True))
    assert (
        client.post("/coach/exports", data={"csrf_token": token, "format": "pdf"}).status_code
        == 422
    )
    started = client.post(
        "/coach/exports",
        data={"csrf_token": token, "format": "xlsx", "channel": "fax"},
        headers={"HX-Request": "true"},
    ).get_data(as_text=True)
    wait_for_export(client, started)
    job = started.split('id="export-', 1)[1].split('"', 1)[0]
    status = client.get(f"/coach/exports/{job}").get_data(as_text=True)
    assert "Export failed: no call has channel" in status


def dead_pid() -> int:
    """The id of a process of this machine that has ended."""
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)  # fmt: skip
    return int(ended.stdout)


def add_export(app, runner: str, age: timedelta = timedelta(0)) -> ExportJob:
    with Session(db.get_engine_for(app)) as session:
        coach = session.exec(select(User).where(User.email == "coach@example.com")).one()
        job = ExportJob(
            token=secrets.token_urlsafe(8), created_by=coach.id, file_format="csv",
            status="running", runner=runner, done_rows=0, total_rows=193,
            updated_at=utcnow() - age,
        )  # fmt: skip
        session.add(job)
        session.commit()
        session.refresh(job)
        return job


def test_an_export_whose_process_died_says_so_at_once_and_is_failed_at_the_next_start(
    demo, client, db_url
):
    login_demo(client, "coach@example.com", "demo-coach-pass")
    dead = add_export(demo, f"{job_runners.HOST}:{dead_pid()}")
    alive = add_export(demo, f"{job_runners.HOST}:{os.getppid()}")
    # Not the "running 0 of 193" of a job nobody runs, for two minutes: stopped, now.
    page = client.get(f"/coach/exports/{dead.token}").get_data(as_text=True)
    assert "This export stopped" in page and "0 of 193" not in page
    page = client.get(f"/coach/exports/{alive.token}").get_data(as_text=True)
    assert "0 of 193" in page and "stopped" not in page
    restarted = create_app({"DATABASE_URL": db_url, "TESTING": True})
    db.get_engine_for(restarted).dispose()
    with Session(db.get_engine_for(demo)) as session:
        assert session.get(ExportJob, dead.id).status == "failed"
        assert session.get(ExportJob, dead.id).error == export_jobs.STOPPED
        assert session.get(ExportJob, alive.id).status == "running"
