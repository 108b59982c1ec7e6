"""The outreach rules checker (every problem named with its line) and the guards, counted."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from qa_app.domain.outreach.engine import GuardState, plan_run
from qa_app.domain.outreach.rules import RulesError, load_rules, parse_rules, shipped_rules_path
from qa_app.domain.outreach.signals import OutreachCall, UsagePoint

SHIPPED = shipped_rules_path().read_text()


def problems(text: str) -> list[str]:
    with pytest.raises(RulesError) as caught:
        parse_rules(text, "rules.toml")
    return caught.value.problems


def test_shipped_rules_parse_with_the_issue_defaults():
    rules = load_rules()
    assert rules.key == "outreach@1"
    assert (rules.cooldown_days, rules.daily_cap_per_team) == (30, 5)
    assert rules.settings["usage_dip"] == {"window_days": 14, "baseline_days": 60, "min_drop": 0.3}
    assert rules.first_rule_met({"empathy_absent"}) is None
    assert rules.first_rule_met({"usage_dip", "repeated_contacts"}) is None
    assert rules.first_rule_met({"empathy_absent", "negative_sentiment"}).priority == 2
    assert rules.first_rule_met({"empathy_absent", "usage_dip"}).priority == 1


def test_broken_values_are_named_with_their_lines():
    text = SHIPPED.replace("min_drop = 0.30", "min_drop = 1.5").replace(
        "daily_cap_per_team = 5", "daily_cap_per_team = 0"
    )
    text = text.replace('all_of = ["empathy_absent", "usage_dip"]', 'all_of = ["empaty"]')
    text = text.replace("priority = 2", 'priority = "high"')
    lines = text.splitlines()

    def line(start: str) -> int:
        return next(i for i, x in enumerate(lines, start=1) if x.startswith(start))

    found = problems(text)
    assert found[0].startswith(f"rules.toml:{line('min_drop')}: usage_dip.min_drop must be")
    expected = [
        f"rules.toml:{line('daily_cap_per_team')}: guards.daily_cap_per_team must be",
        f"rules.toml:{line('all_of = [' + chr(34) + 'empaty')}: rule 1: unknown signal(s) in",
        f"rules.toml:{line('priority = ' + chr(34))}: rule 2: priority must be",
    ]
    for start in expected:
        assert any(p.startswith(start) for p in found), (start, found)
    assert len(found) == 4


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "rules.toml: the file is empty"),
        ("id = [", "rules.toml: invalid TOML"),
        ('id = "outreach"\nversion = 1\n', "rules.toml: at least one [[rules]] table is needed"),
        ('id = "outreach"\nversion = 0\n[[rules]]\nname = "a"\nall_of = ["usage_dip"]\n'
         "priority = 1\n", "rules.toml:2: version must be"),
        ('id = "outreach"\nversion = 1\n[signals.mood]\nx = 1\n'
         '[[rules]]\nname = "a"\nall_of = ["usage_dip"]\npriority = 1\n',
         "rules.toml:3: unknown signal 'mood'"),
        ('id = "outreach"\nversion = 1\n[guards]\nopt_out = false\n'
         '[[rules]]\nname = "a"\nall_of = ["usage_dip"]\npriority = 1\n',
         "rules.toml:4: unknown guard 'opt_out'"),
        ('id = "outreach"\nversion = 1\n[[rules]]\nname = "a"\nall_of = []\npriority = 1\n',
         "rules.toml:5: rule 1: all_of and any_of are both empty"),
    ],
)  # fmt: skip
def test_broken_files(text, expected):
    assert any(p.startswith(expected) for p in problems(text)), problems(text)


AS_OF = date(2026, 3, 31)
END = datetime(2026, 4, 1)


def let_down(customer: str, team: str = "Harbour", days: float = 2) -> OutreachCall:
    return OutreachCall(f"C-{customer}", customer, END - timedelta(days=days), team=team,
                        flags={"empathy_absent": True}, scores={"acknowledgment": 1},
                        sentiment=-0.6)  # fmt: skip


def timelines(count: int, team: str = "Harbour"):
    customers = [f"K{i:02d}" for i in range(count)]
    return {c: [let_down(c, team)] for c in customers}, customers


def test_guards_with_counts():
    calls, customers = timelines(9)
    usage = {"K00": [UsagePoint("K00", END - timedelta(days=40), 100.0),
                     UsagePoint("K00", END - timedelta(days=2), 20.0)]}  # fmt: skip
    state = GuardState(
        opted_out={"K01"},
        open_alerts={"K02"},
        last_alert_day={"K03": AS_OF - timedelta(days=29), "K04": AS_OF - timedelta(days=30)},
    )
    plan = plan_run(load_rules(), AS_OF, calls, usage, state)
    # K00 has a dip too: priority 1 and first in line for the cap.
    assert plan.created[0].customer_id == "K00" and plan.created[0].priority == 1
    assert plan.created[0].signals == ("empathy_absent", "usage_dip", "negative_sentiment")
    assert [d.customer_id for d in plan.created] == ["K00", "K04", "K05", "K06", "K07"]
    assert plan.as_json()["suppressed"] == {
        "opted_out": 1, "cooldown": 1, "open_alert": 1, "daily_cap": 1,
    }  # fmt: skip
    assert plan.as_json()["created"] == 5
    assert plan.as_json()["alerts"][1] == {
        "customer_id": "K04", "call_id": "C-K04", "priority": 2,
        "signals": ["empathy_absent", "negative_sentiment"],
    }  # fmt: skip


def test_daily_cap_is_per_team_and_counts_alerts_already_made_that_day():
    calls, _ = timelines(6, "Harbour")
    more, _ = timelines(0)
    more = {f"L{i}": [let_down(f"L{i}", "Summit")] for i in range(2)}
    plan = plan_run(load_rules(), AS_OF, {**calls, **more}, {}, GuardState())
    assert len(plan.created) == 7 and plan.counts()["daily_cap"] == 1
    again = plan_run(load_rules(), AS_OF, calls, {}, GuardState(created_today={"Harbour": 4}))
    assert len(again.created) == 1 and again.counts()["daily_cap"] == 5


def test_an_opt_out_wins_over_everything():
    calls, _ = timelines(1)
    state = GuardState(opted_out={"K00"}, open_alerts={"K00"})
    plan = plan_run(load_rules(), AS_OF, calls, {}, state)
    assert plan.created == [] and plan.counts()["opted_out"] == 1
