"""Reproducer (not collected by pytest): the page cache as a channel from one worker to a later one.

Every worker may read the Python installation. A worker that has seen hidden inputs can leave bits
in the page cache of files nobody else reads (a read brings a page in, ``posix_fadvise(DONTNEED)``
drops it again), and a later worker reads them back by timing one read per file: a cached page
answers in microseconds, one from disk in a fraction of a millisecond or more. Each worker is
caged and they are never alive together; the channel needs no shared file it may write, no
signal and no socket.

Within one submission this reaches the public twin, whose answers (the public example under a
failed check, the exception's text) are shown to the student: hidden inputs could be read out
that way. ``[seed] per_student`` does not help there (the same student's own inputs). Closing
it needs the order reversed: everything the student is shown of their code's answers asked
before any worker of the submission sees a hidden input.

Run (about 10 s)::

    PYTHONPATH=src GDKIT_TEST_NO_AUDIT_HOOK=1 python3 tests/hostile/page_cache_channel.py
"""
from __future__ import annotations

import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))

from gdkit.grading.student import start_zygote  # noqa: E402
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


def main() -> int:
    zygote = start_zygote()
    right = 0
    try:
        for trial in range(3):
            secret = random.getrandbits(BITS)
            sender = Worker(zygote, [(0, CELL)], limits=Limits(timeout=10))
            sender.start()
            sender.call("write", secret)
            sender.close()  # gone before the receiver starts, as the public twin's predecessors are
            receiver = Worker(zygote, [(0, CELL)], limits=Limits(timeout=10))
            receiver.start()
            got = receiver.call("read")
            receiver.close()
            same = sum(((secret ^ got) >> i) & 1 == 0 for i in range(BITS))
            right += same
            print(f"trial {trial}: sent {secret:016x}, read {got:016x}: {same} of {BITS} bits right")
    finally:
        zygote.close()
    print("BROKEN: the page cache carries bits from one worker to the next" if right > 2.5 * BITS
          else "held: no more than chance")
    return 0


if __name__ == "__main__":
    sys.exit(main())
