"""Background priority for the threads that embed, so that indexing never slows the work it indexes.

Embedding runs after commit, off the write path (DESIGN §3), but on a machine of two cores it competes
with the writes for the CPU: measured with the default model indexing meanwhile, one awaited
``add_event`` at a time fell from 445 to 120-127 events/s (p50 2.0 -> 8 ms) and 50 writers from 6,900 to
3,400-3,600 events/s. The indexer thread and onnxruntime's worker threads therefore run at a lower
priority (nice +:data:`BACKGROUND_NICE` on Linux): the same runs then gave 247-281 and 5,500-6,400
events/s, while the model embedded as fast as before when nothing else ran (and caught up with the
same backlog in the same time). Only Linux lets one thread of a process change its own priority;
elsewhere these helpers do nothing.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from typing import TypeVar

__all__ = ["BACKGROUND_NICE", "lower_thread_priority", "run_at_background_priority"]

BACKGROUND_NICE = 10
"""How much lower than the process a background thread runs (the ``nice`` increment; 19 is the lowest).

At +10 Linux gives a busy background thread about a tenth of the CPU time of a busy thread of the
process: writes keep their speed, and indexing still moves when the process never pauses.
"""

T = TypeVar("T")


def lower_thread_priority() -> bool:
    """Run the calling thread :data:`BACKGROUND_NICE` below the process (its main thread); new threads inherit it.

    The level is set, not added to: a thread already at it (or lower) stays as it is, so a background
    thread that builds the model's runtime does not push its workers further down. It cannot be raised
    back (that takes privileges), so call it only on threads made for background work.

    Returns:
        Whether the priority was lowered (``False`` off Linux, or if the system refused).

    Example:
        >>> import threading
        >>> done = []
        >>> worker = threading.Thread(target=lambda: done.append(lower_thread_priority()))
        >>> worker.start(); worker.join()
        >>> done == [sys.platform.startswith("linux")]
        True
    """
    if not sys.platform.startswith("linux"):
        return False
    thread = threading.get_native_id()
    try:
        # On Linux the "process" of PRIO_PROCESS is a thread: the pid names the main thread.
        target = min(19, os.getpriority(os.PRIO_PROCESS, os.getpid()) + BACKGROUND_NICE)
        if os.getpriority(os.PRIO_PROCESS, thread) < target:
            os.setpriority(os.PRIO_PROCESS, thread, target)
    except OSError:  # pragma: no cover - a sandbox that forbids it: run at the normal priority
        return False
    return True


def run_at_background_priority(build: Callable[[], T]) -> T:
    """Call ``build`` on a new thread of lowered priority and return its result (or raise its error).

    For objects that start worker threads when they are made (an onnxruntime session): the workers
    inherit the lowered priority, while the calling thread keeps its own.

    Example:
        >>> run_at_background_priority(lambda: 6 * 7)
        42
    """
    outcome: list[T] = []
    failure: list[BaseException] = []

    def target() -> None:
        lower_thread_priority()
        try:
            outcome.append(build())
        except BaseException as exc:  # handed to the caller below
            failure.append(exc)

    worker = threading.Thread(target=target, name="agentlog-background-build", daemon=True)
    worker.start()
    worker.join()
    if failure:
        raise failure[0]
    return outcome[0]
