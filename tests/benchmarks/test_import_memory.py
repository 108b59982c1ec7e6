"""Benchmark (make bench): `qa-app import calls` in flat memory, PostgreSQL as fast as SQLite.

Issue 25's targets: the peak memory of importing 1,000,000 calls at most 1.5x the peak at
100,000, and PostgreSQL's calls/s at least SQLite's. Each import is `qa-app import calls`
in a fresh process on a fresh database, whose peak resident memory the process reports
itself (getrusage). QA_APP_BENCH_MEMORY_CALLS changes the large size (the small one is a
tenth of it).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid

import pytest
from sqlalchemy import create_engine, text

from qa_app import db
from tests.benchmarks.test_import_speed import write_files
from tests.conftest import POSTGRES_URL, _postgres_schema_url

pytestmark = pytest.mark.benchmark

LARGE = int(os.environ.get("QA_APP_BENCH_MEMORY_CALLS") or 1_000_000)
SMALL = LARGE // 10
MEMORY_RATIO = 1.5

# Runs the command in this process and reports its peak resident memory (KB on Linux).
IMPORT = """
import resource, sys
from qa_app.cli.main import main
try:
    main(["import", "calls", sys.argv[1]])
except SystemExit as exit:
    if exit.code:
        raise
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def _import(url: str, path) -> tuple[float, int]:
    """(seconds, peak KB) of importing ``path`` into the migrated database at ``url``."""
    engine = db.make_engine(url)
    db.upgrade(engine)
    engine.dispose()
    env = {**os.environ, "QA_APP_DATABASE_URL": url}
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", IMPORT, str(path)], capture_output=True, text=True, env=env
    )
    seconds = time.perf_counter() - start
    assert done.returncode == 0, done.stderr[-2000:]
    return seconds, int(done.stdout.strip().splitlines()[-1])


def _calls_file(folder, calls: int):
    import tests.benchmarks.test_import_speed as speed

    folder.mkdir()
    saved = speed.CALLS, speed.REVIEWS
    speed.CALLS, speed.REVIEWS = calls, 0
    try:
        return write_files(folder)[0]
    finally:
        speed.CALLS, speed.REVIEWS = saved


def test_call_imports_hold_flat_memory_and_postgresql_keeps_up(tmp_path):
    if not POSTGRES_URL:
        pytest.skip("no PostgreSQL to compare with")
    files = {size: _calls_file(tmp_path / f"calls-{size}", size) for size in (SMALL, LARGE)}
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    results = {}
    try:
        for size, path in files.items():
            results["sqlite", size] = _import(f"sqlite:///{tmp_path / f'{size}.sqlite3'}", path)
            schema = f"qa_bench_{uuid.uuid4().hex[:12]}"
            with admin.connect() as connection:
                connection.execute(text(f'CREATE SCHEMA "{schema}"'))
            try:
                results["postgresql", size] = _import(_postgres_schema_url(schema), path)
            finally:
                with admin.connect() as connection:
                    connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        admin.dispose()
    lines = [f"\nqa-app import calls, fresh process and database each ({SMALL:,} and {LARGE:,}):"]
    for (backend, size), (seconds, peak) in results.items():
        lines.append(
            f"  {backend:10} {size:>9,} calls: {seconds:6.1f} s, {size / seconds:7,.0f} calls/s, "
            f"peak {peak / 1024:6.0f} MB"
        )
    growth = {
        backend: results[backend, LARGE][1] / results[backend, SMALL][1]
        for backend in ("sqlite", "postgresql")
    }
    rates = {backend: LARGE / results[backend, LARGE][0] for backend in ("sqlite", "postgresql")}
    lines.append(
        f"  peak at {LARGE:,} / peak at {SMALL:,}: SQLite {growth['sqlite']:.2f}x, PostgreSQL "
        f"{growth['postgresql']:.2f}x (target at most {MEMORY_RATIO}x)"
    )
    lines.append(
        f"  PostgreSQL calls/s / SQLite calls/s at {LARGE:,}: "
        f"{rates['postgresql'] / rates['sqlite']:.2f} (target at least 1)"
    )
    print("\n".join(lines))
    assert max(growth.values()) <= MEMORY_RATIO
    assert rates["postgresql"] >= rates["sqlite"]
