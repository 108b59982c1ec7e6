"""Shared Hypothesis settings and strategies for the fuzz tests.

Bounded and derandomized: the same examples on every run, so CI is repeatable and the
whole folder runs in well under a minute on a 2-core machine.
"""

from __future__ import annotations

import csv
import io

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# tmp_path is reused across examples (each example overwrites its file), hence the
# function-scoped fixture health check is silenced.
FUZZ = settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
FEW = settings(FUZZ, max_examples=40)

# Text that stresses readers: quotes, separators, line breaks of every kind, BOMs, NULs.
NASTY = st.sampled_from(
    [
        "",
        " ",
        '"',
        "'",
        ",",
        ";",
        "\n",
        "\r",
        "\r\n",
        "\u2028",
        "\x85",
        "\x0b",
        "\ufeff",
        "\x00",
        "\t",
        "N/A",
        "na",
        "nan",
        "inf",
        "-1",
        "1e400",
        "1_0",
        "٣",
        "²",
        "0x10",
        "2026-03-01T14:05:00Z",
        "9999-12-31T23:59-01:00",
        "true",
        "yes",
        "Agent: hi",
        "[00:00] Customer: hello",
        "=1+1",
        "é",
        "💥",
    ]
)
CELL = st.one_of(NASTY, st.text(max_size=12), st.integers(-10, 10).map(str))


def csv_text(columns, rows) -> str:
    """Rows of cells as CSV text, quoted as a spreadsheet would write them."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    writer.writerows(rows)
    return buffer.getvalue()


def table_text(known_columns, cells=CELL, max_rows=6):
    """CSV text whose header mixes the importer's columns with others, and cells of CELL."""
    header = st.lists(
        st.one_of(st.sampled_from(list(known_columns)), st.text(max_size=6)),
        min_size=1,
        max_size=len(known_columns) + 2,
    )
    return header.flatmap(
        lambda columns: st.lists(
            st.lists(cells, min_size=0, max_size=len(columns) + 1), max_size=max_rows
        ).map(lambda rows: csv_text(columns, rows))
    )


def raw_text(max_size=200):
    """Arbitrary text, with the characters readers trip over made likely."""
    return st.lists(st.one_of(NASTY, st.text(max_size=8)), max_size=max_size // 8).map("".join)
