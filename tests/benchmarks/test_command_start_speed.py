"""Benchmark (make bench): commands that read the database start without the web app.

`qa-app --help`, `qa-app db status` and `qa-app users list` run as fresh processes against a
migrated SQLite database, alternating with ``python -c "import click"`` (the floor any click
program pays) so a busy machine slows both sides alike; the medians of several runs are
compared. Issue 22 asks for at most 3× for each. `--help` meets it; the two database commands
pay for SQLAlchemy (and `users list` for the SQLModel tables) on top of click, which alone
costs more than 3× `import click` here, so their ratios are printed against the target and
held below a ceiling that catches a return of the web app's imports (which took them past 40×).
"""

from __future__ import annotations

import os
import statistics
import subprocess

import pytest

from tests.benchmarks.test_cli_speed import BASELINE, qa_app_command, seconds

pytestmark = pytest.mark.benchmark

RUNS = 9
TARGET_RATIO = 3.0
# What each command must stay under in any case (the whole web app's imports cost far more).
CEILINGS = {"--help": 3.0, "db status": 10.0, "users list": 20.0}


def test_database_commands_start_without_the_web_app(tmp_path, monkeypatch):
    monkeypatch.setenv("QA_APP_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("QA_APP_DATABASE_URL", raising=False)
    qa_app = qa_app_command()
    subprocess.run([*qa_app, "db", "upgrade"], check=True, capture_output=True, env=os.environ)
    rows = []
    for words in CEILINGS:
        argv = [*qa_app, *words.split()]
        seconds(argv)  # warm the file cache
        baseline, took = [], []
        for _ in range(RUNS):
            baseline.append(seconds(BASELINE))
            took.append(seconds(argv))
        base, median = statistics.median(baseline), statistics.median(took)
        rows.append((f"qa-app {words}", median, base, median / base, CEILINGS[words]))
    print(f"\ncommand start-up, median of {RUNS} runs each, against `python -c 'import click'`:")
    for name, median, base, ratio, ceiling in rows:
        verdict = "meets" if ratio <= TARGET_RATIO else "over"
        print(
            f"  {name:<18} {median * 1000:6.0f} ms  click {base * 1000:4.0f} ms  {ratio:5.2f}x"
            f"  ({verdict} the {TARGET_RATIO:.0f}x target; ceiling {ceiling:.0f}x)"
        )
    assert [row[0] for row in rows if row[3] > row[4]] == []
