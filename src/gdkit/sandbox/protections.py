"""What the kernel offers the sandbox, probed by trusted code (the zygote, the runner).

The worker's kernel-level protections are seccomp (x86_64), Landlock (Linux 5.13+) and
namespaces (a user, network, mount and PID namespace per worker, where the kernel lets this
user make them). Where one is missing the worker still runs behind the others and the audit
hook, and the grading run says so in one line on stderr. Where the probe says one works, the
worker child refuses to run untrusted code if installing it then fails (fail closed, not open).
"""
from __future__ import annotations

import os
import sys

from gdkit.sandbox import landlock, namespaces, seccomp

# The worker child's exit status when a promised protection did not install.
CAGE_FAILED = 121


def namespaces_available() -> bool:
    """Whether a child of this process can make its own user, mount and network namespaces."""
    try:
        pid = os.fork()
    except OSError:
        return False
    if pid == 0:
        try:
            namespaces.unshare(namespaces.CLONE_NEWUSER | namespaces.CLONE_NEWNS | namespaces.CLONE_NEWNET)
            os._exit(0)
        except BaseException:
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    return os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


def probe() -> dict:
    """``{"seccomp": bool, "landlock": ABI version (0 = none), "namespaces": bool}`` for this kernel."""
    return {"seccomp": seccomp.available(), "landlock": landlock.abi(), "namespaces": namespaces_available()}


def missing(found: dict) -> list[str]:
    """Names of the protections ``found`` (a :func:`probe` result) lacks."""
    out = []
    if not found.get("seccomp"):
        out.append("seccomp (process creation and sockets are refused by the audit hook only)")
    if not found.get("landlock"):
        out.append("Landlock (file access from C code is not confined)")
    if not found.get("namespaces", True):
        out.append("namespaces (workers share the network; their disk use is capped per file only)")
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
