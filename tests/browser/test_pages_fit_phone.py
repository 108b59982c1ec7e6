"""Every main page fits a 390 px wide phone: nothing scrolls the whole page sideways.

Wide tables scroll inside their own box; the navigation wraps; long words in transcripts
break. One browser context per role keeps it reasonably fast.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from qa_app import create_app, db
from qa_app.domain.rubrics.scoring import DimensionAnswer
from qa_app.models import Assignment, Call, Review, RubricVersion, TranscriptTurn
from qa_app.store.calibration import participants as participant_store
from qa_app.store.calibration import sessions as store
from qa_app.store.demo import load_demo
from qa_app.store.rubrics import rubric_from_row
from qa_app.store.surveys.files import find_survey
from qa_app.store.surveys.responses import issue_links
from qa_app.store.users import find_user
from tests.browser.test_scoring_keyboard import log_in
from tests.conftest import RUBRICS_DIR, serving

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
CALLS = ("DEMO-0001", "DEMO-0002", "DEMO-0003")
LONG_LINE = "Customer: see https://example.com/" + "a_very_long_path_segment_" * 12 + " please"


def _calibration_sessions(session) -> dict:
    """A revealed session (session page, dashboard) and an open one with a panel link."""
    lead = find_user(session, "lead@example.com")
    reviewers = [find_user(session, f"{n}@example.com") for n in ("reviewer", "reviewer2")]
    row = session.exec(
        select(RubricVersion).where(
            RubricVersion.rubric_id == "empathy", RubricVersion.version == 1
        )
    ).one()
    rubric = rubric_from_row(row)
    revealed, _ = store.create_session(
        session,
        lead,
        "A revealed session with a rather long name to wrap on a phone",
        row,
        CALLS,
        [u.id for u in reviewers],
        ["Customer A"],
        None,
    )
    store.change_state(session, revealed, "open", lead)
    for number, person in enumerate(participant_store.participants(session, revealed.id)):
        for position, call in enumerate(store.session_calls(session, revealed.id)):
            answers = {
                d.id: DimensionAnswer(score=1 + (number + position + i) % 5)
                for i, d in enumerate(rubric.dimensions)
            }
            participant_store.submit_call(session, revealed, person, call, answers, rubric)
    store.change_state(session, revealed, "revealed", lead)
    running, tokens = store.create_session(
        session, lead, "Open session", row, CALLS, [reviewers[0].id], ["Customer B"], None
    )
    store.change_state(session, running, "open", lead)
    reviewer = reviewers[0]
    queued = session.exec(
        select(Call.call_id)
        .join(Assignment, Assignment.call_pk == Call.id)
        .where(Assignment.reviewer_id == reviewer.id)
    ).first()
    review_id = session.exec(
        select(Review.id).where(Review.reviewer_id == reviewer.id, Review.status == "submitted")
    ).first()
    # A transcript line with a long URL must wrap rather than widen the page.
    call_pk = session.exec(select(Review.call_pk).where(Review.id == review_id)).one()
    turn = session.exec(select(TranscriptTurn).where(TranscriptTurn.call_pk == call_pk)).first()
    turn.text = LONG_LINE
    session.add(turn)
    # A machine model's figures and its scores of that call: the Machine rater page and the
    # scores beside the submitted review are laid out with content (the model itself is not
    # loaded by any page, so its bytes are a stand-in).
    _machine_model(session, call_pk, row.id)
    # A customer's survey link, for the pages a customer sees.
    issued, _ = issue_links(
        session, find_survey(None), datetime(2026, 10, 1, tzinfo=UTC),
        datetime(2026, 10, 2, tzinfo=UTC), now=datetime.now(UTC),
    )  # fmt: skip
    return {
        "survey_token": issued[0].token,
        "revealed": revealed.id,
        "open": running.id,
        "panel_token": tokens["Customer B"],
        "queued": queued,
        "review": review_id,
    }


def _machine_model(session, call_pk: int, rubric_pk: int) -> None:
    from qa_app.models import MachineModel, MachineScore

    segment = {"field": "interaction_type", "value": "policy_exception", "alpha": 0.39,
               "ci": [0.09, 0.7], "n_calls": 34, "exact": 0.26, "within_one": 0.91,
               "worse": True}  # fmt: skip
    figures = {"alpha": 0.55, "ci": [0.46, 0.64], "human_alpha": 0.63, "human_ci": [0.46, 0.81],
               "human_calls": 60, "exact": 0.4, "within_one": 0.94, "n_calls": 192,
               "segments": [segment]}  # fmt: skip
    dimensions = ("acknowledgment", "summary", "next_steps", "loop_closure")
    model = MachineModel(
        rubric_pk=rubric_pk, version=1, training_calls=192, training_hash="ab" * 32,
        libraries={"scikit-learn": "1.9.1", "skops": "0.16.0"}, content=b"stand-in",
        metrics={"method": "5-fold cross-validation by call",
                 "dimensions": dict.fromkeys(dimensions, figures)},
    )  # fmt: skip
    session.add(model)
    session.flush()
    for dimension, score in zip(dimensions, (1, 3, 5, 2), strict=True):
        session.add(MachineScore(model_pk=model.id, call_pk=call_pk, dimension=dimension,
                                 score=score, confidence=0.61, evidence=[0, 2]))  # fmt: skip


@contextmanager
def demo_with_sessions(sqlite_url: str):
    """The demo data plus calibration sessions, served on a free port: (base URL, ids)."""
    app = create_app({"DATABASE_URL": sqlite_url, "RUBRICS_DIR": str(RUBRICS_DIR)})
    engine = db.get_engine_for(app)
    load_demo(engine, RUBRICS_DIR)
    with db.transaction(engine) as session:
        ids = _calibration_sessions(session)
    try:
        with serving(app) as base:
            yield base, ids
    finally:
        engine.dispose()


@pytest.fixture
def served(sqlite_url):
    with demo_with_sessions(sqlite_url) as served:
        yield served


DEMO_EXPERIMENT = "demo-empathy-pilot"


def pages_for(ids: dict) -> dict[str | None, list[str]]:
    revealed, running = ids["revealed"], ids["open"]
    panel = f"/panel/{ids['panel_token']}"
    return {
        None: ["/login", panel, f"{panel}/calls/DEMO-0001", f"/survey/{ids['survey_token']}",
               "/no-such-page"],
        "reviewer": [
            "/",
            "/queue",
            f"/calls/{ids['queued']}/review",
            f"/reviews/{ids['review']}",
            f"/calibration/{running}/score",
            f"/calibration/{running}/score/DEMO-0001",
        ],
        "lead": [
            "/",
            "/queue",
            "/assign",
            "/calibration",
            f"/calibration/{revealed}",
            f"/calibration/{running}",
            f"/calibration/{revealed}/dashboard",
            "/calibration/drift",
            "/machine",
            "/coach",
            "/imports",
            f"/reviews/{ids['review']}",
            "/experiments",
            f"/experiments/{DEMO_EXPERIMENT}",
            f"/experiments/{DEMO_EXPERIMENT}/report",
            "/experiments/new",
            "/rollouts",
            "/plans",
            "/plans/demo-october-hard-calls",
            "/mix",
            "/survival",
            "/outcomes-over-time",
            "/surveys",
            "/outreach",
            "/outreach/board",
        ],
        "admin": ["/", "/admin/users", "/admin/tokens", "/admin/audit", "/assign", "/imports",
                  "/coach"],
        "coach": ["/", "/coach"],
    }


OVERFLOW = """() => {
    const width = document.documentElement.clientWidth;
    const sticking = [];
    for (const el of document.querySelectorAll('header a, header button, main *')) {
        const box = el.getBoundingClientRect();
        if (box.width === 0 || box.height === 0) continue;
        // A closed menu's links are not shown (Chromium still gives them a box).
        const closed = el.closest('details:not([open])');
        if (closed && !el.closest('summary')) continue;
        // Inside a scroll box of its own it may be wide; the page itself may not.
        let scroller = el.parentElement, boxed = false;
        while (scroller && scroller !== document.body) {
            const style = getComputedStyle(scroller).overflowX;
            if (['auto', 'scroll', 'hidden'].includes(style)) { boxed = true; break; }
            scroller = scroller.parentElement;
        }
        if (!boxed && box.right > width + 0.5) {
            const text = (el.textContent || '').trim().slice(0, 30);
            sticking.push(`${el.tagName.toLowerCase()}.${el.className} ${text} → ${box.right}`);
        }
    }
    const scrollWidth = document.documentElement.scrollWidth;
    return {scrollWidth: scrollWidth, sticking: sticking.slice(0, 8)};
}"""


def overflow(page) -> dict:
    """How wide the page is, and the visible elements that stick out past the right edge."""
    return page.evaluate(OVERFLOW)


ROLES = {
    None: None,
    "reviewer": ("reviewer@example.com", "demo-reviewer-pass"),
    "lead": ("lead@example.com", "demo-lead-pass"),
    "admin": ("admin@example.com", "demo-admin-pass"),
    "coach": ("coach@example.com", "demo-coach-pass"),
}


# axe-core's impacts that fail the test; "moderate" and "minor" are reported, not failed.
SERIOUS = ("serious", "critical")


def accessibility_problems(page) -> list[str]:
    """axe-core's (WCAG 2.1 A and AA) serious and critical violations on the page, each with
    the first nodes it found them on."""
    from axe_playwright_python.sync_playwright import Axe

    options = {
        "resultTypes": ["violations"],
        "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    }
    found = Axe().run(page, options=options).response["violations"]
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes'][:3]]}"
        for v in found
        if v["impact"] in SERIOUS
    ]


@pytest.mark.parametrize("role", list(ROLES), ids=lambda role: role or "no-login")
def test_every_page_fits_a_phone_and_axe_finds_nothing_serious(served, browser, role):
    """At 390 px no page is wider than the phone, and axe-core finds no serious or critical
    WCAG 2.1 A/AA violation on any of them (one pass over the pages for both checks; one
    test per role, so the roles run side by side)."""
    base, ids = served
    too_wide = []
    inaccessible = []
    paths = pages_for(ids)[role]
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    if ROLES[role]:
        log_in(page, base, *ROLES[role])
    for path in paths:
        response = page.goto(f"{base}{path}")
        assert response.status < 500, (role, path, response.status)
        if path != "/no-such-page":
            assert response.status == 200, (role, path, response.status)
        page.wait_for_load_state("networkidle")
        # An analysis worked out in the background fills its block in by itself: measure the
        # page once every such block has its answer.
        page.wait_for_function("() => !document.querySelector('[hx-trigger^=\"load\"]')")
        found = overflow(page)
        if path.startswith("/reviews/"):
            # The transcript wraps a long URL instead of scrolling it sideways in its box.
            found["transcript_scrolls"] = page.locator(".transcript").evaluate(
                "el => el.scrollWidth > el.clientWidth"
            )
            assert LONG_LINE.split()[2][:30] in page.locator(".transcript").inner_text()
        if (
            found["scrollWidth"] > PHONE["width"]
            or found["sticking"]
            or found.get("transcript_scrolls")
        ):
            too_wide.append((role, path, found))
        if problems := accessibility_problems(page):
            inaccessible.append((role, path, problems))
    context.close()
    assert not too_wide, "pages wider than a 390 px phone:\n" + "\n".join(map(str, too_wide))
    assert not inaccessible, "axe-core found:\n" + "\n".join(map(str, inaccessible))


LEADS_GROUPS = {
    "Daily work": ["My queue", "Assign", "Import", "Machine rater"],
    "Coaching": ["Coaching", "Plans", "Mix"],
    "Customers": [
        "Survival",
        "Outcomes over time",
        "Survey",
        "Outreach",
        "Team board",
    ],
    "Experiments": ["Experiments", "Rollouts"],
}


def test_the_leads_navigation_is_grouped_and_reaches_every_link_on_a_phone(served, browser):
    """15 links in up to 5 rows became groups by what a lead does; each group opens on a
    phone with every link inside the screen, and a skip link leads past them."""
    base, _ = served
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    log_in(page, base, *ROLES["lead"])
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to the page's content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    header = page.locator("header")
    nav_height = header.bounding_box()["height"]
    assert nav_height < 200, nav_height  # it was about 300 px at 1280 px, more on a phone
    calibration = header.get_by_role("link", name="Calibration").bounding_box()
    assert calibration["x"] + calibration["width"] <= PHONE["width"]
    for group, names in LEADS_GROUPS.items():
        header.locator("summary", has_text=group).click()
        for name in names:
            box = header.get_by_role("link", name=name, exact=True).bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], name
        header.locator("summary", has_text=group).click()  # closed again
    logout = header.get_by_role("button", name="Log out").bounding_box()
    assert logout["x"] + logout["width"] <= PHONE["width"]
    context.close()


def test_n_on_home_opens_the_next_call(served, browser):
    """As from My queue, `n` on Home opens the next call to score."""
    base, _ = served
    context = browser.new_context()
    page = context.new_page()
    log_in(page, base, *ROLES["reviewer"])
    page.keyboard.press("n")
    page.wait_for_url(re.compile(r".*/calls/DEMO-\d+/review$"))
    context.close()
