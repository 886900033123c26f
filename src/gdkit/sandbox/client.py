"""The grader's side of the sandbox: start the zygote, fork workers, talk to them.

``Student`` is what hidden suites receive as their ``student`` fixture. Every answer it hands
back has been decoded from plain data; a worker that hangs is killed at the deadline, one that
dies is noted, and the next call starts a fresh worker for the same submission.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

from gdkit.sandbox import protections, protocol
from gdkit.sandbox.limits import DEFAULT, Limits

PACKAGE_DIR = Path(__file__).resolve().parents[1]


class WorkerDied(Exception):
    """The worker hung or died; ``reason`` is timeout, crashed, memory, cpu-time or output."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class StudentRaised(Exception):
    """The student's function raised; ``exc_type`` and ``message`` say what."""

    def __init__(self, exc_type: str, message: str, traceback: str = ""):
        super().__init__(f"{exc_type}: {message}")
        self.exc_type = exc_type
        self.message = message
        self.traceback = traceback


class MissingFunction(Exception):
    """The submission does not define the function (or the name is not callable)."""

    def __init__(self, name: str):
        super().__init__(f"{name} is not defined")
        self.name = name


def _describe_exit(status: int | None, caged: bool = False) -> tuple[str, str]:
    """(reason, detail) for a worker's wait status; ``caged``: the worker had confirmed its cage,
    so student code was running and exit status 121 is not the sandbox's."""
    if status is None:
        return "crashed", "the worker disappeared"
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig == signal.SIGXCPU:
            return "cpu-time", "the code used up its CPU time"
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
        return "crashed", f"the process was killed by {name}"
    if os.WEXITSTATUS(status) == protections.CAGE_FAILED and not caged:
        return "crashed", "the sandbox could not be set up, so the code was not run"
    return "crashed", f"the code ended the process (exit status {os.WEXITSTATUS(status)})"


def training_start(X, y, hidden, seed, synapse_0=None, synapse_1=None):
    """Trusted inputs of a training run: X (n, i) and y (n, k) as floats, and the starting
    weights made here from ``seed`` (the tutorial's initialisation) unless given."""
    import numpy as np
    from gdkit.network import init_synapses

    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    if y.ndim == 1:
        y = y.reshape(-1, 1)
    if synapse_0 is None or synapse_1 is None:
        synapse_0, synapse_1 = init_synapses(X.shape[1], hidden, y.shape[1], seed)
    return X, y, synapse_0, synapse_1


class Zygote:
    """A clean pre-started worker process that forks one child per submission."""

    def __init__(self):
        self._control, theirs = socket.socketpair()
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
               "PYTHONPATH": str(PACKAGE_DIR.parent), "LANG": "C.UTF-8",
               "MPLCONFIGDIR": _mpl_cache_dir()}
        for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):  # machine workarounds, kept as found
            if var in os.environ:
                env[var] = os.environ[var]
        self._workdir_root = tempfile.mkdtemp(prefix="gdkit-workers-")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gdkit.sandbox.worker", str(theirs.fileno())],
            pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, cwd=self._workdir_root, env=env, start_new_session=True)
        theirs.close()
        self._ready = False
        self._protections: dict = {}

    @property
    def workdir_root(self) -> str:
        return self._workdir_root

    @property
    def protections(self) -> dict:
        """What the zygote found the kernel offers: ``{"seccomp": bool, "landlock": ABI (0 = none)}``."""
        self._wait_ready()
        return dict(self._protections)

    def _wait_ready(self) -> None:
        if not self._ready:
            hello = protocol.recv(self._control, timeout=60)
            if not hello.get("ok"):
                raise RuntimeError("the sandbox worker failed to start")
            found = hello.get("protections")
            self._protections = {"seccomp": bool(found.get("seccomp")), "landlock": int(found.get("landlock") or 0)} \
                if isinstance(found, dict) else {"seccomp": False, "landlock": 0}
            self._ready = True

    def spawn(self, config: dict) -> tuple[int, socket.socket]:
        """Fork a worker for one submission; returns its pid and the socket to talk to it."""
        self._wait_ready()
        ours, theirs = socket.socketpair()
        try:
            socket.send_fds(self._control, [b"S"], [theirs.fileno()])
            protocol.send(self._control, {"op": "spawn", "config": config})
            reply = protocol.recv(self._control, timeout=30)
        finally:
            theirs.close()
        return int(reply["pid"]), ours

    def kill(self, pid: int, grace: float = 0.0) -> dict:
        """Kill a worker's process group and everything it left.

        Returns ``status`` (the wait status), ``maxrss_kb`` and ``cpu_seconds`` of the worker.
        """
        self._wait_ready()
        self._control.sendall(b"K")
        protocol.send(self._control, {"op": "kill", "pid": pid, "grace": grace})
        return protocol.recv(self._control, timeout=30)

    def close(self) -> None:
        try:
            self._control.close()
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        finally:
            shutil.rmtree(self._workdir_root, ignore_errors=True)


def _mpl_cache_dir() -> str:
    path = Path(tempfile.gettempdir()) / f"gdkit-mpl-{os.getuid()}"
    path.mkdir(exist_ok=True)
    return str(path)


class Student:
    """A handle on one submission's worker (see docs/architecture.md for the API).

    No grader path is ever passed to the worker: its allowlist (Landlock and the audit hook)
    excludes everything it does not need, and naming paths would only say where they are.
    """

    def __init__(self, zygote: Zygote, cells: list, *, limits: Limits = DEFAULT, max_restarts: int = 10):
        self.zygote = zygote
        self.cells = [list(c) for c in cells]
        self.limits = limits
        self.timeout = limits.timeout
        self.max_restarts = max_restarts
        self.restarts = 0
        self.failures: list[WorkerDied] = []
        self.load_report: list = []
        self.defined: list[str] = []
        self.output = ""  # the first few KB the student's code printed (their own, safe to show)
        self.artifacts: dict = {}
        self.timed_out: set[str] = set()  # functions that hung once are not waited on again
        # Functions that killed their worker once fail the same way again without a restart,
        # so one crashing function cannot use up the restarts every other question needs.
        self.died: dict[str, WorkerDied] = {}
        self.max_rss_kb = 0  # the kernel's account of the workers, for benchmarks
        self.cpu_seconds = 0.0
        self._pid = None
        self._sock = None
        self._workdir = None
        self._public: Student | None = None
        self._caged = False

    # -- lifecycle
    def start(self) -> None:
        """Start a worker and load the submission; raises WorkerDied when loading fails."""
        self._workdir = tempfile.mkdtemp(dir=self.zygote.workdir_root)
        config = {"workdir": self._workdir, "cells": self.cells,
                  "memory_bytes": self.limits.memory_bytes, "output_bytes": self.limits.output_bytes,
                  "cpu_seconds": self.limits.cpu, "files": self.limits.files}
        self._caged = False
        self._pid, self._sock = self.zygote.spawn(config)
        self._caged = bool(self._receive().get("caged"))
        hello = self._receive()
        self.load_report = hello.get("loaded", []) if isinstance(hello.get("loaded"), list) else []
        self.defined = [d for d in hello.get("defined", []) if isinstance(d, str)]

    def _stop(self, grace: float = 0.0) -> int | None:
        status = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        if self._pid is not None:
            usage = self.zygote.kill(self._pid, grace)
            status = usage.get("status")
            self.max_rss_kb = max(self.max_rss_kb, int(usage.get("maxrss_kb") or 0))
            self.cpu_seconds += float(usage.get("cpu_seconds") or 0.0)
            self._pid = None
        if self._workdir is not None:
            if not self.output:
                self.output = _read_head(os.path.join(self._workdir, "output.log"))
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None
        return status

    def close(self) -> None:
        """Kill the worker (and the public-example twin) and everything they started; keep what
        the student's code printed."""
        self._stop()
        if self._public is not None and self._public is not self:
            self._public.close()

    def public(self) -> "Student":
        """A twin worker for the small public examples shown in feedback.

        It loads the same notebook but is never sent a hidden input, so whatever the student's
        code answers there (a worker keeps state between calls: it could replay hidden inputs
        it saw earlier) can only be made of public values. Its failures do not count against
        the submission. Started on first use.
        """
        if self._public is None:
            self._public = Student(self.zygote, self.cells, limits=self.limits, max_restarts=2)
            self._public._public = self._public  # a twin's examples go to itself
        return self._public  # its first call starts it (see _exchange)

    def _receive(self, timeout: float | None = None) -> dict:
        try:
            return protocol.recv(self._sock, timeout=timeout or self.timeout, bounds=protocol.REPLY)
        except protocol.Timeout:
            self._stop()
            died = WorkerDied("timeout", f"no answer within {self.timeout:g} s")
        except protocol.Closed:
            reason, detail = _describe_exit(self._stop(grace=0.5), self._caged)
            died = WorkerDied(reason, detail)
        except protocol.ProtocolError as exc:
            self._stop()
            died = WorkerDied("crashed", f"the worker sent garbage ({exc})")
        self.failures.append(died)
        raise died

    def _request(self, message: dict, timeout: float | None = None) -> dict:
        if message["op"] == "has":  # runs no student code: nothing to remember
            return self._exchange(message, timeout)
        key = message.get("name", message["op"])
        if key in self.timed_out:
            raise WorkerDied("timeout", f"`{key}` already ran out of time on an earlier check")
        if key in self.died:
            earlier = self.died[key]
            raise WorkerDied(earlier.reason, f"{earlier.detail} (on an earlier check; not run again)".strip())
        try:
            return self._exchange(message, timeout)
        except WorkerDied as died:
            if died.reason == "timeout":
                self.timed_out.add(key)
            elif died.reason != "gave-up":
                self.died[key] = died
            raise

    def _exchange(self, message: dict, timeout: float | None) -> dict:
        if self._sock is None:
            if self.restarts >= self.max_restarts:
                raise WorkerDied("gave-up", f"the code failed {len(self.failures)} times; not run again")
            self.restarts += 1
            self.start()
        try:
            protocol.send(self._sock, message)
        except OSError:
            reason, detail = _describe_exit(self._stop(), self._caged)
            died = WorkerDied(reason, detail)
            self.failures.append(died)
            raise died from None
        return self._receive(timeout)

    def _decode(self, data):
        """Decode a worker's data; malformed data means a broken (or hostile) worker: a crash."""
        try:
            return protocol.decode(data, bounds=protocol.REPLY)
        except protocol.ProtocolError as exc:
            self._stop()
            died = WorkerDied("crashed", f"the worker sent garbage ({str(exc)[:200]})")
            self.failures.append(died)
            raise died from None

    def _unwrap(self, reply: dict):
        if reply.get("ok"):
            return self._decode(reply.get("value"))
        kind = reply.get("kind")
        if kind == "missing":
            raise MissingFunction(str(reply.get("name", "?")))
        if kind == "raised":
            raise StudentRaised(str(reply.get("exc_type", "Exception"))[:100],
                                str(reply.get("message", ""))[:2000], str(reply.get("traceback", ""))[:4000])
        raise WorkerDied("crashed", "the worker answered something unexpected")

    # -- the API hidden suites use
    def call(self, name: str, *args, return_args: bool = False, substitute: dict | None = None, **kwargs):
        """Call the student's function ``name``; see docs/architecture.md.

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

    def train(self, X, y, alpha, hidden=4, iterations=1000, seed=1, *, stop_on_divergence=False,
              synapse_0=None, synapse_1=None) -> dict:
        """Run the kit's training loop in the worker with the student's functions.

        The initial weights are made here (trusted) from ``seed`` unless given.
        """
        X, y, synapse_0, synapse_1 = training_start(X, y, hidden, seed, synapse_0, synapse_1)
        args = {"X": X, "y": y, "alpha": float(alpha), "synapse_0": synapse_0, "synapse_1": synapse_1,
                "iterations": int(iterations), "stop_on_divergence": bool(stop_on_divergence)}
        result = self._unwrap(self._request({"op": "train", "args": protocol.encode(args)}))
        if not isinstance(result, dict):
            raise WorkerDied("crashed", "the worker answered something unexpected")
        return result

    def run_cell(self, source: str, label: str = "<check>") -> None:
        """Run public code (a visible test cell) in the student's namespace; raises StudentRaised."""
        self._unwrap(self._request({"op": "exec", "name": f"exec:{label}", "source": source, "label": label}))

    def has(self, name: str) -> bool:
        """Whether the submission defines a callable ``name``."""
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
