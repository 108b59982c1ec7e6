"""GET /api/v1/calibration/sessions: blind sessions never, revealed ones with the same
agreement the lead's dashboard shows."""

from __future__ import annotations

import re

from tests.api.conftest import make_token
from tests.views.test_calibration import (
    CALLS,
    create,
    demo,  # noqa: F401 (fixture)
    lead,  # noqa: F401 (fixture)
    score_as_reviewer,
    step,
)


def test_a_session_is_read_only_once_revealed_with_the_dashboards_agreement(demo, lead):  # noqa: F811
    token = make_token(demo, "lead@example.com", "calibration:read")
    api = demo.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    session_id, _links, csrf = create(lead, panelists="")
    step(lead, session_id, csrf, "open")
    score_as_reviewer(demo, session_id, "reviewer", "demo-reviewer-pass")
    score_as_reviewer(demo, session_id, "reviewer2", "demo-reviewer2-pass")
    assert api.get("/api/v1/calibration/sessions", headers=headers).get_json()["items"] == []
    step(lead, session_id, csrf, "revealed")
    page = api.get("/api/v1/calibration/sessions", headers=headers).get_json()
    (session,) = page["items"]
    assert session["name"] == "June calibration" and session["state"] == "revealed"
    assert session["rubric"] == "empathy@1" and page["next_cursor"] is None
    everyone = session["agreement"]["everyone"]
    assert set(everyone["dimensions"]) == {"acknowledgment", "summary", "next_steps",
                                           "loop_closure"}  # fmt: skip
    dashboard = lead.get(f"/calibration/{session_id}/dashboard").get_data(as_text=True)
    shown = re.search(r'data-group="everyone" data-dimension="overall">.*?class="alpha">([^<]*)<',
                      dashboard, re.S).group(1).strip()  # fmt: skip
    assert f"{everyone['overall']['alpha']:.3f}" == shown
    assert session["agreement"]["panel"] is None  # no panel in this session
    assert session["consensus"] == {} and len(CALLS) == 3
