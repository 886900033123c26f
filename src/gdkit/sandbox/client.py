"""The trusted side of the sandbox: start the zygote, fork workers, load untrusted cells, call them.

A generic layer: it runs a notebook's code cells under :class:`~gdkit.sandbox.limits.Limits`
in a caged worker process and answers calls with plain data. What the code is for (grading,
and which functions matter) belongs to the caller, which may hand the worker trusted *driver*
source to run next to the untrusted code (e.g. a training loop).

Outcomes, each its own exception: the code raised (:class:`StudentRaised`), a name is missing
(:class:`MissingFunction`), the code hung or died (:class:`WorkerDied`; the next call starts a
fresh worker), or the sandbox itself failed before any untrusted code ran
(:class:`SandboxFailed`: never the code's fault; a grader reports and retries it).
"""
from __future__ import annotations

import builtins
import os
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

from gdkit.sandbox import cleanup, protocol
from gdkit.sandbox.limits import Limits
from gdkit.sandbox.policy import Policy

PACKAGE_DIR = Path(__file__).resolve().parents[1]
# Trusted steps (the zygote's start, a fork, setting up the cage, compiling drivers) that take
# longer than this mean the machine or the sandbox is broken, not the code.
SETUP_SECONDS = 60.0
LOAD_EVENT_BYTES = 64 * 1024   # one cell's announcement, with the previous cell's result
MAX_LOAD_ERRORS = 50           # failing cells kept in a load report (the rest are counted)
MAX_DEFINED = 500


class WorkerDied(Exception):
    """The code hung or its worker died. ``reason``: ``timeout`` (a call or a cell ran out of
    time), ``budget`` (the submission's calls together ran out of time), ``cpu-time``,
    ``crashed`` (it ended its process, was killed by a signal, or answered garbage) or
    ``gave-up`` (too many failed workers; not run again)."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class SandboxFailed(Exception):
    """The sandbox could not run the code (a worker failed before any untrusted code ran, a
    limit or protection did not take, the zygote refused to fork): the grader's fault."""

    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail


class StudentRaised(Exception):
    """The untrusted function raised; ``exc_type`` and ``message`` say what; ``exc_bases`` the
    builtin exception classes it is an instance of, nearest first (see :meth:`is_a`)."""

    def __init__(self, exc_type: str, message: str, traceback: str = "", exc_bases: Iterable[str] = ()):
        super().__init__(f"{exc_type}: {message}")
        self.exc_type = exc_type
        self.message = message
        self.traceback = traceback
        self.exc_bases = tuple(exc_bases)

    def is_a(self, builtin: str) -> bool:
        """Whether the exception is an instance of the builtin exception class named ``builtin``
        (a subclass counts; a class of the student's that only bears the name does not)."""
        return builtin in self.exc_bases


def _bases(value) -> tuple:
    """A reply's ``exc_bases``: names of builtin exception classes only, at most 16."""
    if not isinstance(value, list):
        return ()
    def builtin_exception(name) -> bool:
        found = getattr(builtins, name, None) if isinstance(name, str) and len(name) <= 40 else None
        return isinstance(found, type) and issubclass(found, BaseException)

    return tuple(name for name in value[:16] if builtin_exception(name))


class MissingFunction(Exception):
    """The code does not define the function (or the name is not callable); ``in_skipped_cell``:
    a cell that defines it was skipped at load (it ran past the time limit)."""

    def __init__(self, name: str, *, in_skipped_cell: bool = False):
        super().__init__(f"{name} is not defined")
        self.name = name
        self.in_skipped_cell = in_skipped_cell


class _CellTimeout(Exception):
    def __init__(self, cell):
        self.cell = cell


def describe_exit(usage: dict, cpu_limit: int) -> tuple[str, str]:
    """(reason, detail) for a worker's end as the zygote saw it (wait status, CPU used, killed?)."""
    status = usage.get("status")
    if status is None:
        return "crashed", "the worker disappeared"
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        # A worker is PID 1 of its namespace: the kernel's SIGXCPU is ignored there and its
        # SIGKILL at the hard limit comes instead; the CPU account tells the two kills apart.
        used_up = float(usage.get("cpu_seconds") or 0.0) >= cpu_limit - 0.25
        if sig == signal.SIGXCPU or (sig == signal.SIGKILL and not usage.get("killed") and used_up):
            return "cpu-time", "the code used up its CPU time"
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
        return "crashed", f"the process was killed by {name}"
    return "crashed", f"the code ended the process (exit status {os.WEXITSTATUS(status)})"


class Budget:
    """Wall seconds one submission may spend waiting on its code, across all its calls."""

    def __init__(self, seconds: float):
        self.seconds = float(seconds)
        self.spent = 0.0

    def remaining(self) -> float:
        return self.seconds - self.spent

    def charge(self, seconds: float) -> None:
        self.spent += max(0.0, seconds)


class Zygote:
    """A pristine pre-started process that forks one worker per request (see worker.py)."""

    def __init__(self, policy: Policy | None = None):
        self.policy = policy or Policy()
        self._control, theirs = socket.socketpair()
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
               "PYTHONPATH": str(PACKAGE_DIR.parent), "LANG": "C.UTF-8",
               "MPLCONFIGDIR": _mpl_cache_dir()}
        for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):  # machine workarounds, kept as found
            if var in os.environ:
                env[var] = os.environ[var]
        self.run_folder = cleanup.RunFolder()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gdkit.sandbox.worker", str(theirs.fileno())],
            pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, cwd=self.run_folder.path, env=env, start_new_session=True)
        theirs.close()
        protocol.send(self._control, {"policy": self.policy.to_json()})
        self._ready = False
        self._protections: dict = {}
        self.leftovers: list[str] = list(self.run_folder.stale_left)

    @property
    def workdir_root(self) -> str:
        return self.run_folder.path

    @property
    def protections(self) -> dict:
        """What the zygote found the kernel offers: seccomp, Landlock ABI (0 = none),
        namespaces, pid_namespace, root (the minimal root), nproc (a task limit in each worker's
        user namespace), cgroup ("v1"/"v2": a pids and memory group per worker; "" none), and
        whether workers can run at all (``usable``)."""
        self._wait_ready()
        return dict(self._protections)

    def _wait_ready(self) -> None:
        if not self._ready:
            try:
                hello = protocol.recv(self._control, timeout=SETUP_SECONDS)
            except (protocol.Timeout, protocol.Closed, protocol.ProtocolError) as exc:
                raise SandboxFailed(f"the sandbox's zygote did not start ({type(exc).__name__})") from None
            found = hello.get("protections") if hello.get("ok") else None
            if not isinstance(found, dict):
                raise SandboxFailed("the sandbox's zygote did not start")
            self._protections = {"seccomp": bool(found.get("seccomp")), "landlock": int(found.get("landlock") or 0),
                                 "namespaces": bool(found.get("namespaces")),
                                 "pid_namespace": bool(found.get("pid_namespace")),
                                 "root": bool(found.get("root")), "nproc": bool(found.get("nproc")),
                                 "cgroup": str(found.get("cgroup") or "")[:2],
                                 "usable": bool(found.get("usable"))}
            self._ready = True

    def new_workdir(self) -> str:
        """A fresh folder for one worker: its output log, and ``private/`` (its only writable place)."""
        workdir = tempfile.mkdtemp(dir=self.run_folder.path)
        os.chmod(workdir, 0o711)  # the worker's unprivileged user reaches private/ through it
        os.mkdir(os.path.join(workdir, "private"), 0o700)
        return workdir

    def spawn(self, workdir: str, limits: Limits) -> tuple[int, socket.socket]:
        """Fork a worker for ``workdir`` under ``limits``; its pid and the socket to talk to it."""
        self._wait_ready()
        ours, theirs = socket.socketpair()
        request = {"op": "spawn", "workdir": workdir,
                   "limits": {"cpu": limits.cpu, "memory_bytes": limits.memory_bytes,
                              "output_bytes": limits.output_bytes, "files": limits.files,
                              "disk_bytes": limits.disk_bytes, "tasks": limits.tasks}}
        try:
            socket.send_fds(self._control, [b"S"], [theirs.fileno()])
            protocol.send(self._control, request)
            reply = protocol.recv(self._control, timeout=SETUP_SECONDS)
        except (OSError, protocol.Timeout, protocol.Closed, protocol.ProtocolError) as exc:
            ours.close()
            raise SandboxFailed(f"the sandbox's zygote did not answer ({type(exc).__name__})") from None
        finally:
            theirs.close()
        if not reply.get("ok"):
            ours.close()
            raise SandboxFailed(f"the sandbox refused to start a worker: {str(reply.get('error', ''))[:300]}")
        return int(reply["pid"]), ours

    def kill(self, pid: int, grace: float = 0.0) -> dict:
        """Kill a worker and everything it left. Returns ``status`` (the wait status), ``killed``
        (whether the zygote had to kill it), ``maxrss_kb`` and ``cpu_seconds``."""
        self._wait_ready()
        try:
            self._control.sendall(b"K")
            protocol.send(self._control, {"op": "kill", "pid": pid, "grace": grace})
            return protocol.recv(self._control, timeout=SETUP_SECONDS)
        except (OSError, protocol.Timeout, protocol.Closed, protocol.ProtocolError):
            return {"status": None, "killed": True}

    def remove(self, workdir: str) -> None:
        """Remove a worker's folder; what cannot be removed is kept in ``leftovers`` (reported)."""
        self.leftovers += cleanup.remove_tree(workdir)

    def close(self) -> None:
        try:
            self._control.close()
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        finally:
            self.leftovers += self.run_folder.close()
            if self.leftovers:
                print(f"gdkit: warning: {len(self.leftovers)} worker file(s) could not be removed, e.g. "
                      f"{self.leftovers[0]}; the next run retries", file=sys.stderr, flush=True)


def _mpl_cache_dir() -> str:
    path = Path(tempfile.gettempdir()) / f"gdkit-mpl-{os.getuid()}"
    path.mkdir(exist_ok=True)
    return str(path)


def _text(value, limit: int) -> str:
    return value[:limit] if isinstance(value, str) else ""


def _top_level_names(sources) -> set:
    """Names the cells' code binds at top level (defs, assignments), read without running it."""
    import ast

    names: set = set()
    for source in sources:
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                names.add(node.name)
            elif isinstance(node, ast.Assign):
                names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


# What a cell that ran past its time keeps when it is run again: the statements that only
# define names (nbgrader interrupts such a cell and keeps what it had defined; a function and a
# slow sweep in one cell must not cost the function).
_DEFINITIONS = ("FunctionDef", "AsyncFunctionDef", "ClassDef", "Import", "ImportFrom")


def definitions_only(source: str) -> str | None:
    """The cell with only its top-level ``def``/``class``/``import`` statements (the other
    statements' lines blanked, so line numbers stay), or None when it has none, has nothing
    else, or does not parse."""
    import ast

    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    lines = source.splitlines()
    keep: set[int] = set()
    drop: set[int] = set()
    for node in tree.body:
        first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
        span = range(first - 1, (node.end_lineno or node.lineno))
        (keep if type(node).__name__ in _DEFINITIONS else drop).update(span)
    if not keep or not drop or keep & drop:  # nothing to keep, nothing to drop, or one line holds both
        return None
    return "\n".join(line if i in keep else "" for i, line in enumerate(lines)) + "\n"


def _first_line(source: str, limit: int = 200) -> str:
    """A cell's first line of code (not blank, not a comment): how a reader finds the cell."""
    for line in source.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            return line.strip()[:limit]
    return ""


class Worker:
    """One submission's code in a caged worker process, restarted after it hangs or dies.

    ``cells``: [(index, source)] run in order at start; ``drivers``: {name: trusted source}
    compiled in the worker before the cells, whose functions :meth:`drive` runs. A cell that
    runs past ``limits.timeout`` is skipped (the worker is restarted without it) and noted in
    :attr:`load_report`. No path of the caller's is ever passed to the worker: its allowlist
    excludes everything it does not need, and naming paths would only say where they are.
    """

    def __init__(self, zygote: Zygote, cells: list, *, limits: Limits | None = None, drivers: dict | None = None,
                 max_restarts: int = 10, skip=(), trimmed: dict | None = None, budget: Budget | None = None):
        self.zygote = zygote
        self.cells = [(c[0], c[1]) for c in cells]
        self.limits = limits or Limits()
        self.drivers = dict(drivers or {})
        self.max_restarts = max_restarts
        self.budget = budget or Budget(self.limits.wall_budget)
        self.restarts = 0
        self.failures: list[WorkerDied] = []
        self.skipped: dict = {cell: "" for cell in skip}  # cell index -> notice
        # cell index -> its definitions only (see definitions_only): a skipped cell run so
        self.trimmed: dict = dict(trimmed or {})
        self.load_report: list = []
        self.defined: list[str] = []
        self.output = ""  # the first few KB the notebook printed while loading (no hidden input yet)
        self._output_taken = False
        self._reported = False  # load_report holds a completed load's report (the first one)
        self.max_rss_kb = 0  # the kernel's account of the workers, for benchmarks
        self.cpu_seconds = 0.0
        self._pid: int | None = None
        self._sock: socket.socket | None = None
        self._workdir: str | None = None
        self._untrusted = False  # untrusted code has started in the current worker

    @property
    def timeout(self) -> float:
        return self.limits.timeout

    # -- lifecycle
    def start(self) -> None:
        """Start a worker and load the cells (skipping those that run too long).

        Raises WorkerDied when loading fails and SandboxFailed when the sandbox does."""
        while True:
            self._spawn()
            try:
                self._load()
                # What the notebook printed while loading, and only that: later prints happen
                # during calls on hidden inputs and could carry them into the record.
                self._take_output()
                self._reported = True
                return
            except _CellTimeout as slow:
                self._stop()
                self._skip_slow(slow.cell)

    def _skip_slow(self, cell) -> None:
        """Run a cell that ran past the limit again with its definitions only; a cell that ran
        past it so too (a slow decorator or default) is skipped whole."""
        limit = f"this cell ran past the {self.limits.timeout:g} s limit"
        kept = None if cell in self.skipped else definitions_only(dict(self.cells).get(cell, ""))
        if kept is not None:
            self.trimmed[cell] = kept
            self.skipped[cell] = (f"{limit} and was skipped but for its def, class and import statements; "
                                  "the rest of the notebook was graded")
        else:
            self.trimmed.pop(cell, None)
            self.skipped[cell] = f"{limit} and was skipped; the rest of the notebook was graded"

    def _spawn(self) -> None:
        self._untrusted = False
        self._workdir = self.zygote.new_workdir()
        try:
            self._pid, self._sock = self.zygote.spawn(self._workdir, self.limits)
        except SandboxFailed:
            self._stop()
            raise
        hello = self._receive_trusted()
        if not hello.get("caged"):
            self._stop()
            raise SandboxFailed("the worker answered something unexpected before running any code")

    def _receive_trusted(self) -> dict:
        """A message the worker sends before any untrusted code runs: any failure is the sandbox's."""
        try:
            return protocol.recv(self._live(), timeout=SETUP_SECONDS, max_size=LOAD_EVENT_BYTES,
                                 bounds=protocol.REPLY)
        except (protocol.Timeout, protocol.Closed, protocol.ProtocolError) as exc:
            why = self._read_log().strip().splitlines()
            usage = self._stop(grace=0.5)
            detail = (describe_exit(usage, self.limits.cpu)[1] if isinstance(exc, protocol.Closed)
                      else type(exc).__name__)
            raise SandboxFailed(f"a worker failed before running any code ({detail})"
                                + (f": {why[0][:200]}" if why else "")) from None

    def _load(self) -> None:
        """Send the cells and follow the worker through them (see worker._load_cells)."""
        order = [index for index, _ in self.cells]
        runs = [(i, self.trimmed.get(i, s)) for i, s in self.cells if i not in self.skipped or i in self.trimmed]
        try:
            protocol.send(self._live(), {"op": "load", "cells": runs, "drivers": self.drivers}, timeout=SETUP_SECONDS)
        except OSError as exc:  # no student code has run in it yet: the sandbox's failure
            self._stop()
            raise SandboxFailed(f"a worker did not take its notebook ({type(exc).__name__})") from None
        expected = [i for i, _ in runs]
        results: dict = {}
        current = None
        while True:
            if current is None:
                message = self._receive_trusted()
            else:
                message = self._receive(max_size=LOAD_EVENT_BYTES, cell=current)
            self._untrusted = self._untrusted or current is not None
            results.update(self._load_result(message.get("after"), current))
            event = message.get("event")
            if event == "cell" and expected and message.get("cell") == expected[0]:
                current = expected.pop(0)
                self._untrusted = True
            elif event == "loaded" and not expected:
                defined = message.get("defined")
                self.defined = [_text(d, 100) for d in defined[:MAX_DEFINED] if isinstance(d, str)] \
                    if isinstance(defined, list) else []
                break
            else:
                self._garbage("the worker's loading messages were out of order")
        if not self._reported:
            # The first load's report only, like its output: a restart loads the same cells, and
            # whatever they do differently then came from an earlier worker that may have seen
            # hidden inputs (through the page cache, say), so it must not reach the feedback.
            self.load_report = self._report(order, results)

    def _load_result(self, after, current) -> dict:
        if current is None:
            if after is not None:
                self._garbage("the worker reported a cell it never started")
            return {}
        if not (isinstance(after, dict) and after.get("cell") == current and isinstance(after.get("ok"), bool)):
            self._garbage("the worker reported a cell's result wrongly")
        if after["ok"]:
            return {current: {"cell": current, "ok": True}}
        return {current: {"cell": current, "ok": False, "error": _text(after.get("error"), 100),
                          "message": _text(after.get("message"), 500),
                          "traceback": _text(after.get("traceback"), 2000)}}

    def _report(self, order: list, results: dict) -> list:
        """Every cell in notebook order: its result, or the notice of its skipping; failing cells
        beyond MAX_LOAD_ERRORS are counted in one last entry."""
        report, failed, dropped = [], 0, 0
        sources = dict(self.cells)
        for index in order:
            entry = results.get(index)
            if index in self.skipped:
                # Marked here, on the trusted side: a cell's own exception cannot pass for a skip.
                entry = {"cell": index, "ok": False, "error": "Skipped", "message": self.skipped[index],
                         "skipped": True, "first_line": _first_line(sources.get(index, ""))}
            if entry is None:
                continue
            if not entry["ok"]:
                failed += 1
                if failed > MAX_LOAD_ERRORS:
                    dropped += 1
                    continue
            report.append(entry)
        if dropped:
            report.append({"cell": "...", "ok": False, "error": "MoreErrors",
                           "message": f"{dropped} more cells raised errors (not listed)"})
        return report

    def _garbage(self, why: str):
        self._stop()
        died = WorkerDied("crashed", f"the worker sent garbage ({why})")
        self.failures.append(died)
        raise died

    def _live(self) -> socket.socket:
        if self._sock is None:
            raise SandboxFailed("the worker's socket is closed")
        return self._sock

    def _take_output(self) -> None:
        """Keep the start of the load-time output, once per handle (restarts print the same)."""
        if not self._output_taken:
            self.output = self._read_log()
            self._output_taken = True

    def _read_log(self) -> str:
        return _read_head(os.path.join(self._workdir, "output.log")) if self._workdir else ""

    def _stop(self, grace: float = 0.0) -> dict:
        usage: dict = {"status": None}
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        if self._pid is not None:
            usage = self.zygote.kill(self._pid, grace)
            self.max_rss_kb = max(self.max_rss_kb, int(usage.get("maxrss_kb") or 0))
            self.cpu_seconds += float(usage.get("cpu_seconds") or 0.0)
            self._pid = None
        if self._workdir is not None:
            if self._untrusted:  # it died while loading: what it printed so far was load-time output
                self._take_output()
            self.zygote.remove(self._workdir)
            self._workdir = None
        return usage

    def close(self) -> None:
        """Kill the worker and everything it started; keep what the code printed."""
        self._stop()

    def _receive(self, max_size: int | None = None, cell=None) -> dict:
        """The next message from untrusted code, within the time limit and the budget."""
        remaining = self.budget.remaining()
        if remaining <= 0:
            self._stop()
            died = WorkerDied("budget", f"the submission used up its {self.budget.seconds:g} s for all its calls")
            self.failures.append(died)
            raise died
        wait = min(self.limits.timeout, remaining)
        started = time.monotonic()
        try:
            kwargs = {"max_size": max_size} if max_size else {}
            return protocol.recv(self._live(), timeout=wait, bounds=protocol.REPLY, **kwargs)
        except protocol.Timeout:
            if cell is not None and wait >= self.limits.timeout:
                raise _CellTimeout(cell) from None
            self._stop()
            out_of_budget = f"the submission used up its {self.budget.seconds:g} s for all its calls"
            died = (WorkerDied("timeout", f"no answer within {self.limits.timeout:g} s") if wait >= self.limits.timeout
                    else WorkerDied("budget", out_of_budget))
        except protocol.Closed:
            died = WorkerDied(*describe_exit(self._stop(grace=0.5), self.limits.cpu))
        except protocol.ProtocolError as exc:
            self._stop()
            died = WorkerDied("crashed", f"the worker sent garbage ({str(exc)[:200]})")
        finally:
            self.budget.charge(time.monotonic() - started)
        self.failures.append(died)
        raise died

    # -- requests
    def _request(self, message: dict) -> dict:
        return self._exchange(message)

    def _exchange(self, message: dict) -> dict:
        if self._sock is None:
            if self.restarts >= self.max_restarts:
                raise WorkerDied("gave-up", f"the code failed {len(self.failures)} times; not run again")
            self.restarts += 1
            self.start()
        try:
            protocol.send(self._live(), message, timeout=self.limits.timeout)
        except OSError:
            died = WorkerDied(*describe_exit(self._stop(grace=0.5), self.limits.cpu))
            self.failures.append(died)
            raise died from None
        return self._receive()

    def _decode(self, data):
        """Decode the worker's data; malformed data means a broken (or hostile) worker: a crash."""
        try:
            return protocol.decode(data, bounds=protocol.REPLY)
        except protocol.ProtocolError as exc:
            self._garbage(str(exc)[:200])

    def missing(self, names: str) -> MissingFunction:
        """MissingFunction for ``names`` (comma-separated), saying whether a cell skipped at load
        defines one of them (then the function is there, its cell did not run)."""
        wanted = {name.strip() for name in names.split(",")}
        return MissingFunction(names, in_skipped_cell=bool(wanted & _top_level_names(
            source for index, source in self.cells if index in self.skipped)))

    def _unwrap(self, reply: dict):
        if reply.get("ok"):
            return self._decode(reply.get("value"))
        kind = reply.get("kind")
        if kind == "missing":
            raise self.missing(_text(reply.get("name"), 100) or "?")
        if kind == "raised":
            raise StudentRaised(_text(reply.get("exc_type"), 100) or "Exception", _text(reply.get("message"), 2000),
                                _text(reply.get("traceback"), 4000), _bases(reply.get("exc_bases")))
        raise WorkerDied("crashed", "the worker answered something unexpected")

    # -- the API
    def call(self, name: str, *args, return_args: bool = False, substitute: dict | None = None, **kwargs):
        """Call the code's function ``name`` on copies of the arguments; returns its value
        (and with ``return_args`` the positional arguments as they were after the call).

        ``substitute`` maps other function names to source code (a complete ``def``) used in
        their place during this call only, so a mistake elsewhere does not cascade.
        """
        reply = self._request({"op": "call", "name": name, "args": protocol.encode(list(args)),
                               "kwargs": protocol.encode(kwargs), "return_args": return_args,
                               "substitute": dict(substitute or {})})
        value = self._unwrap(reply)
        if return_args:
            args_after = self._decode(reply.get("args", []))
            if not isinstance(args_after, list):
                raise WorkerDied("crashed", "the worker answered something unexpected")
            return value, args_after
        return value

    def call_many(self, name: str, calls: list) -> list:
        """Many calls in one round trip; each entry is the value or a StudentRaised."""
        reply = self._request({"op": "call_many", "name": name,
                               "calls": protocol.encode([list(c) for c in calls])})
        if not reply.get("ok"):
            return self._unwrap(reply)
        results = reply.get("results")
        if not isinstance(results, list) or len(results) != len(calls):
            raise WorkerDied("crashed", "the worker answered something unexpected")
        out = []
        for item in results:
            try:
                out.append(self._unwrap(item if isinstance(item, dict) else {}))
            except StudentRaised as exc:
                out.append(exc)
        return out

    def drive(self, driver: str, entry: str, *, key: str | None = None, **kwargs):
        """Run ``entry(namespace, **kwargs)`` of a trusted driver in the worker; its (untrusted) result."""
        return self._unwrap(self._request({"op": "drive", "name": key or f"{driver}.{entry}", "driver": driver,
                                           "entry": entry, "args": protocol.encode(kwargs)}))

    def run_cell(self, source: str, label: str = "<check>") -> None:
        """Run public code (a visible test cell) in the code's namespace; raises StudentRaised."""
        self._unwrap(self._request({"op": "exec", "name": f"exec:{label}", "source": source, "label": label}))

    def has(self, name: str) -> bool:
        """Whether the code defines a callable ``name``."""
        return bool(self._unwrap(self._request({"op": "has", "name": name})))


def _read_head(path: str, limit: int = 4096) -> str:
    """The start of a file the worker wrote, which it may have swapped for a FIFO or a symlink.

    Non-blocking and not following links, so opening a FIFO cannot hang the grader, and only
    a regular file is read.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return ""
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return ""
        return os.read(fd, limit).decode("utf-8", "replace")
    except OSError:
        return ""
    finally:
        os.close(fd)
