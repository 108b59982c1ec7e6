"""Memory settings for reading and validating a large import."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def cycle_collector_paused() -> Iterator[None]:
    """Python's cycle collector off while an import runs, on again after (if it was on).

    Reading and validating a million rows makes millions of objects that all live until
    the import ends. The collector, started by allocations, walked them again and again
    (a sixth to a quarter of a million-call import) and could free none of them: they are
    not garbage. Reference counting frees everything else as usual, and cycles made
    meanwhile anywhere in the process are collected once the collector is on again.
    """
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()
