"""The limits a worker runs under: one frozen value, one place for every default.

Everything that bounds student code (wall time per call, CPU, memory, output, open files, the
submission's total time, its private disk and its threads) is a field here. The grading layer reads them
from the course configuration or the command line, records them in every result and in the
"already graded?" key, and hands them to the sandbox, which enforces them.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """Bounds on one submission's worker (every field has its one default here)."""

    timeout: float = 10.0          # wall seconds per call into student code, and per notebook cell at load
    cpu_seconds: float | None = None  # CPU seconds per worker process; None: max(10, 6 x timeout)
    memory_mb: int = 512           # address space a worker may add on top of what it starts with
    output_kb: int = 1024          # largest file a worker may write (its printed output included)
    files: int = 64                # open file descriptors per worker
    budget: float | None = None    # wall seconds for all of one submission's calls; None: 4 x timeout
    disk_mb: int = 64              # total size of a worker's private directory
    tasks: int = 32                # threads (and processes) per worker, itself included

    def __post_init__(self) -> None:
        problems = []
        for name in ("timeout", "cpu_seconds", "budget"):
            value = getattr(self, name)
            if value is not None and not (isinstance(value, (int, float)) and not isinstance(value, bool)
                                          and math.isfinite(value) and value > 0):
                problems.append(f"{name} must be a positive number of seconds, got {value!r}")
        for name in ("memory_mb", "output_kb", "files", "disk_mb", "tasks"):
            value = getattr(self, name)
            if not (isinstance(value, int) and not isinstance(value, bool) and value > 0):
                problems.append(f"{name} must be a whole number > 0, got {value!r}")
        if problems:
            raise ValueError("; ".join(problems))

    # -- derived values (each default that depends on another lives here, once)
    @property
    def cpu(self) -> int:
        """CPU seconds per worker (RLIMIT_CPU)."""
        return int(math.ceil(self.cpu_seconds)) if self.cpu_seconds is not None else max(10, int(self.timeout * 6))

    @property
    def wall_budget(self) -> float:
        """Wall seconds one submission may spend in all its calls together."""
        return float(self.budget) if self.budget is not None else 4.0 * self.timeout

    @property
    def memory_bytes(self) -> int:
        return self.memory_mb << 20

    @property
    def output_bytes(self) -> int:
        return self.output_kb << 10

    @property
    def disk_bytes(self) -> int:
        return self.disk_mb << 20

    # -- records and keys
    def to_json(self) -> dict:
        """Plain data for a record (and for the regrade key): every field, as set."""
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict | None) -> Limits:
        """The inverse of :meth:`to_json`; unknown keys are a ValueError (a typo is not a default)."""
        data = dict(data or {})
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown limit(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        return cls(**data)

    def replace(self, **changes) -> Limits:
        """A copy with ``changes`` (None values are ignored, so CLI options can be passed as they are)."""
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})


DEFAULT = Limits()
