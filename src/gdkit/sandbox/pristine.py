"""The zygote's own process state, recorded at start and checked before every fork.

A worker inherits its parent's resource limits, nice value, scheduling policy and CPU
affinity. If anything ever changed them on the zygote (a worker reaching it despite seccomp and
the PID namespace, say), every later worker would start crippled and its student would be
blamed. So the zygote records its state once and, before each fork, puts back whatever changed;
what cannot be put back makes the spawn fail, which the grader reports as its own error.
"""
from __future__ import annotations

import os
import resource
from dataclasses import dataclass

_RLIMITS = sorted({getattr(resource, n) for n in dir(resource) if n.startswith("RLIMIT_")})


@dataclass(frozen=True)
class State:
    rlimits: tuple
    nice: int
    policy: int
    param: int
    affinity: frozenset

    @classmethod
    def now(cls) -> State:
        return cls(rlimits=tuple((r, resource.getrlimit(r)) for r in _RLIMITS),
                   nice=os.getpriority(os.PRIO_PROCESS, 0),
                   policy=os.sched_getscheduler(0), param=os.sched_getparam(0).sched_priority,
                   affinity=frozenset(os.sched_getaffinity(0)))


def restore(expected: State) -> list[str]:
    """Put back what differs from ``expected``; returns what could not be (empty when pristine)."""
    current = State.now()
    if current == expected:
        return []
    problems: list[str] = []
    # Both tuples are made over _RLIMITS, in its order; _try calls the lambda before the loop moves on.
    for (kind, want), (_, have) in zip(expected.rlimits, current.rlimits):  # noqa: B905
        if want != have:
            _try(problems, f"rlimit {kind}", lambda: resource.setrlimit(kind, want))  # noqa: B023
    if current.nice != expected.nice:
        _try(problems, "nice", lambda: os.setpriority(os.PRIO_PROCESS, 0, expected.nice))
    if (current.policy, current.param) != (expected.policy, expected.param):
        _try(problems, "scheduling policy",
             lambda: os.sched_setscheduler(0, expected.policy, os.sched_param(expected.param)))
    if current.affinity != expected.affinity:
        _try(problems, "CPU affinity", lambda: os.sched_setaffinity(0, expected.affinity))
    if not problems and State.now() != expected:
        problems.append("state still differs after restoring")
    return problems


def _try(problems: list, what: str, action) -> None:
    try:
        action()
    except (OSError, ValueError) as exc:
        problems.append(f"{what} ({exc})")
