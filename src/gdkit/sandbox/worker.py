"""The worker side of the sandbox: a clean pre-started process that forks one child per submission.

Run as ``python -m gdkit.sandbox.worker <control-fd>`` by :mod:`gdkit.sandbox.client`.
The parent process (the *zygote*) imports numpy once, probes which kernel protections work
(:mod:`gdkit.sandbox.protections`) and never runs student code. matplotlib is not preloaded
(see :func:`_preload`). For each submission the grader hands it a socket; the zygote forks,
and the child:

1. starts its own session (so the whole group can be killed), moves to a private temporary
   directory, points stdin at /dev/null and stdout/stderr at a size-capped log file, clears
   the environment and lowers its resource limits (CPU time, address space, file size);
2. restricts itself with Landlock (files: read-only Python installation and system libraries,
   read-write private directory, nothing else; no TCP; no signals out) and seccomp (no
   fork/exec/ptrace/mknod); if the zygote found one of them usable and installing it fails,
   the child exits without running any student code;
3. installs an audit hook (which Python offers no way to remove) that refuses, with readable
   errors: importing the kit's own modules, reading files outside the Python installation and
   its private directory, writing outside its private directory, starting processes, sending
   signals, opening sockets, loading native code with ctypes and raising resource limits;
4. runs the submission's cells one by one, each in the same namespace, recording errors;
5. answers requests (call a function, run the kit's training loop) until the grader closes
   the socket.

The child is told only what it needs (its directory, its cells, its limits): no path of the
grader's (output folder, course) ever enters its memory, where ``gc`` could find it.
Nothing here is trusted by the grader: answers are plain data that trusted code judges.
This module must not import the kit's reference mathematics (it is the student's process).
"""
from __future__ import annotations

import os
import sys

# Fix thread counts before numpy loads: a forked child must not inherit BLAS thread pools.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"
os.environ.setdefault("MPLBACKEND", "Agg")

import builtins  # noqa: E402
import io  # noqa: E402
import resource  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402

import numpy as np  # noqa: E402

from gdkit.sandbox import landlock, lifetime, loop, protections, protocol, seccomp  # noqa: E402

OUTPUT_LOG = "output.log"
# The kit's own package: the child knows it from its own file, and may not read it.
PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
# Read-only for student code (besides the Python installation): what numpy, the C library,
# time zones and matplotlib's fonts need.
SYSTEM_DIRS = ("/usr/lib", "/usr/lib64", "/usr/local/lib", "/usr/share/zoneinfo", "/usr/share/fonts")
# Set by the zygote (trusted) before forking: what the kernel offers, see protections.probe.
PROTECTIONS = {"seccomp": False, "landlock": 0}
_STATIC_RULES: list = []


def _preload():
    """Import, once in the zygote, what every submission needs (so children start instantly).

    matplotlib is left out on purpose: it costs ~0.3 s per zygote and graded cells rarely use
    it (plots live in cells tagged ``experiment``); a submission that does import it pays for
    that itself, inside its own time limit.
    """
    import math, random, time, itertools, functools, collections  # noqa: F401,E401


# ---------------------------------------------------------------- the child's cage

_PROCESS_EVENTS = {
    "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty",
    "subprocess.Popen", "os.kill", "os.killpg", "signal.pthread_kill", "os.setsid",
    "resource.setrlimit", "resource.prlimit", "socket.__new__", "socket.connect",
    "socket.bind", "os.chroot", "sys.remote_exec", "pty.spawn",
}
_PATH_WRITE_EVENTS = {
    "os.remove", "os.rename", "os.rmdir", "os.mkdir", "os.symlink", "os.link", "os.chmod",
    "os.chown", "os.truncate", "os.utime", "shutil.rmtree", "shutil.move", "shutil.copyfile",
}
_PATH_READ_EVENTS = {"os.listdir", "os.scandir", "glob.glob", "os.chdir"}
# Any of these makes an open a write: O_RDONLY|O_TRUNC empties a file all the same.
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
_O_TMPFILE = getattr(os, "O_TMPFILE", 0)  # includes O_DIRECTORY's bit: compared whole below


def _python_prefixes() -> list[str]:
    return sorted({os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix,
                                                 sys.base_exec_prefix)})


def _static_rules() -> list:
    """Landlock rules every child shares (computed once, in the zygote)."""
    # Every granted tree leaves the kit's package out: pip may have put it in the Python
    # installation or in a system directory (/usr/lib/python3/dist-packages, /usr/local/lib).
    roots = _python_prefixes() + [os.path.realpath(d) for d in SYSTEM_DIRS if os.path.isdir(d)]
    rules = [rule for root in roots for rule in landlock.beneath_except(root, PACKAGE_DIR, landlock.READ_EXEC)]
    # Opening /dev/null with mode "w" truncates it: TRUNCATE is part of writing to it.
    rules += [("/dev/urandom", landlock.READ_FILE),
              ("/dev/null", landlock.READ_FILE | landlock.WRITE_FILE | landlock.TRUNCATE)]
    return rules


class _Cage:
    """Decides which audited operations the student's code may perform.

    Landlock enforces the same allowlist in the kernel; this hook stays as a second line (and
    where Landlock is missing) and turns refusals into readable PermissionErrors.
    """

    def __init__(self, workdir: str):
        real = os.path.realpath
        self.workdir = real(workdir)
        self.forbidden = [PACKAGE_DIR]  # matters when the kit is installed inside the prefix
        self.readable = _python_prefixes() + list(SYSTEM_DIRS) + ["/dev/null", "/dev/urandom", self.workdir]
        self.armed = False

    @staticmethod
    def _under(path: str, roots) -> bool:
        return any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots)

    def _resolve(self, path) -> str:
        if isinstance(path, int):
            return ""  # an already-open descriptor: it was checked when it was opened
        if isinstance(path, bytes):
            path = os.fsdecode(path)
        return os.path.realpath(os.path.join(self.workdir, str(path)))

    def may_read(self, path) -> bool:
        """Whether ``path`` (relative to the private dir) lies in a readable tree."""
        resolved = self._resolve(path)
        if not resolved:
            return True
        if self._under(resolved, self.forbidden):
            return False
        return self._under(resolved, self.readable)

    def may_write(self, path) -> bool:
        """Whether ``path`` may be created or changed: only inside the private dir, or /dev/null."""
        resolved = self._resolve(path)
        return not resolved or resolved == "/dev/null" or self._under(resolved, [self.workdir])

    def hook(self, event: str, args) -> None:
        """The audit hook: raise for a refused event (once armed, i.e. before student code)."""
        if not self.armed:
            return
        if event == "open":
            path, mode, flags = (tuple(args) + (None, None, None))[:3]
            if path is None:
                return
            writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                isinstance(flags, int) and bool(flags & _WRITE_FLAGS or (_O_TMPFILE and flags & _O_TMPFILE == _O_TMPFILE)))
            allowed = self.may_write(path) if writing else self.may_read(path)
            # A directory descriptor outside the private dir would let os.open(..., dir_fd=) reach
            # any file: the hook sees only the relative path, which it resolves in the private dir.
            if allowed and not isinstance(path, int) and os.path.isdir(self._resolve(path)):
                allowed = self._under(self._resolve(path), [self.workdir])
            if not allowed:
                raise PermissionError(f"gdkit sandbox: access to {path!r} is not allowed")
        elif event == "import":
            name = args[0] if args else ""
            if isinstance(name, str) and (name == "gdkit" or name.startswith("gdkit.")):
                raise ImportError("gdkit sandbox: the kit's own modules cannot be imported here")
        elif event in _PROCESS_EVENTS or event.startswith("ctypes."):
            raise PermissionError(f"gdkit sandbox: {event} is not allowed")
        elif event in _PATH_WRITE_EVENTS:
            for path in args[:2]:
                if isinstance(path, (str, bytes, os.PathLike)) and not self.may_write(path):
                    raise PermissionError(f"gdkit sandbox: changing {path!r} is not allowed")
        elif event in _PATH_READ_EVENTS:
            path = args[0] if args else None
            if isinstance(path, (str, bytes, os.PathLike)) and not self.may_read(path):
                raise PermissionError(f"gdkit sandbox: access to {path!r} is not allowed")
        elif event == "sqlite3.connect":
            # sqlite opens its file in C (no "open" event); ATTACH in SQL is left to Landlock.
            database = os.fsdecode(args[0]) if args and isinstance(args[0], (str, bytes, os.PathLike)) else ""
            database = database.split("?", 1)[0].removeprefix("file:")
            if database not in ("", ":memory:") and not self.may_write(database):
                raise PermissionError(f"gdkit sandbox: a database at {database!r} is not allowed")
        elif event in ("sqlite3.enable_load_extension", "sqlite3.load_extension"):
            raise PermissionError(f"gdkit sandbox: {event} is not allowed")


def _limit(kind: int, value: int) -> None:
    try:
        resource.setrlimit(kind, (value, value))
    except (ValueError, OSError):
        pass


def _enter_cage(config: dict) -> _Cage:
    workdir = config["workdir"]
    os.setsid()
    os.chdir(workdir)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    log = os.open(os.path.join(workdir, OUTPUT_LOG), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(devnull)
    os.close(log)
    sys.stdin = open(0, closefd=False)
    sys.stdout = io.TextIOWrapper(open(1, "wb", closefd=False), line_buffering=True, errors="replace")
    sys.stderr = io.TextIOWrapper(open(2, "wb", closefd=False), line_buffering=True, errors="replace")
    # A writer past the file-size cap gets EFBIG instead of being killed, so floods stay cheap.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGALRM):
        signal.signal(sig, signal.SIG_DFL)
    os.environ.clear()
    os.environ.update({"PATH": "/usr/bin:/bin", "HOME": workdir, "TMPDIR": workdir,
                       "MPLBACKEND": "Agg", "MPLCONFIGDIR": workdir, "LANG": "C.UTF-8",
                       "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"})
    _limit(resource.RLIMIT_CPU, int(config["cpu_seconds"]))
    _limit(resource.RLIMIT_FSIZE, int(config["output_bytes"]))
    _limit(resource.RLIMIT_CORE, 0)
    _limit(resource.RLIMIT_NOFILE, int(config["files"]))
    memory = int(config["memory_bytes"])
    if memory:
        with open("/proc/self/status") as status:
            vm = next(int(l.split()[1]) * 1024 for l in status if l.startswith("VmSize:"))
        _limit(resource.RLIMIT_AS, vm + memory)
    sys.setrecursionlimit(3000)
    # The kernel, not the audit hook, confines files (C code opens them unaudited) and refuses
    # fork/exec/pidfd/mknod (CPython does not audit them all). Both after the last read of /proc.
    rules = _STATIC_RULES + [(os.path.realpath(workdir), landlock.PRIVATE_DIR)]
    _require("Landlock", landlock.install(rules, PROTECTIONS["landlock"]) if PROTECTIONS["landlock"] else False,
             bool(PROTECTIONS["landlock"]))
    _require("seccomp", seccomp.install(os.getpid()), PROTECTIONS["seccomp"])
    cage = _Cage(workdir)
    sys.addaudithook(cage.hook)
    return cage


def _require(name: str, installed: bool, promised: bool) -> None:
    """Fail closed: a protection the zygote found working that did not install ends the child."""
    if promised and not installed:
        os.write(2, f"gdkit sandbox: {name} could not be installed; the code was not run\n".encode())
        os._exit(protections.CAGE_FAILED)


# ---------------------------------------------------------------- running the submission

def _short_traceback(exc: BaseException, filename_prefix: str) -> str:
    """The student's own frames only: grader internals are nobody's business."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.startswith(filename_prefix)]
    lines = traceback.format_list(frames[-5:])
    lines += traceback.format_exception_only(type(exc), exc)
    return "".join(lines)[-4000:]


def _exec_source(source: str, filename: str, namespace: dict) -> None:
    exec(compile(source, filename, "exec"), namespace)  # noqa: S102 - sandboxed process


def _load_cells(cells: list, namespace: dict) -> list:
    """Run each cell in order in one namespace; a failing cell does not stop the next."""
    report = []
    for index, source in cells:
        filename = f"<cell {index}>"
        try:
            _exec_source(source, filename, namespace)
            report.append({"cell": index, "ok": True})
        except BaseException as exc:  # SystemExit and KeyboardInterrupt are the student's too
            report.append({"cell": index, "ok": False, "error": type(exc).__name__,
                           "message": str(exc)[:500], "traceback": _short_traceback(exc, "<cell")})
    return report


def _error_reply(exc: BaseException) -> dict:
    return {"ok": False, "kind": "raised", "exc_type": type(exc).__name__,
            "message": _safe_str(exc)[:2000], "traceback": _short_traceback(exc, "<cell")}


def _safe_str(obj) -> str:
    try:
        return str(obj)
    except BaseException:
        return f"<unprintable {type(obj).__name__}>"


def _lookup(namespace: dict, name: str):
    function = namespace.get(name)
    return function if callable(function) else None


def _reply_value(value, args=None) -> dict:
    try:
        reply = {"ok": True, "value": protocol.encode(value)}
        if args is not None:
            reply["args"] = protocol.encode(list(args))
        return reply
    except TypeError as exc:
        return {"ok": False, "kind": "raised", "exc_type": "UngradableResult",
                "message": f"the function returned something that is not numbers or arrays ({exc})",
                "traceback": ""}


def _train(namespace: dict, X, y, alpha, synapse_0, synapse_1, iterations, stop_on_divergence):
    """The kit's training loop (the notebook's), driven by the student's functions."""
    # The loop itself lives in gdkit.sandbox.loop: nbgrader's in-kernel grader runs the same one.
    missing = loop.missing_functions(namespace, stop_on_divergence)
    if missing:
        return {"ok": False, "kind": "missing", "name": ", ".join(missing)}
    return _reply_value(loop.train(namespace, X, y, alpha, synapse_0, synapse_1, iterations, stop_on_divergence))


def _serve(sock: socket.socket, namespace: dict) -> None:
    while True:
        try:
            request = protocol.recv(sock)
        except (protocol.Closed, protocol.ProtocolError):
            return
        op = request.get("op")
        try:
            if op == "call":
                reply = _call(namespace, request)
            elif op == "call_many":
                reply = _call_many(namespace, request)
            elif op == "train":
                args = protocol.decode(request["args"])
                reply = _train(namespace, **args)
            elif op == "exec":
                # Runs public code (a release's visible test cell) in the student's namespace.
                _exec_source(request["source"], request.get("label", "<check>"), namespace)
                reply = {"ok": True, "value": None}
            elif op == "has":
                reply = {"ok": True, "value": _lookup(namespace, request["name"]) is not None}
            else:
                reply = {"ok": False, "kind": "protocol", "message": f"unknown op {op!r}"}
        except BaseException as exc:  # the student's exception, whatever it is
            reply = _error_reply(exc)
        try:
            protocol.send(sock, reply, bounds=protocol.REPLY)
        except ValueError as exc:  # over the reply's bounds (what the grader would refuse)
            protocol.send(sock, {"ok": False, "kind": "raised", "exc_type": "UngradableResult",
                                 "message": str(exc), "traceback": ""})


def _call(namespace: dict, request: dict) -> dict:
    function = _lookup(namespace, request["name"])
    if function is None:
        return {"ok": False, "kind": "missing", "name": request["name"]}
    args = protocol.decode(request.get("args", []))
    kwargs = protocol.decode(request.get("kwargs", {"__dict__": []}))
    with loop.substituted(namespace, request.get("substitute") or {}):
        value = function(*args, **kwargs)
    return _reply_value(value, args if request.get("return_args") else None)


def _call_many(namespace: dict, request: dict) -> dict:
    function = _lookup(namespace, request["name"])
    if function is None:
        return {"ok": False, "kind": "missing", "name": request["name"]}
    results = []
    for args in protocol.decode(request["calls"]):
        try:
            reply = _reply_value(function(*args))
        except BaseException as exc:
            reply = _error_reply(exc)
        results.append(reply)
    return {"ok": True, "results": results}


def _child(sock: socket.socket, config: dict) -> None:
    cage = _enter_cage(config)
    namespace = {"__name__": "__main__", "__builtins__": builtins}
    cage.armed = True
    # Sent before any student code runs: from here on an exit status, 121 included, is the
    # student's doing, not a cage that failed to install.
    protocol.send(sock, {"ok": True, "caged": True})
    report = _load_cells(config.get("cells", []), namespace)
    defined = sorted(n for n, v in namespace.items() if callable(v) and not n.startswith("_"))
    protocol.send(sock, {"ok": True, "loaded": report, "defined": defined[:500]})
    _serve(sock, namespace)


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
    Returns the wait status and the kernel's account of the worker (peak memory, CPU time).
    """
    reply = {"status": None, "maxrss_kb": 0, "cpu_seconds": 0.0}
    deadline = time.monotonic() + grace
    while True:
        try:
            done, status, usage = os.wait4(pid, os.WNOHANG)
        except ChildProcessError:
            break
        if done:
            active.discard(pid)
            _sweep_orphans(active)
            return {"status": status, "maxrss_kb": usage.ru_maxrss, "cpu_seconds": usage.ru_utime + usage.ru_stime}
        if time.monotonic() >= deadline:
            break
        time.sleep(0.005)
    for target in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
        try:
            target()
        except OSError:
            pass
    try:
        _, status, usage = os.wait4(pid, 0)
        reply = {"status": status, "maxrss_kb": usage.ru_maxrss,
                 "cpu_seconds": usage.ru_utime + usage.ru_stime}
    except ChildProcessError:
        pass
    active.discard(pid)
    _sweep_orphans(active)
    return reply


def _sweep_orphans(active: set) -> None:
    for orphan in _own_children():
        if orphan not in active:
            try:
                os.kill(orphan, signal.SIGKILL)
                os.waitpid(orphan, 0)
            except OSError:
                pass


def zygote(control: socket.socket) -> None:
    """Serve spawn/kill requests from the grader until it closes the control socket."""
    lifetime.die_with_parent()
    _preload()
    lifetime.adopt_orphans()
    PROTECTIONS.update(protections.probe())
    _STATIC_RULES[:] = _static_rules()
    active: set[int] = set()
    protocol.send(control, {"ok": True, "pid": os.getpid(), "protections": dict(PROTECTIONS)})
    while True:
        try:
            msg, fds, _flags, _addr = socket.recv_fds(control, 1, 1)
            if not msg:
                break
            request = protocol.recv(control)
        except (protocol.Closed, protocol.ProtocolError, ConnectionError, OSError):
            break
        if request.get("op") == "spawn" and fds:
            parent = os.getpid()
            pid = os.fork()
            if pid == 0:
                try:
                    lifetime.die_with_parent(parent)
                    control.close()
                    with socket.socket(fileno=fds[0]) as sock:
                        _child(sock, request["config"])
                finally:
                    os._exit(0)
            os.close(fds[0])
            active.add(pid)
            protocol.send(control, {"ok": True, "pid": pid})
        elif request.get("op") == "kill":
            for fd in fds:
                os.close(fd)
            grace = min(float(request.get("grace", 0.0)), 1.0)
            protocol.send(control, {"ok": True, **_kill_and_reap(int(request["pid"]), active, grace)})
        else:
            for fd in fds:
                os.close(fd)
            protocol.send(control, {"ok": False})
    for pid in list(active):
        _kill_and_reap(pid, active)


if __name__ == "__main__":
    zygote(socket.socket(fileno=int(sys.argv[1])))
