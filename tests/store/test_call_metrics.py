"""Per-call metric values from the database: final scores, outcomes and credit per save."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session

from qa_app import db
from qa_app.domain.metrics import parse_metric
from qa_app.store.metrics import COLUMNS, MetricError, available_metrics, call_metric_frame
from tests.store.test_exports import load


def _values(frame) -> dict[str, float]:
    return dict(zip(frame["call_id"], frame["value"], strict=True))


def test_values_match_the_hand_computed_final_scores_and_outcomes(app, cli, tmp_path):
    load(cli, tmp_path)
    engine = db.get_engine_for(app)
    # E-1: median of two reviews (ack 5, 3 -> 4); E-4: median of three (4, 4, 1 -> 4).
    ack = call_metric_frame(engine, parse_metric("dimension:acknowledgment"))
    assert list(ack.columns) == COLUMNS
    assert _values(ack) == {"E-1": 4.0, "E-2": 2.0, "E-3": 4.0, "E-4": 4.0}
    row = ack.set_index("call_id").loc["E-2"]
    assert (row["agent"], row["team"], row["channel"], row["agent_tenure_days"]) == (
        "Ben",
        "-Team",
        "chat",
        400,
    )
    assert str(row["started_at"]) == "2026-03-02 10:00:00"
    absent = call_metric_frame(engine, parse_metric("flag:empathy_absent"))
    assert _values(absent) == {"E-1": 0.0, "E-2": 1.0, "E-3": 0.0, "E-4": 0.0}
    # E-3's next steps were N/A on its only review: no value, no row.
    steps = call_metric_frame(engine, parse_metric("dimension:next_steps"))
    assert set(steps["call_id"]) == {"E-1", "E-2", "E-4"}
    saved = call_metric_frame(engine, parse_metric("outcome:saved"))
    assert _values(saved) == {"E-1": 1.0, "E-2": 0.0, "E-3": 1.0, "E-4": 0.0}
    # Saved calls with a credit: E-1 (credit 0); E-3 was saved with no credit recorded.
    credit = call_metric_frame(engine, parse_metric("credit_per_save"))
    assert _values(credit) == {"E-1": 0.0}
    # A Session works too, and the dates are whole days, both inclusive.
    with Session(engine) as session:
        early = call_metric_frame(session, parse_metric("outcome:saved"), until=date(2026, 3, 2))
    assert set(early["call_id"]) == {"E-1", "E-2"}


def test_unknown_names_are_refused_with_what_exists(app, cli, tmp_path):
    load(cli, tmp_path)
    engine = db.get_engine_for(app)
    with pytest.raises(MetricError, match="no flag 'nope'.*empathy_absent"):
        call_metric_frame(engine, parse_metric("flag:nope"))
    with pytest.raises(
        MetricError, match="no outcome named 'renewal_intent'.*credit_amount, saved"
    ):
        call_metric_frame(engine, parse_metric("outcome:renewal_intent"))


def test_available_metrics_lists_the_rubric_in_use_and_the_outcomes(app, cli, tmp_path):
    engine = db.get_engine_for(app)
    assert available_metrics(engine) == []
    load(cli, tmp_path)
    keys = [spec.key for spec in available_metrics(engine)]
    assert keys[:5] == [
        "flag:acknowledged",
        "flag:summarized",
        "flag:confirmed_next_steps",
        "flag:closed_emotional_loop",
        "flag:empathy_absent",
    ]
    assert "dimension:loop_closure" in keys
    assert keys[-3:] == ["outcome:credit_amount", "outcome:saved", "credit_per_save"]
