"""`qa-app experiment` end to end on a real database (SQLite and PostgreSQL).

An empathy pilot on six queues in two strata with three arms, so two queues get the training:
registered (locked), assigned from a seed, then calls and outcomes imported through
`qa-app import calls` / `import outcomes` with a planted effect on the training arm's queues,
an exposure log imported with `qa-app import exposure` (one agent also works a control queue),
and the report read back as JSON and as a table.
"""

from __future__ import annotations

import csv
import json
import random
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, select

from qa_app.models import AgentExposure, AuditEvent, Experiment, ExperimentUnit
from tests.store.test_imports import HEADER, TRANSCRIPT, write_calls

QUEUES = {"billing": "phone", "retention": "phone", "tech": "phone",
          "chat-a": "digital", "chat-b": "digital", "email": "digital"}  # fmt: skip
PLANTED = 1.0  # the training arm's queues score one point higher on the primary metric


def plan_text(name: str = "pilot", extra: str = "") -> str:
    units = "".join(f'[[units]]\nname = "{q}"\nstratum = "{s}"\n\n' for q, s in QUEUES.items())
    return f"""\
name = "{name}"
hypothesis = "Trained queues score higher"
decision_rule = "Roll out if the training effect is positive"
unit = "queue"
arms = ["control", "training", "playbook"]
primary_metric = "outcome:csat"
secondary_metrics = ["outcome:saved"]
{extra}
[intervention]
kind = "training"
name = "empathy-foundations"
playbook = "https://wiki.example.com/empathy"

{units}[window]
start = 2027-01-11
end = 2027-02-05

[lags]
after_assignment_days = 7

[subgroups]
new_agent_days = 90
channel = true

[power]
baseline_mean = 3.0
baseline_sd = 1.0
icc = 0.05
calls_per_unit = 30
"""


def _write(path, header, rows):
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_register_assign_import_and_report_a_planted_effect(cli, db_url, tmp_path, engine):
    plan = tmp_path / "pilot.toml"
    plan.write_text(plan_text(), encoding="utf-8")
    result = cli("experiment", "register", plan)
    assert result.exit_code == 0, result.output
    assert "Registered experiment 'pilot'" in result.output
    assert cli("experiment", "register", plan).output.startswith("Experiment 'pilot' is regis")

    result = cli("experiment", "assign", "pilot", "--seed", "2027", "--format", "json")
    assert result.exit_code == 0, result.output
    assigned = json.loads(result.output)
    arms = {row["unit"]: row["arm"] for row in assigned["assignment"]}
    # Two queues per arm, one of each stratum (stratified randomisation).
    for arm in ("control", "training", "playbook"):
        mine = [u for u, a in arms.items() if a == arm]
        assert sorted(QUEUES[u] for u in mine) == ["digital", "phone"]
    assert {r["stratum"]: (r["control"], r["training"], r["playbook"])
            for r in assigned["balance"]} == {"digital": (1, 1, 1), "phone": (1, 1, 1)}  # fmt: skip
    again = cli("experiment", "assign", "pilot", "--seed", "2027")
    assert again.exit_code == 1 and "an assignment is made once" in again.output

    rng = random.Random(16)
    calls, outcomes, start = [], [], datetime(2027, 1, 11, 9, tzinfo=UTC)
    agents = {q: [f"{q}-agent-{i}" for i in range(2)] for q in QUEUES}
    crosser = agents[next(u for u, a in arms.items() if a == "training")][0]
    control_queue = next(u for u, a in arms.items() if a == "control")
    for queue in QUEUES:
        for i in range(30):
            agent = agents[queue][i % 2]
            if queue == control_queue and i < 5:
                agent = crosser  # a trained agent lends a hand in a control queue
            call_id = f"{queue}-{i:03d}"
            started = start + timedelta(days=i % 20, hours=i % 7)
            calls.append([call_id, agent, TRANSCRIPT, "T", queue,
                          "chat" if QUEUES[queue] == "digital" else "voice", "billing_correction",
                          started.isoformat(), "", "", str(30 if i % 3 == 0 else 400)])  # fmt: skip
            score = rng.gauss(3.0, 0.3) + (PLANTED if arms[queue] == "training" else 0.0)
            outcomes.append([call_id, f"{score:.4f}", "true" if rng.random() < 0.4 else "false"])
    header = [*HEADER[:8], "save_script", "customer_id", "agent_tenure_days"]
    # One call before the window's start never counts.
    calls.append(["early-1", "x", TRANSCRIPT, "T", "billing", "voice", "quick_win",
                  "2027-01-02T10:00:00Z", "", "", "10"])  # fmt: skip
    outcomes.append(["early-1", "99", "true"])
    assert cli("import", "calls", write_calls(tmp_path / "calls.csv", calls, header)).exit_code == 0
    imported = cli("import", "outcomes", _write(tmp_path / "out.csv", ["call_id", "csat", "saved"],
                                                 outcomes))  # fmt: skip
    assert imported.exit_code == 0, imported.output

    bad_rows = [[crosser, "empathy-foundations", "2027-01-05"], ["", "x", "not a date"]]
    bad = _write(tmp_path / "bad.csv", ["agent", "intervention", "at"], bad_rows)
    refused = cli("import", "exposure", bad)
    assert refused.exit_code == 1
    assert "row 3: agent is blank" in refused.output and "nothing was imported" in refused.output
    with Session(engine) as session:
        assert session.exec(select(AgentExposure)).all() == []
    trained = [a for q, a_list in agents.items() if arms[q] == "training" for a in a_list]
    log = _write(tmp_path / "exposure.csv", ["agent", "intervention", "at"],
                 [[a, "empathy-foundations", "2027-01-05T09:00:00Z"] for a in trained])  # fmt: skip
    result = cli("import", "exposure", log)
    assert result.exit_code == 0, result.output
    assert "4 created, 0 unchanged" in result.output
    assert "0 created, 4 unchanged" in cli("import", "exposure", log).output

    amended = tmp_path / "amended.toml"
    amended.write_text(plan_text(extra='description = "Window unchanged; wording"'), "utf-8")
    result = cli("experiment", "amend", "pilot", amended, "--reason", "Clarified the wording")
    assert result.exit_code == 0, result.output

    result = cli("experiment", "report", "pilot", "--format", "json", "--explore", "outcome:saved",
                 "--explore", "outcome:credit_amount")  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    with Session(engine) as session:
        row = session.exec(select(Experiment)).one()
        assert report["plan_hash"] == row.content_hash
        assert report["locked_at"] == row.locked_at.isoformat()
        assert len(session.exec(select(ExperimentUnit)).all()) == 6
        actions = [e.action for e in session.exec(select(AuditEvent).order_by(AuditEvent.id))]
    assert {"experiment.registered", "experiment.assigned", "experiment.amended"} <= set(actions)
    assert report["current_plan_hash"] != report["plan_hash"]
    assert [a["reason"] for a in report["amendments"]] == ["Clarified the wording"]

    primary = [m for m in report["metrics"] if m["primary"]]
    assert [m["treatment"] for m in primary] == ["training", "playbook"]
    training = primary[0]
    assert training["metric"] == "outcome:csat" and training["method"] == "randomisation-inference"
    assert abs(training["effect"] - PLANTED) < 0.2
    assert training["n_calls"] == 120  # 2 x 2 queues x 30; the early call is left out
    assert abs(primary[1]["effect"]) < 0.2  # the playbook arm: nothing planted
    assert {s["variable"] for s in training["subgroups"]} == {"tenure", "channel"}
    assert {m["metric"] for m in report["metrics"]} == {"outcome:csat", "outcome:saved"}
    assert report["power"]["mde"] > 0 and report["power"]["inputs"]["units_per_arm"] == 2

    contamination = report["contamination"]
    assert contamination["agents_in_both_arms"] == 1
    assert contamination["calls_outside_arm"] == 5
    assert contamination["agents_in_both_arms_top"][0]["agent"] == crosser
    assert not contamination["clean"]

    explored = report["exploratory"]["metrics"]
    assert report["exploratory"]["label"] == "Exploratory — not pre-registered"
    # outcome:saved is pre-registered, so not repeated; an unknown outcome says so.
    assert {m["metric"] for m in explored} == {"outcome:credit_amount"}
    assert "no outcome named 'credit_amount'" in explored[0]["error"]

    table = cli("experiment", "report", "pilot")
    assert table.exit_code == 0, table.output
    text = table.output
    assert text.index("Pre-registered analysis") < text.index("PRIMARY outcome:csat")
    assert text.index("PRIMARY outcome:csat") < text.index("outcome:saved — training")
    assert f"sha256 {row.content_hash}" in text and "Clarified the wording" in text
    listing = cli("experiment", "list").output
    assert "pilot" in listing and "assigned (seed 2027)" in listing


def test_register_refuses_a_broken_plan_and_a_changed_registered_plan(cli, db_url, tmp_path):
    broken = tmp_path / "broken.toml"
    broken.write_text(plan_text().replace('arms = ["control", "training", "playbook"]',
                                          'arms = ["control"]'), "utf-8")  # fmt: skip
    result = cli("experiment", "register", broken)
    assert result.exit_code == 1
    assert "broken.toml:5: 'arms' must list at least 2" in result.output
    good = tmp_path / "good.toml"
    good.write_text(plan_text(), "utf-8")
    assert cli("experiment", "register", good).exit_code == 0
    good.write_text(plan_text(extra='description = "changed"'), "utf-8")
    result = cli("experiment", "register", good)
    assert result.exit_code == 1 and "a change is an amendment" in result.output
    result = cli("experiment", "amend", "pilot", good, "--reason", " ")
    assert result.exit_code == 1 and "needs a reason" in result.output
    result = cli("experiment", "report", "pilot")
    assert result.exit_code == 1 and "no assignment yet" in result.output
