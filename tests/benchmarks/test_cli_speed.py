"""Benchmark (make bench): `qa-app --help` and every `qa-app COMMAND --help` start quickly.

Target from the CLI issue: each help, run as a fresh process the way a person types it, takes
at most 3× as long as a bare ``python -c "import click"`` measured in the same run (the floor
any click program pays). Each command's runs alternate with baseline runs, so a busy machine
slows both sides alike; the medians of several runs are compared.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

import click
import pytest

from qa_app.cli.main import main

pytestmark = pytest.mark.benchmark

RUNS = 7
TARGET_RATIO = 3.0
BASELINE = [sys.executable, "-c", "import click"]


def qa_app_command() -> list[str]:
    """The installed console script beside this Python, or what that script runs."""
    script = Path(sys.executable).parent / "qa-app"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from qa_app.cli.main import main; sys.exit(main())"]


def command_paths(group: click.Group = main, prefix: tuple[str, ...] = ()) -> list[tuple]:
    """``()`` for the top level, then every group and command, e.g. ``("users", "add")``."""
    paths = [prefix]
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            paths += command_paths(command, (*prefix, name))
        else:
            paths.append((*prefix, name))
    return paths


def seconds(argv: list[str]) -> float:
    """Wall time of one fresh process running ``argv``, which must succeed."""
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    assert done.returncode == 0, (argv, done.stdout, done.stderr)
    return elapsed


def test_every_help_starts_within_3x_of_importing_click():
    qa_app = qa_app_command()
    # Warm the file cache, and make sure each help really is a help page.
    for path in command_paths():
        shown = subprocess.run([*qa_app, *path, "--help"], capture_output=True, text=True)
        assert shown.returncode == 0 and "Usage:" in shown.stdout, (path, shown.stderr)
    rows = []
    for path in command_paths():
        argv = [*qa_app, *path, "--help"]
        baseline, helped = [], []
        for _ in range(RUNS):
            baseline.append(seconds(BASELINE))
            helped.append(seconds(argv))
        base, took = statistics.median(baseline), statistics.median(helped)
        rows.append((" ".join(("qa-app", *path, "--help")), took, base, took / base))
    width = max(len(row[0]) for row in rows)
    print(f"\nhelp start-up, median of {RUNS} runs each, against `python -c 'import click'`:")
    print(f"  {'command':<{width}}  {'help':>8}  {'click':>8}  ratio")
    for name, took, base, ratio in rows:
        print(f"  {name:<{width}}  {took * 1000:6.0f} ms  {base * 1000:6.0f} ms  {ratio:4.2f}x")
    worst = max(rows, key=lambda row: row[3])
    print(f"  worst: {worst[0]} at {worst[3]:.2f}x (target ≤ {TARGET_RATIO:.0f}x)")
    assert [row[0] for row in rows if row[3] > TARGET_RATIO] == []
