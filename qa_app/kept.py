"""Results kept in this process by the exact inputs they were computed from: a report that
takes seconds (an experiment's randomisation inference, a calibration session's bootstrap,
survival's fits, outreach tracking) is computed once per key and shared by later requests."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from threading import Lock


class Kept:
    """The ``size`` most recently used results by key, safe to share between threads."""

    def __init__(self, size: int):
        self.size = size
        self._items: OrderedDict[Hashable, object] = OrderedDict()
        self._lock = Lock()

    def get(self, key: Hashable):
        """The result kept for ``key``, or None."""
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: Hashable, value) -> None:
        """Keep ``value`` for ``key``; the least recently used goes beyond ``size``."""
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

