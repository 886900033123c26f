"""Nothing left behind: worker folders are removed, verified, retried, and swept after dead runs.

A worker's files normally live on a tmpfs in its own mount namespace and vanish with it; what
lands on the host (its output log, or its files where the kernel offers no namespaces) is
removed here. A file the worker made immutable or append-only (``chattr +i``), or a folder it
made unreadable, is unlocked and removed on a second pass; what still remains is returned so
the caller can report it. Each run's folder (:class:`RunFolder`: the zygote's worker folders,
and the grading command's own scratch folder with its chunk specs) carries a lock held for the
run's lifetime, so a later run can tell the folders of dead runs (lock free) and sweep them.
"""
from __future__ import annotations

import fcntl
import os
import shutil
import stat
import struct
import tempfile

PREFIX = "gdkit-workers-"
LOCK = ".lock"
_FS_IOC_GETFLAGS, _FS_IOC_SETFLAGS = 0x80086601, 0x40086602
_IMMUTABLE, _APPEND = 0x10, 0x20


def _unlock(path: str) -> None:
    """Clear immutable/append-only flags and make folders writable (errors ignored: best effort)."""
    try:
        st = os.lstat(path)
    except OSError:
        return
    if stat.S_ISLNK(st.st_mode):
        return
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        fd = None
    if fd is not None:
        try:
            flags = struct.unpack("i", fcntl.ioctl(fd, _FS_IOC_GETFLAGS, b"\0" * 4))[0]
            if flags & (_IMMUTABLE | _APPEND):
                fcntl.ioctl(fd, _FS_IOC_SETFLAGS, struct.pack("i", flags & ~(_IMMUTABLE | _APPEND)))
        except OSError:
            pass
        finally:
            os.close(fd)
    if stat.S_ISDIR(st.st_mode):
        try:
            os.chmod(path, 0o700)
        except OSError:
            pass


def remove_tree(path: str, attempts: int = 3) -> list[str]:
    """Remove ``path`` (a folder with everything in it, or a file) entirely; returns what is
    left (empty on success)."""
    for _ in range(attempts):
        if not os.path.lexists(path):
            return []
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            try:
                os.unlink(path)
            except OSError:
                pass
        if not os.path.lexists(path):
            return []
        for entry in _walk(path):
            _unlock(entry)
    return _walk(path) if os.path.lexists(path) else []


def _walk(path: str) -> list[str]:
    out = [path]
    if os.path.isdir(path) and not os.path.islink(path):
        for root, dirs, files in os.walk(path):
            out += [os.path.join(root, n) for n in dirs + files]
    return out


class RunFolder:
    """This run's folder (for worker directories by default), locked while the run lives.

    ``prefix`` names the kind of folder (the sweep of dead runs looks for the same prefix);
    ``mode``: 0o711 lets an unprivileged worker reach its own folder inside, 0o700 keeps
    everyone else out. Usable as a context manager (closed on exit)."""

    def __init__(self, base: str | None = None, prefix: str = PREFIX, mode: int = 0o711):
        base = base or tempfile.gettempdir()
        self.stale_left = sweep_stale(base, prefix)
        staging = tempfile.mkdtemp(prefix="." + prefix, dir=base)
        self._lock_fd = os.open(os.path.join(staging, LOCK), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
        # Visible to sweepers only once locked.
        self.path = os.path.join(base, prefix + os.path.basename(staging)[len(prefix) + 1:])
        os.rename(staging, self.path)
        os.chmod(self.path, mode)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> list[str]:
        """Remove the folder; what stays keeps the (now free) lock, so the next run sweeps it."""
        try:
            left = sweep_contents(self.path)
            if not left:
                os.unlink(os.path.join(self.path, LOCK))
                os.rmdir(self.path)
        except OSError:
            left = _walk(self.path)
        os.close(self._lock_fd)
        return left


def sweep_stale(base: str, prefix: str = PREFIX) -> list[str]:
    """Remove the ``prefix`` folders of runs that died (their lock is free); returns what is left."""
    left = []
    try:
        entries = [e for e in os.scandir(base) if e.name.startswith(prefix) and e.is_dir(follow_symlinks=False)]
    except OSError:
        return []
    for entry in entries:
        try:
            if entry.stat(follow_symlinks=False).st_uid != os.geteuid():
                continue  # another user's run: not ours to judge
            fd = os.open(os.path.join(entry.path, LOCK), os.O_RDWR | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue  # a live run
        try:
            stuck = sweep_contents(entry.path)
            if not stuck:
                os.unlink(os.path.join(entry.path, LOCK))
                os.rmdir(entry.path)
            left += stuck
        except OSError:
            left.append(entry.path)
        finally:
            os.close(fd)
    return left


def sweep_contents(folder: str) -> list[str]:
    """Remove everything in a run folder but its lock; returns what is left."""
    left = []
    for entry in os.scandir(folder):
        if entry.name != LOCK:
            left += remove_tree(entry.path)
    return left
