"""A lead registers and assigns an experiment and reads the demo pilot's report; a coach
evaluates a rollout of the demo's queues, and a bad date is refused with its row."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import open_from_menu
from tests.browser.test_scoring_keyboard import log_in

pytestmark = pytest.mark.browser

# experiments/empathy-pilot-example.toml adapted to the demo's five queues, stratified so the
# balance table has a row per stratum.
PLAN = '''name = "browser-pilot"
hypothesis = """Agents trained in empathy foundations leave the empathy-absent flag on fewer
calls than agents who are not."""
decision_rule = """A pilot: read as exploratory; plan a larger rollout if the effect points
the right way."""
unit = "queue"
arms = ["control", "training"]
allocation = { control = 1, training = 1 }
primary_metric = "flag:empathy_absent"
secondary_metrics = ["outcome:saved"]

[intervention]
kind = "training"
name = "Empathy foundations (browser test)"
playbook = "https://wiki.example.com/cx/playbooks/empathy-foundations"

[[units]]
name = "billing"
stratum = "money"

[[units]]
name = "retention"
stratum = "money"

[[units]]
name = "general"
stratum = "service"

[[units]]
name = "logistics"
stratum = "service"

[window]
start = 2026-07-01
end = 2026-10-31

[lags]
after_assignment_days = 7
after_exposure_days = 0

[power]
baseline_mean = 0.40
baseline_sd = 0.49
icc = 0.02
calls_per_unit = 60
'''


def test_lead_saves_locks_and_assigns_a_plan_then_reads_the_pilot_report(live_demo, page):
    log_in(page, live_demo, "lead@example.com", "demo-lead-pass")
    open_from_menu(page, "Experiments", "Experiments")
    expect(page.get_by_role("heading", name="Experiments", exact=True)).to_be_visible()
    page.get_by_label("Plan (TOML)").fill(PLAN)
    page.get_by_role("button", name="Check and save as draft").click()
    expect(page.get_by_role("heading", name="Experiment browser-pilot")).to_be_visible()
    expect(page.locator("#status")).to_contain_text("Draft — not registered")

    page.get_by_role("link", name="← Experiments").click()
    listed = page.locator('tr[data-experiment="browser-pilot"]')
    expect(listed).to_contain_text("draft")
    expect(listed).to_contain_text("not assigned")
    listed.get_by_role("link", name="browser-pilot").click()

    page.get_by_role("button", name="Lock (register) the plan").click()
    # A lock cannot be undone: it asks first, and the draft stands until the answer.
    expect(page.get_by_role("alert")).to_contain_text("This cannot be undone")
    expect(page.locator("#status")).to_contain_text("Draft — not registered")
    page.get_by_role("button", name="Yes, lock it for good").click()
    expect(page.locator("#status")).to_contain_text("Registered (locked)")
    sha = page.locator("#status code").inner_text()
    assert re.fullmatch(r"[0-9a-f]{64}", sha), sha
    expect(page.get_by_role("button", name="Lock (register) the plan")).to_have_count(0)

    page.get_by_label(re.compile("^Seed")).fill("20270104")
    page.get_by_role("button", name="Assign").click()
    expect(page.locator("#assignment")).to_contain_text("Assignment · seed 20270104")
    rows = page.locator("#balance tbody tr")
    expect(rows).to_have_count(2)
    for stratum in ("money", "service"):
        # Two queues per stratum, one to each arm (allocation 1 : 1).
        expect(page.locator("#balance tbody tr", has_text=stratum).locator("td")).to_have_text(
            [stratum, "2", "1", "1"]
        )
    expect(page.locator("#units tbody tr")).to_have_count(4)
    expect(page.get_by_role("button", name="Assign")).to_have_count(0)
    page.get_by_role("link", name="← Experiments").click()
    expect(page.locator('tr[data-experiment="browser-pilot"]')).to_contain_text(
        "assigned, seed 20270104"
    )
    expect(page.locator('tr[data-experiment="browser-pilot"] code')).to_have_text(sha[:12])

    # The demo's own pilot ran in the demo's period: its report has data to read.
    page.get_by_role("link", name="demo-empathy-pilot").click()
    page.get_by_role("button", name="Read the report").click()
    expect(page.get_by_role("heading", name="Report: demo-empathy-pilot")).to_be_visible()
    lock_line = page.locator("#lock-line")
    expect(lock_line).to_contain_text(re.compile(r"Plan sha256 [0-9a-f]{64}"))
    expect(lock_line).to_contain_text("registered (locked) 2026-06-20 09:00 UTC")
    primary = page.locator("#preregistered article.metric-effect", has_text="Primary:")
    expect(primary).to_contain_text("flag:empathy_absent")
    # A flag's rate: the effect in percentage points.
    expect(primary).to_contain_text(re.compile(r"Effect [+-]\d+\.\d pts, 95% interval "))
    # Two of five queues trained: the interval cannot be bounded and the pilot says it is
    # exploratory, beside the effect rather than hidden.
    expect(primary).to_contain_text("the smallest p-value this design can give is 0.100")
    expect(primary).to_contain_text("read it as an exploratory, underpowered pilot")
    expect(page.locator("#promised")).to_contain_text("Agents trained in empathy foundations")
    expect(page.locator("#contamination")).to_contain_text("worked units of more than one arm")
    # The order a reader meets: the lock line, the promise, the analysis, contamination, and
    # the exploratory label last.
    order = page.evaluate(
        """() => Array.from(document.querySelectorAll(
            '#lock-line, #promised > h2, #preregistered > h2, #contamination > h2, main h2'
        )).map(e => e.id || e.textContent.trim())"""
    )
    headings = [h for h in order if h != "lock-line"]
    assert order[0] == "lock-line", order
    assert headings[0] == "What was promised", order
    assert headings[1] == "Pre-registered analysis", order
    assert headings[2].startswith("Contamination: Empathy foundations"), order
    assert headings[-1] == "Exploratory — not pre-registered", order


# Two of the demo's queues adopted inside its period (June to October 2026); the other three
# never did and are the comparison.
ROLLOUT = "queue,adopted_on\nbilling,2026-08-03\ngeneral,2026-09-07\n"


def test_coach_evaluates_a_rollout_of_demo_queues_and_a_bad_date_names_its_row(live_demo, page):
    log_in(page, live_demo, "coach@example.com", "demo-coach-pass")
    open_from_menu(page, "Experiments", "Rollouts")
    expect(page.get_by_role("heading", name="Rollouts as natural experiments")).to_be_visible()
    page.get_by_label(re.compile("^Rollout file")).fill(ROLLOUT)
    page.get_by_label("Metric").select_option("outcome:renewal_intent")
    page.get_by_label("Method").select_option(label="difference-in-differences")
    page.get_by_label(re.compile("^Period")).select_option("month")
    page.get_by_role("button", name="Evaluate").click()
    report = page.locator("#rollout-report")
    expect(report.get_by_role("heading", name="Result (difference-in-differences)")).to_be_visible()
    expect(report.locator(".rollout-association")).to_contain_text(
        "Association, not effect. This is an observational comparison, not an experiment"
    )
    expect(report.locator('[data-figure="att"]')).to_have_text(re.compile(r"^-?\d+\.\d{4}$"))
    expect(report.locator('[data-figure="pretrend"]')).to_contain_text(
        re.compile(
            r"Pre-trends: (no evidence against parallel trends \(p = |pre-trends differ: p [=<] "
            r"|pre-trends not tested)"
        )
    )
    chart = report.locator("#rollout-chart img")
    expect(chart).to_have_attribute("src", re.compile(r"^data:image/svg\+xml;base64,"))
    expect(chart).to_have_attribute("alt", re.compile("^Event study"))
    assert chart.evaluate("img => img.complete && img.naturalWidth > 0")
    expect(page.locator("#rollout-problems")).to_have_count(0)

    # A month 13, day 40: the row is named, nothing is evaluated, the text stays as typed.
    bad = "queue,adopted_on\nbilling,2026-08-03\ngeneral,2025-13-40\n"
    page.get_by_label(re.compile("^Rollout file")).fill(bad)
    page.get_by_role("button", name="Evaluate").click()
    problems = page.locator("#rollout-problems")
    expect(problems).to_contain_text("Nothing was evaluated")
    expect(problems).to_contain_text("row 3: column 'adopted_on': '2025-13-40' is not a date")
    expect(page.locator("#rollout-report h2")).to_have_count(0)
    expect(page.locator("#rollout-chart")).to_have_count(0)
    expect(page.get_by_label(re.compile("^Rollout file"))).to_have_value(bad)
