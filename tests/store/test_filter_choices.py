"""The queue's filter drop-downs list each stored value once, in order, blanks left out."""

from __future__ import annotations

from sqlmodel import Session

from qa_app.models import Call
from qa_app.store.reviews.queue import filter_choices


def test_filter_choices_are_the_distinct_stored_values(app, engine):
    teams = ["North", "south", None, "", "East", "North", "East", "West"]
    with Session(engine) as session:
        for n, team in enumerate(teams):
            session.add(
                Call(
                    call_id=f"C-{n}",
                    agent="Ann",
                    team=team,
                    queue="billing" if n % 2 else "retention",
                    channel=None,
                )
            )
        session.commit()
        choices = filter_choices(session)
    # Each value once (the order is the database's collation, which differs by backend).
    assert sorted(choices["team"]) == ["East", "North", "West", "south"]
    assert choices["queue"] == ["billing", "retention"]
    assert choices["channel"] == [] and choices["save_script"] == []


def test_filter_choices_on_an_empty_table(app, engine):
    with Session(engine) as session:
        assert filter_choices(session) == dict.fromkeys(
            ("queue", "interaction_type", "channel", "team", "save_script"), []
        )
