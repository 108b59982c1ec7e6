"""The team board page: the full page and the htmx sort fragment from one partial, team names
escaped, the association caveat, roles, bad choices refused with a message, and the XLSX
download with formula-like team names neutralised."""

from __future__ import annotations

import io
import re

from openpyxl import load_workbook

from qa_app import db
from tests.store.test_recognition_board import AS_OF, HOSTILE, add_world

BOARD = f"/outreach/board?quarter=2025Q3&as_of={AS_OF}"
HTMX = {"HX-Request": "true"}


def teams_in_order(html: str) -> list[str]:
    return re.findall(r'<tr data-team="([^"]*)">', html)


def test_board_page_sorts_with_a_fragment(web_app, users, client, auth):
    add_world(db.get_engine_for(web_app))
    auth.login("coach@test.example")
    page = client.get(BOARD)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<h1>Team board" in html and 'href="/outreach/board"' in html  # the nav link
    assert "Read with care." in html and "not proof" in html
    # Three followed up is too few for an interval: the rate says so instead.
    assert "no interval" in html and "Wilson 95% interval" in html
    escaped = "=HYPERLINK(&#34;https://example.com&#34;,&#34;&lt;b&gt;x&lt;/b&gt;&#34;)"
    assert "<b>x</b>" not in html and escaped in html
    assert teams_in_order(html) == [escaped, "Harbour", "Summit"]  # by team, A to Z ('=' first)
    # The column header links ask for the fragment; the current sort flips direction.
    assert 'hx-get="/outreach/board?quarter=2025Q3' in html
    fragment = client.get(f"{BOARD}&sort=retention_rate&dir=asc", headers=HTMX)
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200
    assert body.lstrip().startswith('<div id="team-board">') and "<html" not in body
    assert teams_in_order(body) == ["Harbour", escaped, "Summit"]  # 2 of 3, then 1 of 1 twice
    assert 'aria-sort="ascending"' in body and "dir=desc" in body
    # A boosted or plain request for the same address gets the whole page, same order.
    full = client.get(f"{BOARD}&sort=retention_rate&dir=asc").get_data(as_text=True)
    assert "<html" in full and teams_in_order(full) == teams_in_order(body)


def test_bad_choices_and_roles(web_app, users, client, auth):
    auth.login("lead@test.example")
    bad = client.get("/outreach/board?quarter=Q3-2025&sort=fame", headers=HTMX)
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert "quarter: &#39;Q3-2025&#39; is not a quarter" in text
    assert "sort: &#39;fame&#39; is not a column" in text
    ancient = client.get("/outreach/board?as_of=0001-01-01")
    assert (
        ancient.status_code == 422
        and "as of: 0001-01-01 is outside the years" in ancient.get_data(as_text=True)
    )
    future = client.get("/outreach/board?as_of=2199-01-01")
    assert future.status_code == 422
    assert "as of: 2199-01-01 is after today" in future.get_data(as_text=True)
    assert client.get("/outreach/board.xlsx?as_of=2199-01-01").status_code == 422
    empty = client.get(BOARD).get_data(as_text=True)
    assert "No alert worked and no save call in 2025Q3 or 2025Q2." in empty
    auth.logout()
    auth.login("reviewer@test.example")
    assert client.get(BOARD).status_code == 403
    assert client.get(BOARD.replace("board", "board.xlsx")).status_code == 403


def test_xlsx_download_keeps_the_sort_and_neutralises_formulas(web_app, users, client, auth):
    add_world(db.get_engine_for(web_app))
    auth.login("admin@test.example")
    page = client.get(f"{BOARD}&sort=credit&dir=desc").get_data(as_text=True)
    link = re.search(r'href="([^"]+)"[^>]*id="board-export"', page).group(1).replace("&amp;", "&")
    download = client.get(link)
    assert download.status_code == 200
    assert "team-board-2025Q3-as-of-2026-01-31.xlsx" in download.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(download.data))["Team board"]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)]
    # Credit, most first: Harbour 35, Summit 12, the formula team 0 (text, not a formula).
    assert [row[0] for row in rows] == ["Harbour", "Summit", "'" + HOSTILE]
    assert all(row[0].data_type == "s" for row in sheet.iter_rows(min_row=2))
