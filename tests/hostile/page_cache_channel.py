"""Reproducer (not collected by pytest): the page cache as a channel from one worker to a later one.

Every worker may read the Python installation. A worker that has seen hidden inputs can leave bits
in the page cache of files nobody else reads (a read brings a page in, ``posix_fadvise(DONTNEED)``
drops it again), and a later worker reads them back by timing one read per file: a cached page
answers in microseconds, one from disk in a fraction of a millisecond or more. Each worker is
caged and they are never alive together; the channel needs no shared file it may write, no
signal and no socket.

Within one submission this would reach the public twin, whose answers (the public example under
a failed check, the exception's text) are shown to the student. Two orders are run here, three
gradings each:

- *twin last* (the order before): the worker that saw the secret, then a fresh worker reads it:
  the channel itself, expected BROKEN;
- *the grader's order* (:meth:`Student.prefetch`, as ``gdkit grade`` runs it): the twin answers
  the public input first, then the main worker gets the secret, then the twin's answer is read
  back from the handle. Expected held: no more than chance of the grading's own secret. What the
  twin reads is the *previous* grading's secret (printed too): the page cache outlives a
  grading, so a regrade of the same inputs, or a classmate graded earlier with the same inputs,
  still reaches it (see the README's threat model).

Run (about 20 s)::

    PYTHONPATH=src GDKIT_TEST_NO_AUDIT_HOOK=1 python3 tests/hostile/page_cache_channel.py
"""
from __future__ import annotations

import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))

from gdkit.grading.student import Student, start_zygote  # noqa: E402
from gdkit.sandbox.client import Worker  # noqa: E402
from gdkit.sandbox.limits import Limits  # noqa: E402

BITS = 64
# The student's notebook: write() in a worker that saw a hidden input, read() in the next one.
CELL = r'''
import os, time

def _files():
    """Files of the Python installation nobody else reads (its own test suite), in a fixed order."""
    base = os.path.join(os.path.dirname(os.__file__), "test")
    found = []
    for root, dirs, files in os.walk(base):
        dirs.sort()
        found += [os.path.join(root, f) for f in sorted(files)
                  if f.endswith(".py") and os.path.getsize(os.path.join(root, f)) > 20000]
    return found[:BITS]

def write(bits):
    for i, path in enumerate(_files()):
        fd = os.open(path, os.O_RDONLY)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)   # bit 0: the page leaves the cache
        if (bits >> i) & 1:
            os.pread(fd, 4096, 8192)                         # bit 1: the page comes in
        os.close(fd)
    return len(_files())

def read():
    times = []
    for path in _files():
        fd = os.open(path, os.O_RDONLY)
        start = time.perf_counter_ns()
        os.pread(fd, 1, 8192)
        times.append(time.perf_counter_ns() - start)
        os.close(fd)
    fast = min(times) * 8
    return sum(int(t < fast) << i for i, t in enumerate(times))
'''.replace("BITS", str(BITS))


def _same(a: int, b: int) -> int:
    return sum(((a ^ b) >> i) & 1 == 0 for i in range(BITS))


def twin_last(zygote, secret: int) -> int:
    """The order before: the twin starts after the worker that saw the secret is gone."""
    sender = Worker(zygote, [(0, CELL)], limits=Limits(timeout=10))
    sender.start()
    sender.call("write", secret)
    sender.close()
    receiver = Worker(zygote, [(0, CELL)], limits=Limits(timeout=10))
    receiver.start()
    got = receiver.call("read")
    receiver.close()
    return got


def graders_order(zygote, secret: int) -> int:
    """``gdkit grade``'s order: the twin answers the public input first, then the secret."""
    handle = Student(zygote, [(0, CELL)], limits=Limits(timeout=10))
    try:
        handle.prefetch([("read", (), False)])
        handle.start()
        handle.call("write", secret)
    finally:
        handle.close()
    return handle.public_outcome("read", ()).value


def main() -> int:
    zygote = start_zygote()
    broken = False
    try:
        for name, order in (("twin last", twin_last), ("the grader's order", graders_order)):
            right, previous = 0, None
            for trial in range(3):
                secret = random.getrandbits(BITS)
                got = order(zygote, secret)
                right += _same(secret, got)
                earlier = "" if previous is None else f"; {_same(previous, got)} of {BITS} of the previous grading's"
                print(f"{name}, grading {trial}: sent {secret:016x}, the twin read {got:016x}: "
                      f"{_same(secret, got)} of {BITS} bits right{earlier}")
                previous = secret
            leaked = right > 2.5 * BITS
            broken |= leaked and order is graders_order
            print(f"{name}: " + ("BROKEN: the page cache carries this grading's bits to its twin" if leaked
                                 else "held: no more than chance"))
    finally:
        zygote.close()
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
