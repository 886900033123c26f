"""The worker side of the sandbox: a pristine pre-started process that forks one child per worker.

Run as ``python -m gdkit.sandbox.worker <control-fd>`` by :mod:`gdkit.sandbox.client`.
The parent process (the *zygote*) imports the policy's modules (numpy) once, probes which
kernel protections work (:mod:`gdkit.sandbox.protections`), records its own process state
(:mod:`gdkit.sandbox.pristine`) and never holds untrusted code or data: a spawn request carries
only a work folder and limits. Before each fork it puts its state back (or refuses to fork),
and makes the next child PID 1 of a new PID namespace. The child:

0. (forked ahead of need) joins its own control groups where the zygote made them
   (:mod:`gdkit.sandbox.cgroups`: a task limit and a memory ceiling), then waits for a
   worker's request and socket;
1. starts its own session, points stdin at /dev/null and stdout/stderr at a size-capped log,
   closes every other descriptor but its own socket (the zygote's handles stay behind),
   clears the environment, sets its resource limits (CPU time,
   address space, file size, open files, no core dumps): a limit that does not take ends the
   child;
2. isolates itself (:mod:`gdkit.sandbox.namespaces`): a network namespace with no network, an
   IPC namespace, a mount namespace in which its root is a minimal read-only tree (the
   Python installation, the system libraries, /dev/null and /dev/urandom, and its private
   directory, a size-capped tmpfs at /tmp); when the grader is root it becomes the policy's
   unprivileged user; then a user namespace of its own, in which RLIMIT_NPROC bounds its tasks,
   and every capability dropped with no_new_privs (:mod:`gdkit.sandbox.privileges`);
3. restricts itself with Landlock (files: read-only Python installation and system libraries,
   read-write private directory, nothing else; no TCP; no signals out) and seccomp (itself
   only: no processes, sockets, mounts, or calls on other processes);
4. installs the audit hook (:mod:`gdkit.sandbox.cage`; defence in depth), and tells the grader
   it is caged. Any step the zygote found available that then fails ends the child with
   :data:`protections.CAGE_FAILED` before any untrusted code is received;
5. receives its cells and the caller's trusted *driver* sources over its own socket, compiles
   the drivers, runs the cells one by one in one namespace (reporting each cell's start, so
   the grader can skip a cell that runs too long), then answers requests until the grader
   closes the socket.

Nothing here is trusted by the grader: answers are plain data that trusted code judges.
"""
from __future__ import annotations

import os
import sys

# Fix thread counts before numpy loads: a forked child must not inherit BLAS thread pools.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"
os.environ.setdefault("MPLBACKEND", "Agg")

import builtins  # noqa: E402
import importlib  # noqa: E402
import io  # noqa: E402
import resource  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402

from gdkit.sandbox import (calls, cage as cages, cgroups, landlock, lifetime, namespaces, pristine,  # noqa: E402
                           privileges, protections, protocol, seccomp)
from gdkit.sandbox.policy import Policy  # noqa: E402

OUTPUT_LOG = "output.log"
PRIVATE = "private"
TMPFS_INODES = 4096
ROOT_FOLDER = "root"  # in the run's folder: where a root zygote builds the workers' minimal root
# Memory a worker's group may hold beyond its address space and private disk (kernel memory,
# pipes, page cache): the ceiling only bounds what RLIMIT_AS does not count.
MEMORY_SLACK = 64 << 20
# Set once by the zygote (trusted) before forking.
POLICY = Policy()
# What the kernel offers (protections.probe: bools, the Landlock ABI, the cgroup version).
PROTECTIONS: dict[str, Any] = {"seccomp": False, "landlock": 0, "namespaces": False, "pid_namespace": False,
                               "root": False, "nproc": False, "cgroup": ""}
ROOT = False  # the zygote runs as root: workers become POLICY.uid/gid
_STATIC_RULES: list = []
_READABLE: list[str] = []
_FORBIDDEN: list[str] = []
_PLAN = namespaces.RootPlan(trees=())
_BUILT_ROOT = ""  # the minimal root a root zygote built once (its workers enter copies of it)


def _preload(modules) -> None:
    """Import, once in the zygote, what every worker needs (so children start instantly)."""
    import math, random, itertools, functools, collections  # noqa: F401,E401
    for name in modules:
        importlib.import_module(name)


def _python_prefixes() -> list[str]:
    return sorted({os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix,
                                                 sys.base_exec_prefix)})


def _read_roots() -> list[str]:
    return _python_prefixes() + [os.path.realpath(d) for d in POLICY.read_paths if os.path.isdir(d)]


def _static_rules() -> list:
    """Landlock rules every child shares (computed once, in the zygote)."""
    # Every granted tree leaves the banned packages out: pip may have put one in the Python
    # installation or in a system directory (/usr/lib/python3/dist-packages, /usr/local/lib).
    rules = [rule for root in _read_roots() for rule in landlock.beneath_except(root, _FORBIDDEN, landlock.READ_EXEC)]
    # Opening /dev/null with mode "w" truncates it: TRUNCATE is part of writing to it.
    rules += [("/dev/urandom", landlock.READ_FILE),
              ("/dev/null", landlock.READ_FILE | landlock.WRITE_FILE | landlock.TRUNCATE)]
    return rules


# ---------------------------------------------------------------- the child's cage

class CageFailed(Exception):
    """A limit or protection the zygote promised did not take: no untrusted code may run."""


def _limit(kind: int, value: int) -> None:
    try:
        resource.setrlimit(kind, (value, value))
    except (ValueError, OSError) as exc:
        raise CageFailed(f"resource limit {kind} could not be set ({exc})") from None
    if resource.getrlimit(kind) != (value, value):
        raise CageFailed(f"resource limit {kind} did not take")


def _set_limits(limits: dict) -> None:
    _limit(resource.RLIMIT_CPU, int(limits["cpu"]))
    _limit(resource.RLIMIT_FSIZE, int(limits["output_bytes"]))
    _limit(resource.RLIMIT_CORE, 0)
    _limit(resource.RLIMIT_NOFILE, int(limits["files"]))
    with open("/proc/self/status") as status:
        vm = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmSize:"))
    _limit(resource.RLIMIT_AS, vm + int(limits["memory_bytes"]))


_UNSHARED = namespaces.CLONE_NEWNS | namespaces.CLONE_NEWNET | namespaces.CLONE_NEWIPC


def _isolate(private: str, disk_bytes: int, isolated: bool, rooted: bool) -> str:
    """Namespaces, minimal root, user and capabilities (see the module docstring, step 2).

    Returns the private directory's path as the process sees it afterwards."""
    uid, gid = (POLICY.uid, POLICY.gid) if ROOT else (os.getuid(), os.getgid())
    if ROOT:
        proc_self = None
        try:
            if isolated:
                namespaces.unshare(_UNSHARED)
                if rooted:
                    namespaces.mount_private_tmpfs(_BUILT_ROOT + namespaces.PRIVATE_IN_ROOT, disk_bytes,
                                                   TMPFS_INODES, uid, gid)
                    # The id maps are written after the root changed: through this process's
                    # /proc folder, opened now (and closed below, before any untrusted code).
                    proc_self = os.open("/proc/self", os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
                    namespaces.enter_root(_BUILT_ROOT)
                    private = namespaces.PRIVATE_IN_ROOT
                else:
                    namespaces.mount_private_tmpfs(private, disk_bytes, TMPFS_INODES, uid, gid)
            else:
                os.chown(private, uid, gid)
            privileges.drop_bounding_set()  # while CAP_SETPCAP is still ours
            privileges.become(uid, gid)
            if isolated:
                privileges.set_dumpable(True)  # to write our own id maps
                namespaces.enter_user_namespace(uid, gid, proc_self)
                privileges.set_dumpable(False)
        finally:
            if proc_self is not None:
                os.close(proc_self)
    elif isolated:
        privileges.set_dumpable(True)  # to write our own id maps (the zygote is not dumpable)
        namespaces.enter_user_namespace(uid, gid)
        namespaces.unshare(_UNSHARED)
        if rooted:  # built here, in our own user namespace (a zygote without root cannot mount)
            namespaces.make_private()
            namespaces.build_root(private, _PLAN)
            namespaces.mount_private_tmpfs(private + namespaces.PRIVATE_IN_ROOT, disk_bytes, TMPFS_INODES, uid, gid)
            namespaces.enter_root(private)
            private = namespaces.PRIVATE_IN_ROOT
        else:
            namespaces.mount_private_tmpfs(private, disk_bytes, TMPFS_INODES, uid, gid)
    # Not dumpable whatever the path: another process of the same user (a classmate's worker where
    # there are no user namespaces and no Landlock) may not open our /proc/PID/mem, environ or maps.
    privileges.set_dumpable(False)
    privileges.drop_capabilities()
    return private


def _close_other_fds(keep: int) -> None:
    """Close every descriptor but 0-2 and ``keep``: whatever the zygote held open (a handle on
    the host's PID namespace, say) must not reach untrusted code."""
    try:
        # The open ones (os.closerange may close a million numbers one by one where the C
        # library has no close_range).
        fds = [int(name) for name in os.listdir("/proc/self/fd")]
    except (OSError, ValueError):
        fds = list(range(3, 1 << 16))
    for fd in fds:
        if fd > 2 and fd != keep:
            try:
                os.close(fd)
            except OSError:
                pass  # the listing's own descriptor, already closed


def _enter_cage(spec: dict, keep_fd: int = -1, refused: str | None = None) -> cages.Cage | None:
    """Cage this process (see the module docstring, steps 1-4). ``keep_fd``: the worker's own
    socket; ``refused``: why joining its control groups failed (this process joined them, or
    had none, when None)."""
    workdir = spec["workdir"]
    private = os.path.join(workdir, PRIVATE)
    limits = spec["limits"]
    os.setsid()
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    log = os.open(os.path.join(workdir, OUTPUT_LOG), os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(devnull)
    os.close(log)
    _close_other_fds(keep_fd)
    if refused:
        raise CageFailed(refused)
    # The worker's standard streams for its whole life (the descriptors stay open: closefd=False).
    sys.stdin = open(0, closefd=False)  # noqa: SIM115
    sys.stdout = io.TextIOWrapper(open(1, "wb", closefd=False), line_buffering=True, errors="replace")  # noqa: SIM115
    sys.stderr = io.TextIOWrapper(open(2, "wb", closefd=False), line_buffering=True, errors="replace")  # noqa: SIM115
    # A writer past the file-size cap gets EFBIG instead of being killed, so floods stay cheap.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGALRM):
        signal.signal(sig, signal.SIG_DFL)
    _set_limits(limits)  # before /proc becomes unreadable
    sys.setrecursionlimit(3000)
    try:
        private = _isolate(private, int(limits["disk_bytes"]), PROTECTIONS["namespaces"], PROTECTIONS["root"])
    except OSError as exc:
        raise CageFailed(f"isolation failed ({exc})") from None
    if PROTECTIONS["nproc"]:
        # Counted per user namespace (Linux 5.14+), and this one is the worker's alone.
        _limit(resource.RLIMIT_NPROC, int(limits["tasks"]))
    os.environ.clear()
    os.environ.update({"PATH": "/usr/bin:/bin", "HOME": private, "TMPDIR": private,
                       "MPLBACKEND": "Agg", "MPLCONFIGDIR": private, "LANG": "C.UTF-8",
                       "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"})
    os.chdir(private)
    # The kernel, not the audit hook, confines files (C code opens them unaudited) and refuses
    # process creation, sockets and calls on other processes (CPython does not audit them all).
    rules = _STATIC_RULES + [(os.path.realpath(private), landlock.PRIVATE_DIR)]
    if PROTECTIONS["landlock"] and not landlock.install(rules, PROTECTIONS["landlock"]):
        raise CageFailed("Landlock could not be installed")
    if PROTECTIONS["seccomp"] and not seccomp.install(os.getpid()):
        raise CageFailed("seccomp could not be installed")
    if not POLICY.audit_hook:
        return None
    cage = cages.Cage(private, _READABLE, _FORBIDDEN, list(POLICY.banned_packages))
    sys.addaudithook(cage.hook)
    return cage


# ---------------------------------------------------------------- running the code

def _compile_drivers(sources: dict) -> dict:
    """The caller's trusted helper modules, compiled before any untrusted code runs."""
    drivers = {}
    for name, source in sources.items():
        module = {"__name__": f"driver_{name}", "__builtins__": builtins}
        exec(compile(source, f"<driver {name}>", "exec"), module)  # noqa: S102 - trusted source
        drivers[name] = module
    return drivers


def _cell_result(index, exc: BaseException | None) -> dict:
    if exc is None:
        return {"cell": index, "ok": True}
    return {"cell": index, "ok": False, "error": type(exc).__name__[:100], "message": calls.safe_str(exc)[:500],
            "traceback": calls.short_traceback(exc)[-2000:]}


def _load_cells(sock: socket.socket, cells: list, namespace: dict) -> None:
    """Run each cell in order in one namespace, announcing each before it starts; a failing cell
    does not stop the next. Each announcement carries the previous cell's result."""
    previous = None
    for index, source in cells:
        protocol.send(sock, {"event": "cell", "cell": index, "after": previous})
        try:
            exec(compile(source, f"<cell {index}>", "exec"), namespace)  # noqa: S102 - sandboxed process
            previous = _cell_result(index, None)
        except BaseException as exc:  # SystemExit and KeyboardInterrupt are the student's too
            previous = _cell_result(index, exc)
    defined = sorted(n for n, v in list(namespace.items()) if isinstance(n, str) and callable(v)
                     and not n.startswith("_"))
    protocol.send(sock, {"event": "loaded", "after": previous, "defined": defined[:500]})


def _call(namespace: dict, request: dict, drivers: dict) -> dict:
    function = calls.lookup(namespace, request["name"])
    if function is None:
        return {"ok": False, "kind": "missing", "name": request["name"]}
    args = protocol.decode(request.get("args", []))
    kwargs = protocol.decode(request.get("kwargs", {"__dict__": []}))
    with calls.substituted(namespace, request.get("substitute") or {}):
        value = function(*args, **kwargs)
    return calls.value_reply(value, args if request.get("return_args") else None)


def _call_many(namespace: dict, request: dict, drivers: dict) -> dict:
    function = calls.lookup(namespace, request["name"])
    if function is None:
        return {"ok": False, "kind": "missing", "name": request["name"]}
    results = []
    for args in protocol.decode(request["calls"]):
        try:
            reply = calls.value_reply(function(*args))
        except BaseException as exc:
            reply = calls.error_reply(exc)
        results.append(reply)
    return {"ok": True, "results": results}


def _drive(namespace: dict, request: dict, drivers: dict) -> dict:
    """Run a driver's entry point on the untrusted namespace (e.g. a training loop)."""
    module = drivers.get(request.get("driver"))
    entry = request.get("entry")
    function = module.get(entry) if module is not None and isinstance(entry, str) and not entry.startswith("_") \
        else None
    if not callable(function):
        return {"ok": False, "kind": "protocol", "message": "no such driver entry"}
    return calls.value_reply(function(namespace, **protocol.decode(request.get("args", {"__dict__": []}))))


def _exec(namespace: dict, request: dict, drivers: dict) -> dict:
    # Runs public code (a release's visible test cell) in the student's namespace.
    exec(compile(request["source"], request.get("label", "<check>"), "exec"), namespace)  # noqa: S102
    return {"ok": True, "value": None}


def _has(namespace: dict, request: dict, drivers: dict) -> dict:
    return {"ok": True, "value": calls.lookup(namespace, request["name"]) is not None}


OPS = {"call": _call, "call_many": _call_many, "drive": _drive, "exec": _exec, "has": _has}


def _serve(sock: socket.socket, namespace: dict, drivers: dict) -> None:
    while True:
        try:
            request = protocol.recv(sock)
        except (protocol.Closed, protocol.ProtocolError):
            return
        op = OPS.get(str(request.get("op")))
        try:
            reply = op(namespace, request, drivers) if op else {"ok": False, "kind": "protocol",
                                                               "message": "unknown op"}
        except BaseException as exc:  # the untrusted code's exception, whatever it is
            reply = calls.error_reply(exc)
        try:
            protocol.send(sock, reply, bounds=protocol.REPLY)
        except ValueError as exc:  # over the reply's bounds (what the grader would refuse)
            protocol.send(sock, {"ok": False, "kind": "raised", "exc_type": "UngradableResult",
                                 "message": str(exc)[:200], "traceback": ""})


def _child(sock: socket.socket, spec: dict, refused: str | None = None) -> None:
    try:
        cage = _enter_cage(spec, sock.fileno(), refused)
    except CageFailed as exc:
        os.write(2, f"gdkit sandbox: {exc}; the code was not run\n".encode())
        os._exit(protections.CAGE_FAILED)
    # Only now, caged, does the child receive what it runs: the zygote never held it.
    protocol.send(sock, {"ok": True, "caged": True})
    load = protocol.recv(sock)
    drivers = _compile_drivers(load.get("drivers") or {})
    namespace = {"__name__": "__main__", "__builtins__": builtins}
    if cage is not None:
        cage.armed = True
    _load_cells(sock, load.get("cells") or [], namespace)
    del load
    _serve(sock, namespace, drivers)


# ---------------------------------------------------------------- the zygote

def _own_children() -> list[int]:
    me, pids = os.getpid(), []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == me:
            pids.append(int(entry))
    return pids


def _kill_and_reap(pid: int, active: set, grace: float = 0.0) -> dict:
    """Kill a worker's whole group, reap it, and sweep up any orphan it left behind.

    With ``grace`` (the grader saw the worker hang up), first give it that long to finish
    exiting, so its own exit status is reported rather than our SIGKILL.
    Returns the wait status, whether we killed it, and the kernel's account of the worker.
    """
    reply = {"status": None, "killed": False, "maxrss_kb": 0, "cpu_seconds": 0.0}
    deadline = time.monotonic() + grace
    while True:
        try:
            done, status, usage = os.wait4(pid, os.WNOHANG)
        except ChildProcessError:
            break
        if done:
            active.discard(pid)
            _sweep_orphans(active)
            return {"status": status, "killed": False, "maxrss_kb": usage.ru_maxrss,
                    "cpu_seconds": usage.ru_utime + usage.ru_stime}
        if time.monotonic() >= deadline:
            break
        time.sleep(0.005)
    _kill(pid)
    try:
        _, status, usage = os.wait4(pid, 0)
        reply = {"status": status, "killed": True, "maxrss_kb": usage.ru_maxrss,
                 "cpu_seconds": usage.ru_utime + usage.ru_stime}
    except ChildProcessError:
        pass
    active.discard(pid)
    _sweep_orphans(active)
    return reply


def _kill(pid: int) -> None:
    for target in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
        try:
            target()
        except OSError:
            pass


def _sweep_orphans(active: set) -> None:
    if PROTECTIONS["pid_namespace"]:
        return  # a worker's namespace dies with it: no orphan can exist outside it
    for orphan in _own_children():
        if orphan not in active:
            try:
                os.kill(orphan, signal.SIGKILL)
                os.waitpid(orphan, 0)
            except OSError:
                pass


def _vm_size() -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmSize:"))


class _Forker:
    """Forks children from a pristine zygote, each alone in a new PID namespace where possible,
    and in control groups of its own where this process can make them.

    One child is always forked ahead (a *spare*): it joins its control groups while the grader
    still works with the previous worker (moving a process into a group waits for an RCU grace
    period, ~10 ms) and then waits, holding nothing, until it is handed a worker's request and
    socket. The spare is forked from the pristine zygote like any worker, after its state was
    checked and put back; it receives nothing untrusted before it is caged.
    """

    def __init__(self, controllers: dict, control: socket.socket, active: set):
        self.state = pristine.State.now()
        self.pids = None
        if PROTECTIONS["pid_namespace"]:
            self.pids = namespaces.PidNamespaces()
        self.groups = cgroups.Groups(controllers) if controllers else None
        self.groups_of: dict[int, list[str]] = {}
        self.control = control
        self.active = active  # every child of ours that is alive (workers and the spare)
        self.spare: tuple[int, socket.socket, list[str]] | None = None
        # The children's end of a pipe whose other end only this process holds: a child that sees
        # it closed knows the zygote died before its parent-death signal was armed.
        self.life_read, self.life_write = os.pipe()

    def _fork(self) -> tuple[int, socket.socket, list[str]]:
        """A new child (pid, our end of its channel, its control groups), waiting for work."""
        problems = pristine.restore(self.state)
        if problems:
            raise OSError(0, "the zygote's process state changed: " + "; ".join(problems))
        groups = self.groups.make() if self.groups is not None else []
        ours, theirs = socket.socketpair()
        try:
            if self.pids is not None:
                self.pids.next_child_alone()
            pid = os.fork()
        except OSError:
            ours.close()
            theirs.close()
            self.release_groups(groups)
            raise
        if pid == 0:
            ours.close()
            self._wait_for_work(theirs, groups)  # never returns
        theirs.close()
        self.groups_of[pid] = groups
        self.active.add(pid)
        return pid, ours, groups

    def _wait_for_work(self, channel: socket.socket, groups: list[str]) -> None:
        """In the child: join the control groups, then become the worker the zygote asks for."""
        try:
            lifetime.die_with_parent(life_fd=self.life_read)
            self.control.close()
            os.close(self.life_read)
            os.close(self.life_write)
            refused = None
            try:
                cgroups.join(groups)
            except OSError as exc:
                refused = f"the worker's control group could not be joined ({exc})"
            msg, fds, _flags, _addr = socket.recv_fds(channel, 1, 1)
            if not msg or not fds:
                os._exit(0)  # the zygote is closing: never given work
            request = protocol.recv(channel)
            channel.close()
            with socket.socket(fileno=fds[0]) as sock:
                _child(sock, request, refused)
        finally:
            os._exit(0)

    def start(self, request: dict, fd: int) -> int:
        """Hand a worker's request and socket to the spare (or a new child); its pid."""
        if not PROTECTIONS.get("usable"):
            raise OSError(0, "a worker's user cannot read the Python installation here")
        # The spare was forked pristine, but a zygote whose state was changed and cannot be put
        # back has been reached by something: refuse (a grader error) rather than go on.
        problems = pristine.restore(self.state)
        if problems:
            raise OSError(0, "the zygote's process state changed: " + "; ".join(problems))
        spare, self.spare = self.spare, None
        if spare is None:
            spare = self._fork()
        pid, channel, groups = spare
        limits = request["limits"]
        try:
            if groups:
                # The ceiling is above the address-space limit plus the private disk: it bounds
                # only what RLIMIT_AS does not count (tmpfs pages, kernel memory).
                ceiling = _vm_size() + int(limits["memory_bytes"]) + int(limits["disk_bytes"]) + MEMORY_SLACK
                # groups is non-empty only when self.groups made it (_fork).
                self.groups.limit(groups, {"pids": int(limits["tasks"]), "memory": ceiling})  # type: ignore[union-attr]
            socket.send_fds(channel, [b"S"], [fd])
            protocol.send(channel, request)
        except (OSError, KeyError, TypeError, ValueError):
            _kill_and_reap(pid, self.active)
            self.reaped(pid)
            raise
        finally:
            channel.close()
        return pid

    def refill(self) -> None:
        """Fork the next spare now, so that it is ready (and in its groups) by the next request."""
        if self.spare is None and PROTECTIONS.get("usable"):
            try:
                self.spare = self._fork()
            except OSError:
                self.spare = None  # the next request forks (and reports what fails)

    def release_groups(self, groups: list[str]) -> None:
        if self.groups is not None and groups:
            self.groups.remove(groups)

    def reaped(self, pid: int) -> None:
        """The worker ``pid`` is gone: remove its control groups."""
        self.release_groups(self.groups_of.pop(pid, []))

    def close(self) -> None:
        if self.spare is not None:
            pid, channel, _ = self.spare
            channel.close()  # end of file: the spare exits
            _kill_and_reap(pid, self.active, grace=1.0)
            self.spare = None
        for pid in list(self.groups_of):
            self.reaped(pid)
        if self.groups is not None:
            self.groups.close()
        if self.pids is not None:
            self.pids.close()


def _probe_isolation(isolated: bool, rooted: bool = False) -> bool:
    """Whether a child can isolate itself as a worker would (with namespaces or without, in the
    minimal root or not) and then still read the trees it needs, and (in the minimal root) see
    nothing of the host (tried once, in a scratch folder)."""
    import tempfile
    # In the run's folder (our working directory): swept with it if we are killed meanwhile.
    scratch = tempfile.mkdtemp(prefix="probe-", dir=os.getcwd())
    private = os.path.join(scratch, PRIVATE)
    os.mkdir(private)
    os.chmod(scratch, 0o711)
    try:
        pid = os.fork()
        if pid == 0:
            try:
                _isolate(private, 1 << 20, isolated, rooted)
                for root in _READABLE:
                    os.listdir(root)
                if rooted and (os.path.lexists(scratch) or os.path.lexists("/proc/self")):
                    os._exit(1)
                os._exit(0)
            except BaseException:
                os._exit(1)
        _, status = os.waitpid(pid, 0)
        return os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    finally:
        for path in (private, scratch):
            try:
                os.rmdir(path)
            except OSError:
                pass


def _prepare_root() -> bool:
    """Plan the workers' minimal root; a root zygote builds it once, here (in its own mount
    namespace), and its workers enter copies. Whether workers can have one at all."""
    global _PLAN, _BUILT_ROOT
    if not namespaces.can_pivot():
        return False
    _PLAN = namespaces.plan_root(_READABLE, hidden=_FORBIDDEN)
    if not ROOT:
        return True  # each worker builds its own, in its user namespace
    target = os.path.join(os.getcwd(), ROOT_FOLDER)
    try:
        os.mkdir(target, 0o700)
        namespaces.build_root(target, _PLAN)
    except OSError:
        return False
    _BUILT_ROOT = target
    return True


def _setup(policy: Policy) -> None:
    """Everything the zygote decides once: policy, preloads, protections, the worker's view."""
    global POLICY, ROOT
    POLICY = policy
    ROOT = os.geteuid() == 0
    _preload(policy.preload)
    lifetime.adopt_orphans()
    PROTECTIONS.update(protections.probe())
    _FORBIDDEN[:] = policy.banned_dirs()
    _READABLE[:] = _read_roots()
    _STATIC_RULES[:] = _static_rules()
    PROTECTIONS["namespaces"] = PROTECTIONS["pid_namespace"] = PROTECTIONS["root"] = False
    private = False
    if ROOT:
        try:
            # Our own mount namespace, in which the read-only trees a worker needs are reachable
            # for its unprivileged user (a Python under /root), and nothing else of /root is.
            namespaces.private_mounts()
            private = True
            namespaces.reveal(_READABLE, policy.uid, policy.gid)
        except OSError:
            pass
    if PROTECTIONS["seccomp"]:
        seccomp._program(1)  # each worker is PID 1 of its namespace: its filter is built once, here
    rooted = (private or not ROOT) and _prepare_root()
    isolated = _probe_isolation(True, rooted)
    if not isolated and rooted:  # namespaces without the minimal root are still worth having
        rooted, isolated = False, _probe_isolation(True, False)
    PROTECTIONS["namespaces"], PROTECTIONS["root"] = isolated, rooted and isolated
    # RLIMIT_NPROC bounds one worker only in a user namespace of its own.
    PROTECTIONS["nproc"] = bool(PROTECTIONS.get("nproc")) and isolated
    # Without namespaces a worker still runs (behind the other protections, with a warning),
    # but only where it can read what it needs; otherwise every spawn is refused.
    PROTECTIONS["usable"] = PROTECTIONS["namespaces"] or _probe_isolation(False)
    if ROOT:
        PROTECTIONS["pid_namespace"] = _probe_pid_namespace()


def _probe_pid_namespace() -> bool:
    pids = None
    try:
        pids = namespaces.PidNamespaces()
        pids.next_child_alone()
        pid = os.fork()
        if pid == 0:
            os._exit(0 if os.getpid() == 1 else 1)
        _, status = os.waitpid(pid, 0)
        return os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    except OSError:
        return False
    finally:
        if pids is not None:
            pids.close()


def zygote(control: socket.socket) -> None:
    """Serve spawn/kill requests from the grader until it closes the control socket."""
    lifetime.die_with_parent()
    privileges.set_dumpable(False)  # a worker of our user may not read our /proc/PID/mem (see _isolate)
    first = protocol.recv(control)
    _setup(Policy.from_json(first.get("policy") or {}))
    controllers = cgroups.find() if PROTECTIONS["usable"] and POLICY.cgroups else {}
    cgroups.sweep(controllers)  # the groups of zygotes that were killed
    PROTECTIONS["cgroup"] = f"v{controllers['pids'].version}" if "pids" in controllers else ""
    active: set[int] = set()
    forker = _Forker(controllers, control, active)
    forker.refill()
    protocol.send(control, {"ok": True, "pid": os.getpid(), "protections": dict(PROTECTIONS)})
    while True:
        # Put our state back before receiving too: too low a file limit would drop the socket.
        pristine.restore(forker.state)
        try:
            msg, fds, _flags, _addr = socket.recv_fds(control, 1, 1)
            if not msg:
                break
            request = protocol.recv(control)
        except (protocol.Closed, protocol.ProtocolError, ConnectionError, OSError):
            break
        if request.get("op") == "spawn":
            try:
                if not fds:
                    raise OSError(0, "the worker's socket did not arrive")
                pid = forker.start(request, fds[0])
            except (OSError, KeyError, TypeError, ValueError) as exc:
                protocol.send(control, {"ok": False, "error": str(exc)[:500]})
                continue
            finally:
                for fd in fds:
                    os.close(fd)
            protocol.send(control, {"ok": True, "pid": pid})
            forker.refill()  # while the grader works with this worker
        elif request.get("op") == "kill":
            for fd in fds:
                os.close(fd)
            grace = min(float(request.get("grace", 0.0)), 1.0)
            pid = int(request["pid"])
            protocol.send(control, {"ok": True, **_kill_and_reap(pid, active, grace)})
            forker.reaped(pid)
        else:
            for fd in fds:
                os.close(fd)
            protocol.send(control, {"ok": False})
    forker.close()
    for pid in list(active):
        _kill_and_reap(pid, active)


if __name__ == "__main__":
    zygote(socket.socket(fileno=int(sys.argv[1])))
