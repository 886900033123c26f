"""What a sandbox run allows, chosen by the trusted caller: one frozen value handed to the zygote.

The sandbox knows nothing of the code it runs. Whoever uses it says which packages the
untrusted code may not import (and whose files it may not read), which trees it may read
besides the Python installation and the system libraries, which unprivileged user runs the
workers when the caller is root, which modules the zygote imports once for every worker,
whether each worker gets control groups of its own where this process can make them, and
whether the audit hook is installed (a switch for the kit's own tests: the kernel's
protections must hold without it).
"""
from __future__ import annotations

import dataclasses
import importlib.util
import os
from dataclasses import dataclass

# Read-only for untrusted code besides the Python installation: what numpy, the C library, time
# zones and matplotlib's fonts need.
SYSTEM_DIRS = ("/usr/lib", "/usr/lib64", "/usr/local/lib", "/usr/share/zoneinfo", "/usr/share/fonts")
NOBODY = 65534


@dataclass(frozen=True)
class Policy:
    """The allowances of every worker of one zygote (plain data: it crosses to the zygote as JSON)."""

    banned_packages: tuple[str, ...] = ()   # no import, and their folders are unreadable
    hidden_paths: tuple[str, ...] = ()      # further trees carved out of everything readable
    read_paths: tuple[str, ...] = SYSTEM_DIRS  # read-only trees besides the Python installation
    uid: int = NOBODY                       # who runs the workers when the grader is root
    gid: int = NOBODY
    preload: tuple[str, ...] = ("numpy",)   # imported once by the zygote, so workers start warm
    audit_hook: bool = True                 # False only in the kit's own tests (kernel-only run)
    cgroups: bool = True                    # a pids and memory control group per worker where possible

    def __post_init__(self) -> None:
        for name in ("uid", "gid"):
            value = getattr(self, name)
            if not (isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2 ** 32 - 1):
                raise ValueError(f"{name} must be an unprivileged id (> 0), got {value!r}")

    def banned_dirs(self) -> list[str]:
        """Folders of the banned packages (found without importing them) and the hidden paths."""
        out = [os.path.realpath(p) for p in self.hidden_paths]
        for name in self.banned_packages:
            try:
                spec = importlib.util.find_spec(name)
            except (ImportError, ValueError):
                spec = None
            for location in (spec.submodule_search_locations or []) if spec else []:
                out.append(os.path.realpath(location))
        return sorted(set(out))

    def to_json(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> Policy:
        fields = {f.name for f in dataclasses.fields(cls)}
        data = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in fields}
        return cls(**data)
