"""What the kernel offers the sandbox, probed by trusted code (the zygote, the runner).

The worker's kernel-level protections are seccomp (x86_64), Landlock (Linux 5.13+),
namespaces (a user, network, IPC, mount and PID namespace per worker, where the kernel lets
this user make them) and a task limit per worker: a pids control group of its own where this
process can make one (:mod:`gdkit.sandbox.cgroups`), and RLIMIT_NPROC in the worker's own user
namespace (counted per user namespace since Linux 5.14). Where one is missing the worker still
runs behind the others and the audit hook, and the grading run says so in one line on stderr.
Where the probe says one works, the worker child refuses to run untrusted code if installing it
then fails (fail closed, not open).
"""
from __future__ import annotations

import os
import resource
import sys
import time

from gdkit.sandbox import cgroups, landlock, namespaces, seccomp
from gdkit.sandbox.policy import NOBODY

# The worker child's exit status when a promised protection did not install.
CAGE_FAILED = 121
_NPROC_ACCOUNTED_PER_NAMESPACE = (5, 14)


def _kernel_at_least(version: tuple[int, int]) -> bool:
    try:
        found = tuple(int(part) for part in os.uname().release.split("-")[0].split(".")[:2])
    except ValueError:
        return False
    return found >= version


def _one_namespace_bounds_its_tasks() -> bool:
    """In a fresh user namespace: RLIMIT_NPROC 2 lets exactly one more task start (only this
    namespace's tasks count, not the same user's elsewhere)."""
    import _thread
    resource.setrlimit(resource.RLIMIT_NPROC, (2, 2))
    started = 0
    for _ in range(2):
        try:
            _thread.start_new_thread(time.sleep, (5,))
            started += 1
        except RuntimeError:
            break
    return started == 1


def _namespace_probe() -> tuple[bool, bool]:
    """(namespaces, a task limit per user namespace) as a worker's unprivileged user finds them."""
    try:
        pid = os.fork()
    except OSError:
        return False, False
    if pid == 0:
        code = 1
        try:
            if os.geteuid() == 0:  # root's tasks are never counted: probe as the workers' kind of user
                os.setgroups([])
                os.setresgid(NOBODY, NOBODY, NOBODY)
                os.setresuid(NOBODY, NOBODY, NOBODY)
            namespaces.unshare(namespaces.CLONE_NEWUSER | namespaces.CLONE_NEWNS | namespaces.CLONE_NEWNET
                               | namespaces.CLONE_NEWIPC)
            code = 2
            if _kernel_at_least(_NPROC_ACCOUNTED_PER_NAMESPACE) and _one_namespace_bounds_its_tasks():
                code = 0
        except BaseException:
            pass
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1
    return code in (0, 2), code == 0


def namespaces_available() -> bool:
    """Whether a child of this process can make its own user, mount, network and IPC namespaces."""
    return _namespace_probe()[0]


def probe() -> dict:
    """What this kernel offers: ``seccomp`` (bool), ``landlock`` (ABI version, 0 = none),
    ``namespaces`` (bool), ``nproc`` (RLIMIT_NPROC counted per user namespace: a task limit for
    one worker) and ``cgroup`` ("v1", "v2": the cgroup version of a pids group per worker, ""
    when this process cannot make one)."""
    isolated, nproc = _namespace_probe()
    pids = cgroups.find().get("pids")
    return {"seccomp": seccomp.available(), "landlock": landlock.abi(), "namespaces": isolated,
            "nproc": nproc, "cgroup": f"v{pids.version}" if pids else ""}


def task_limit(found: dict) -> str:
    """How one worker's tasks are bounded here, in words ("" when they are not)."""
    ways = []
    if found.get("cgroup"):
        ways.append(f"a pids cgroup ({found['cgroup']}) per worker")
    if found.get("nproc"):
        ways.append("RLIMIT_NPROC in the worker's own user namespace")
    return " and ".join(ways)


def missing(found: dict) -> list[str]:
    """Names of the protections ``found`` (a :func:`probe` result) lacks."""
    out = []
    if not found.get("seccomp"):
        out.append("seccomp (process creation and sockets are refused by the audit hook only)")
    if not found.get("landlock"):
        out.append("Landlock (file access from C code is not confined)")
    if not found.get("namespaces", True):
        out.append("namespaces (workers share the network and SysV IPC, see the host's files' metadata, and "
                   "their disk use is capped per file only)")
    if "nproc" in found and not task_limit(found):
        out.append("a task limit per worker (one submission's threads could exhaust the machine's processes)")
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
