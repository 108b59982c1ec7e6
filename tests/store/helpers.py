"""Snapshots of what is stored, to prove a refused command changed nothing."""

from __future__ import annotations

from sqlalchemy import text

SNAPSHOT_TABLES = (
    "users",
    "rubrics",
    "calls",
    "transcript_turns",
    "transcript_versions",
    "outcomes",
    "reviews",
    "review_scores",
    "customers",
    "customer_events",
    "sampling_plans",
    "sampled_calls",
    "experiments",
    "experiment_amendments",
    "experiment_units",
    "agent_exposures",
)


def snapshot(engine) -> dict[str, list[tuple]]:
    """Every row of the data tables, ordered, so two snapshots compare equal only if unchanged."""
    result = {}
    with engine.connect() as connection:
        for table in SNAPSHOT_TABLES:
            rows = connection.execute(text(f"SELECT * FROM {table} ORDER BY id"))  # noqa: S608
            result[table] = [tuple(row) for row in rows]
    return result
