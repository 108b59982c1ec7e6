"""Which process runs a background job (web imports, coach exports), and whether it is gone.

A job row names its runner as ``host:pid``. On the same machine a dead process id is known at
once; on another machine only the job's heartbeat (its row's ``updated_at``) can tell.
"""

from __future__ import annotations

import os
import socket

HOST = socket.gethostname()


def runner_id() -> str:
    """This process, as job rows name their runner."""
    return f"{HOST}:{os.getpid()}"


def alive(pid: int) -> bool:
    """Whether a process with this id runs on this machine (it may be another user's)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True  # exists but not ours, or cannot tell: not evidence that it died
    return True


def runner_state(runner: str) -> str:
    """``this process``, ``dead`` (on this machine, no such process), ``alive`` (on this
    machine) or ``elsewhere`` (another machine, or no runner recorded)."""
    host, _, pid = runner.rpartition(":")
    if host != HOST or not pid.isdigit():
        return "elsewhere"
    if int(pid) == os.getpid():
        return "this process"
    return "alive" if alive(int(pid)) else "dead"
