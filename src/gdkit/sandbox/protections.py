"""What the kernel offers the sandbox, probed by trusted code (the zygote, the runner).

The worker's kernel-level protections are seccomp (x86_64 only) and Landlock (Linux 5.13+).
Where one is missing the worker still runs, behind the audit hook alone, and the grading run
says so in one line on stderr. Where the probe says one works, the worker child refuses to run
student code if installing it then fails (fail closed, not open).
"""
from __future__ import annotations

import sys

from gdkit.sandbox import landlock, seccomp

# The worker child's exit status when a promised protection did not install.
CAGE_FAILED = 121


def probe() -> dict:
    """``{"seccomp": bool, "landlock": ABI version (0 = none)}`` for the running kernel."""
    return {"seccomp": seccomp.available(), "landlock": landlock.abi()}


def missing(found: dict) -> list[str]:
    """Names of the protections ``found`` (a :func:`probe` result) lacks."""
    out = []
    if not found.get("seccomp"):
        out.append("seccomp (process creation is refused by the audit hook only)")
    if not found.get("landlock"):
        out.append("Landlock (file access from C code is not confined)")
    return out


def warning(found: dict) -> str | None:
    """The one-line warning for a grading run, or None when everything is in place."""
    lacking = missing(found)
    if not lacking:
        return None
    return ("gdkit: warning: this kernel lacks " + "; ".join(lacking)
            + "; grade inside an OS sandbox (see README, Threat model)")


def warn(stream=None) -> None:
    """Print :func:`warning` for this machine, if any, as one line on ``stream`` (stderr)."""
    line = warning(probe())
    if line:
        print(line, file=stream or sys.stderr, flush=True)
