"""The child Python that ``gdkit check --no-sandbox`` runs a notebook in (macOS, Windows, or asked).

A student checking their own code needs no cage, only a separate process and a time limit.
The parent (:mod:`gdkit.check`) sends one JSON object on stdin::

    {"cells": [[index, source], ...], "tests": [[question, source], ...], "timeout": seconds}

and this runs each graded cell, then each visible test cell, in one namespace, every one on
its own (an error is recorded and the next one runs), writing one JSON line per step to the
original stdout; the notebook's own printing goes to stderr. A step that runs past the time
limit is interrupted (KeyboardInterrupt from a watchdog thread) and reported; the parent kills
this process if even that does not stop it. Imports nothing from the kit but this file.
"""
from __future__ import annotations

import _thread
import json
import os
import signal
import sys
import threading
import traceback


class _Watchdog:
    """Interrupts the main thread when one step runs past ``timeout`` seconds."""

    def __init__(self, timeout: float):
        self.timeout = timeout
        self.fired = False
        self._timer = None

    def __enter__(self):
        self.fired = False
        self._timer = threading.Timer(self.timeout, self._fire)
        self._timer.daemon = True
        self._timer.start()
        return self

    def _fire(self):
        self.fired = True
        _thread.interrupt_main()

    def __exit__(self, *exc):
        self._timer.cancel()
        return False


def _run(source: str, label: str, namespace: dict, watchdog: _Watchdog) -> dict:
    try:
        code = compile(source, label, "exec")
        with watchdog:
            exec(code, namespace)
    except KeyboardInterrupt:
        if watchdog.fired:
            return {"ok": False, "exc_type": "Timeout", "message": f"took longer than {watchdog.timeout:g} s"}
        raise
    except BaseException as exc:  # the student's code: any exception (SystemExit too) is a result
        return {"ok": False, "exc_type": type(exc).__name__, "message": str(exc)[:2000],
                "traceback": "".join(traceback.format_exception_only(type(exc), exc))[-2000:]}
    return {"ok": True}


def main() -> int:
    # The watchdog interrupts through SIGINT's Python handler: a parent that ignores SIGINT (a
    # background job of a script, nohup, some CI runners) would leave this child without one,
    # and no cell could be interrupted.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    job = json.loads(sys.stdin.read())
    # The protocol keeps the real stdout; whatever the notebook prints goes to stderr.
    protocol = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    sys.stdout = sys.stderr
    watchdog = _Watchdog(float(job["timeout"]))
    namespace = {"__name__": "__main__"}

    def send(message: dict) -> None:
        protocol.write(json.dumps(message) + "\n")
        protocol.flush()

    for index, source in job["cells"]:
        send({"cell": index, **_run(source, f"<cell {index}>", namespace, watchdog)})
    for question, source in job["tests"]:
        send({"test": question, **_run(source, f"<visible test {question}>", namespace, watchdog)})
    send({"done": True})
    return 0


if __name__ == "__main__":
    sys.exit(main())
