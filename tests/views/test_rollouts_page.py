"""The Rollouts page: a pasted rollout file and a metric give the DiD report with its chart."""

from __future__ import annotations

import base64
import re

from tests.cli.test_rollout_cli import ADOPTED, EFFECT, _load_calls
from tests.views.conftest import csrf_token


def _form(client, **fields):
    page = client.get("/rollouts")
    assert page.status_code == 200
    data = {
        "csrf_token": csrf_token(page.get_data(as_text=True)),
        "content": "queue,adopted_on\n" + "".join(f"{q},{d}\n" for q, d in ADOPTED.items()),
        "metric": "outcome:csat",
        "method": "did",
        "period": "month",
        "control": "never",
        "window": "4",
        "unit_kind": "",
    }
    return client.post("/rollouts", data=data | fields)


def test_coach_reads_the_report_with_its_event_study_chart(
    web_app, users, auth, client, cli, tmp_path
):
    _load_calls(cli, tmp_path)
    auth.login("coach@test.example")
    assert 'href="/rollouts"' in client.get("/").get_data(as_text=True)
    assert "outcome:csat" in client.get("/rollouts").get_data(as_text=True)
    response = _form(client)
    assert response.status_code == 200, response.get_data(as_text=True)[-2000:]
    page = response.get_data(as_text=True)
    low, high = (
        float(x) for x in re.search(r'data-figure="ci">(-?[\d.]+) to (-?[\d.]+)<', page).groups()
    )
    assert low <= EFFECT <= high
    assert "Association, not effect." in page
    assert "no evidence against parallel trends" in page or "pre-trends differ" in page
    chart = re.search(r'<img src="data:image/svg\+xml;base64,([^"]+)"', page)
    assert chart and b"<svg" in base64.b64decode(chart.group(1))
    assert 'id="rollout-placebos"' in page and 'id="rollout-sensitivity"' in page
    assert "<li>1 period(s) early (fake start 2025-05, 2025-07): " in page


def test_problems_are_shown_escaped_and_nothing_runs(web_app, users, auth, client, cli, tmp_path):
    _load_calls(cli, tmp_path)
    auth.login("lead@test.example")
    response = _form(client, content="queue,adopted_on\n<b>Q1</b>,soon\n")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "row 2: column &#39;adopted_on&#39;: &#39;soon&#39; is not a date" in page
    response = _form(
        client,
        content="queue,adopted_on\nQ1,2025-06-01\n<b>Z</b>,2025-06-01\n",
        metric="outcome:nps",
    )
    assert response.status_code == 422
    assert "no outcome named &#39;nps&#39;" in response.get_data(as_text=True)
    response = _form(client, method="synth")
    assert response.status_code == 422
    assert "exactly one adopting unit; this rollout has 4" in response.get_data(as_text=True)


def test_out_of_range_or_trailing_dates_and_oversized_text_are_refused(
    web_app, users, auth, client, cli, tmp_path
):
    """Years 0001 and 9999 once passed the file check and crashed the page with a 500; text
    past a date was cut off; pasted text over the limit was cut silently."""
    _load_calls(cli, tmp_path)
    auth.login("lead@test.example")
    response = _form(
        client, content="queue,adopted_on\nQ1,0001-01-05\nQ3,9999-12-01\nQ4,2025-06-02junk\n"
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Nothing was evaluated" in page and "Result (" not in page
    assert "row 2: column &#39;adopted_on&#39;: &#39;0001-01-05&#39; is outside the years" in page
    assert "row 3: column &#39;adopted_on&#39;: &#39;9999-12-01&#39; is outside the years" in page
    assert "row 4: column &#39;adopted_on&#39;: &#39;2025-06-02junk&#39; is not a date" in page
    rows = "queue,adopted_on\n" + "Q1,2025-06-10\n" * 80_000  # 1,120,017 characters
    response = _form(client, content=rows)
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "pasted text: 1,120,017 characters, over the limit of 1,000,000" in page
    assert "Result (" not in page


def test_reviewers_may_not_use_the_page(web_app, users, auth, client):
    auth.login("reviewer@test.example")
    assert client.get("/rollouts").status_code == 403


def test_a_rollout_to_one_queue_shows_the_synthetic_control_and_its_gap_chart(
    web_app, users, auth, client, cli, tmp_path
):
    _load_calls(cli, tmp_path)
    auth.login("lead@test.example")
    response = _form(
        client, content="queue,adopted_on\nQ1,2025-06-10\n", method="synth", window="5"
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page[-2000:]
    assert "Result (synthetic control)" in page
    assert 'id="rollout-weights"' in page and 'data-figure="placebo_p_value"' in page
    chart = re.search(r'<img src="data:image/svg\+xml;base64,([^"]+)"', page)
    assert chart and b"<svg" in base64.b64decode(chart.group(1))


def test_an_effect_on_a_rate_reads_in_percentage_points(web_app, users, auth, client, cli,
                                                        tmp_path):  # fmt: skip
    """A 0/1 outcome (saved) is a rate: its effect and interval are shown as points (−14.4
    pts), not as a raw proportion (−0.1442); a numeric outcome keeps its own units."""
    _load_calls(cli, tmp_path)
    saved = ["call_id,saved"] + [
        f"Q{q}-{m:02d}-{k},{(q * 7 + m * 3 + k) % 2}"
        for q in range(1, 9) for m in range(1, 13) for k in range(3)
    ]  # fmt: skip
    (tmp_path / "saved.csv").write_text("\n".join(saved) + "\n")
    assert cli("import", "outcomes", tmp_path / "saved.csv").exit_code == 0
    auth.login("coach@test.example")
    page = _form(client, metric="outcome:saved").get_data(as_text=True)
    att = re.search(r'data-figure="att">([^<]+)<', page).group(1)
    assert re.fullmatch(r"[+-]\d+\.\d pts", att), att
    ci = re.search(r'data-figure="ci">([^<]+)<', page).group(1)
    assert re.fullmatch(r"[+-]\d+\.\d pts to [+-]\d+\.\d pts", ci), ci
    numeric = _form(client).get_data(as_text=True)
    assert re.search(r'data-figure="att">-?\d+\.\d{4}<', numeric)
