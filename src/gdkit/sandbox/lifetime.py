"""Tie a process's life to its parent's (Linux), so killing `gdkit grade` kills everything.

The chain is: the command -> grader sessions -> their zygote -> workers. Each link asks the
kernel for SIGKILL when its parent dies, so `kill -9` of the command alone leaves no session
writing results after the output folder's lock is gone, and no worker spinning on its own.
"""
from __future__ import annotations

import ctypes
import os
import select
import signal

_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36


def _prctl(option: int, value: int) -> bool:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(option, value, 0, 0, 0) == 0
    except (OSError, AttributeError):  # not Linux
        return False


def die_with_parent(expected_parent: int | None = None, life_fd: int | None = None) -> None:
    """SIGKILL this process when its parent exits; exit now if it already has.

    The parent is named by its pid, or (for a child in a new PID namespace, where the parent has
    no pid) by ``life_fd``: the read end of a pipe whose write end only the parent holds.
    """
    _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if expected_parent is not None and os.getppid() != expected_parent:
        os._exit(1)  # the parent died before the request took effect
    if life_fd is not None and select.select([life_fd], [], [], 0)[0]:
        os._exit(1)  # end of file: the parent is gone


def adopt_orphans() -> None:
    """Make orphaned descendants our children (not init's), so we can always kill them."""
    _prctl(_PR_SET_CHILD_SUBREAPER, 1)
