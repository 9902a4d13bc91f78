"""CPU priority: training yields to the server and to a browser on the same machine (Linux; elsewhere nothing).

Linux shares the CPU in two levels. First between scheduling groups: with the kernel's autogroups, one per
session (a terminal and what it started is one; a browser started from the desktop is another). Then between
the threads of a group, by niceness. So a training thread's own niceness orders it only against the server's
event loop: against a browser in another session, all of training still gets half the CPU. So the server lowers
its session's niceness too: bench/render.py measures what that gives a page (figures in docs/dashboard.md).
"""

import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger("gradcast.live")

AUTOGROUP = Path("/proc/self/autogroup")  # "/autogroup-1029 nice 0"; writing a number sets that nice
RETRY_S = 0.11  # the kernel lets an unprivileged process change an autogroup's nice once per 100 ms (EAGAIN)

_lock = threading.Lock()
_holders = 0  # servers in this process that asked for the session's lower priority
_restore: int | None = None  # the session's niceness before the first of them (restored after the last)


def lower_thread_priority(nice: int) -> None:
    """Add `nice` to the calling thread's niceness (Linux schedules each thread on its own).

    An unprivileged process can raise niceness but never lower it again, so only worker threads, which end with
    their run, call this."""
    if nice <= 0 or not sys.platform.startswith("linux"):
        return
    tid = threading.get_native_id()
    try:
        os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + nice))
    except OSError as exc:  # a sandbox that forbids it: train at the server's priority
        log.warning("could not lower the priority of a training thread: %s", exc)


def session_nice() -> int | None:
    """The niceness of this process's autogroup, or None where there is none (not Linux, or no autogroups)."""
    try:
        return int(AUTOGROUP.read_text().split()[-1])
    except (OSError, ValueError, IndexError):
        return None


def _set_session_nice(nice: int) -> bool:
    for attempt in range(2):
        try:
            AUTOGROUP.write_text(str(nice))
            return True
        except BlockingIOError:  # EAGAIN: another change within the last 100 ms
            if attempt == 0:
                time.sleep(RETRY_S)
        # e.g. a container's read-only /proc: its cgroup's CPU weight decides there anyway
        except OSError as exc:
            log.info("the session's CPU priority is left as it is: %s", exc)
            return False
    return False


def lower_session_priority(nice: int) -> Callable[[], None]:
    """Raise this session's autogroup niceness to at least `nice`; returns what puts it back.

    The first server of a process lowers it and the last one to stop restores it (tests run several servers at
    once). A niceness already at or above `nice` is left alone, and is not changed back either."""
    global _holders, _restore
    with _lock:
        _holders += 1
        if _holders == 1:
            current = session_nice()
            _restore = None
            if nice > 0 and current is not None and current < nice and _set_session_nice(min(19, nice)):
                _restore = current
                log.info("session CPU priority lowered to nice %d (GRADCAST_SESSION_NICE)", min(19, nice))

    done = False

    def restore() -> None:
        nonlocal done
        global _holders, _restore
        with _lock:
            if done:
                return
            done = True
            _holders -= 1
            if _holders == 0 and _restore is not None:
                _set_session_nice(_restore)
                _restore = None

    return restore
