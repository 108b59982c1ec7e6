"""``call_store.insert_rows`` stores exactly what SQLAlchemy's own insert stores."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import insert, text
from sqlmodel import Session, select

from qa_app.db import transaction
from qa_app.models import AuditEvent, Call, TranscriptTurn, User
from qa_app.store.calls import TURN_COLUMNS, bind_converter, insert_rows

NOW = datetime(2026, 5, 1, 9, 30, 15, 123456, tzinfo=UTC)
STARTED = datetime(2026, 3, 1, 10, 0, tzinfo=timezone(timedelta(hours=2)))


def _stored(connection, table: str, ids) -> list[tuple]:
    rows = connection.execute(
        text(f"SELECT * FROM {table} WHERE id IN ({', '.join(map(str, ids))}) ORDER BY id")  # noqa: S608
    )
    return [tuple(row)[1:] for row in rows]  # without the id


def test_rows_are_stored_as_sqlalchemy_stores_them(engine):
    with transaction(engine) as session:
        connection = session.connection()
        call = {
            "agent": "Ana B.",
            "team": None,
            "queue": "billing",
            "channel": "voice",
            "interaction_type": None,
            "started_at": STARTED,
            "save_script": None,
            "agent_tenure_days": 45,
        }
        connection.execute(insert(Call), [{"call_id": "ORM", **call, "imported_at": NOW,
                                           "updated_at": NOW}])  # fmt: skip
        insert_rows(
            connection,
            Call,
            ("call_id", *call),
            [("BULK", *call.values())],
            {"transcript_version": 1, "imported_at": NOW, "updated_at": NOW},
        )
        orm_call, bulk_call = (
            connection.execute(text("SELECT id FROM calls ORDER BY call_id")).scalars().all()
        )
        orm, bulk = _stored(connection, "calls", [orm_call, bulk_call])
        assert orm[0] == "ORM" and bulk[0] == "BULK" and orm[1:] == bulk[1:]

        turn = {"position": 0, "speaker": "Agent", "text": "Hello.", "offset_seconds": 1.5}
        connection.execute(insert(TranscriptTurn), [{"call_pk": orm_call, **turn}])
        insert_rows(
            connection,
            TranscriptTurn,
            ("call_pk", *turn),
            [(bulk_call, *turn.values())],
        )
        orm, bulk = _stored(
            connection,
            "transcript_turns",
            connection.execute(text("SELECT id FROM transcript_turns")).scalars().all(),
        )
        assert (orm[0], bulk[0]) == (orm_call, bulk_call) and orm[1:] == bulk[1:]

        user = User(email="rita@example.org", name="Rita", role="reviewer", password_hash="x")
        session.add(user)
        session.flush()
        event = {
            "at": NOW,
            "actor_id": user.id,
            "actor_label": "rita@example.org",
            "action": "review.imported",
            "entity_type": "review",
            "entity_id": "7",
            "before": None,
            "after": {"empathy": {"score": 3, "evidence": [2]}},
            "reason": "import of reviews.csv",
        }
        connection.execute(insert(AuditEvent), [event])
        after_json = bind_converter(connection, AuditEvent, "after")
        insert_rows(
            connection,
            AuditEvent,
            ("entity_id", "before", "after", "reason"),
            [("7", None, after_json(event["after"]), "import of reviews.csv")],
            {k: event[k] for k in ("at", "actor_id", "actor_label", "action", "entity_type")},
            converted=("after",),
        )
        ids = connection.execute(text("SELECT id FROM audit_events")).scalars().all()
        orm, bulk = _stored(connection, "audit_events", ids[-2:])
        assert orm == bulk


def test_read_back_through_the_orm(engine):
    with transaction(engine) as session:
        insert_rows(
            session.connection(),
            Call,
            ("call_id", "agent", "started_at"),
            [("C-1", "Ana B.", STARTED)],
            {"transcript_version": 1, "imported_at": NOW, "updated_at": NOW},
        )
    with Session(engine) as session:
        call = session.exec(select(Call)).one()
        assert (call.started_at, call.imported_at, call.updated_at) == (STARTED, NOW, NOW)
        assert call.started_at.tzinfo is not None and call.transcript_version == 1


def test_columns_with_defaults_must_be_given(engine):
    with transaction(engine) as session, pytest.raises(ValueError, match="imported_at"):
        insert_rows(session.connection(), Call, ("call_id", "agent"), [("C-1", "Ana B.")])
    with transaction(engine) as session:
        insert_rows(session.connection(), TranscriptTurn, TURN_COLUMNS, [])  # nothing to do
