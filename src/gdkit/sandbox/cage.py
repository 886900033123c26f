"""The worker's audit hook: a table of audit event -> small handler that may refuse it.

Defence in depth and readable errors only. Student code can reach this object with ``gc`` and
switch it off, so nothing depends on it: the kernel (namespaces, an unprivileged user,
seccomp, Landlock, rlimits) enforces every boundary. What the hook adds is a ``PermissionError``
that says what was refused, where the kernel would give a bare errno, and a second line where a
kernel lacks a protection.

Each handler takes the cage and the event's arguments and raises to refuse; :data:`HANDLERS`
maps event names to handlers, and events starting with a prefix in :data:`PREFIX_HANDLERS`
use that handler.
"""
from __future__ import annotations

import os
from collections.abc import Callable

# Any of these makes an open a write: O_RDONLY|O_TRUNC empties a file all the same.
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
_O_TMPFILE = getattr(os, "O_TMPFILE", 0)  # includes O_DIRECTORY's bit: compared whole below

PROCESS_EVENTS = frozenset({
    "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty",
    "subprocess.Popen", "os.kill", "os.killpg", "signal.pthread_kill", "os.setsid",
    "resource.setrlimit", "resource.prlimit", "socket.__new__", "socket.connect",
    "socket.bind", "socket.sendto", "socket.sendmsg", "os.chroot", "sys.remote_exec", "pty.spawn",
    "sqlite3.enable_load_extension", "sqlite3.load_extension",
})
PATH_WRITE_EVENTS = frozenset({
    "os.remove", "os.rename", "os.rmdir", "os.mkdir", "os.symlink", "os.link", "os.chmod",
    "os.chown", "os.truncate", "os.utime", "shutil.rmtree", "shutil.move", "shutil.copyfile",
})
PATH_READ_EVENTS = frozenset({"os.listdir", "os.scandir", "glob.glob", "os.chdir"})


def _under(path: str, roots) -> bool:
    return any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots)


class Cage:
    """Which audited operations the untrusted code may perform (files, imports, processes)."""

    def __init__(self, workdir: str, readable: list[str], forbidden: list[str], banned_packages: list[str]):
        self.workdir = os.path.realpath(workdir)
        self.readable = list(readable) + ["/dev/null", "/dev/urandom", self.workdir]
        self.forbidden = list(forbidden)
        self.banned = tuple(banned_packages)
        self.armed = False

    def resolve(self, path) -> str:
        """``path`` resolved relative to the private dir ("" for an already-open descriptor)."""
        if isinstance(path, int):
            return ""  # checked when it was opened
        if isinstance(path, bytes):
            path = os.fsdecode(path)
        return os.path.realpath(os.path.join(self.workdir, os.fspath(path)))

    def may_read(self, path) -> bool:
        resolved = self.resolve(path)
        if not resolved:
            return True
        return not _under(resolved, self.forbidden) and _under(resolved, self.readable)

    def may_write(self, path) -> bool:
        """Only inside the private dir, or /dev/null."""
        resolved = self.resolve(path)
        return not resolved or resolved == "/dev/null" or _under(resolved, [self.workdir])

    def hook(self, event: str, args) -> None:
        """The audit hook: refuse (raise) once armed, i.e. from the first student cell on."""
        if not self.armed:
            return
        handler = HANDLERS.get(event)
        if handler is None:
            handler = next((h for prefix, h in PREFIX_HANDLERS.items() if event.startswith(prefix)), None)
        if handler is not None:
            handler(self, event, tuple(args))


# ---------------------------------------------------------------- handlers

def refuse(cage: Cage, event: str, args: tuple) -> None:
    raise PermissionError(f"gdkit sandbox: {event} is not allowed")


def _is_write(mode, flags) -> bool:
    if isinstance(mode, str) and any(c in mode for c in "wax+"):
        return True
    return isinstance(flags, int) and bool(flags & _WRITE_FLAGS or (_O_TMPFILE and flags & _O_TMPFILE == _O_TMPFILE))


def on_open(cage: Cage, event: str, args: tuple) -> None:
    path, mode, flags = (args + (None, None, None))[:3]
    if path is None:
        return
    allowed = cage.may_write(path) if _is_write(mode, flags) else cage.may_read(path)
    # A directory descriptor outside the private dir would let os.open(..., dir_fd=) reach any
    # file: the hook sees only the relative path, which it resolves in the private dir.
    if allowed and not isinstance(path, int) and os.path.isdir(cage.resolve(path)):
        allowed = _under(cage.resolve(path), [cage.workdir])
    if not allowed:
        raise PermissionError(f"gdkit sandbox: access to {path!r} is not allowed")


def on_import(cage: Cage, event: str, args: tuple) -> None:
    name = args[0] if args else ""
    if isinstance(name, str) and any(name == p or name.startswith(p + ".") for p in cage.banned):
        raise ImportError(f"gdkit sandbox: {name.split('.')[0]} cannot be imported here")


def on_path_write(cage: Cage, event: str, args: tuple) -> None:
    for path in args[:2]:
        if isinstance(path, (str, bytes, os.PathLike)) and not cage.may_write(path):
            raise PermissionError(f"gdkit sandbox: changing {path!r} is not allowed")


def on_path_read(cage: Cage, event: str, args: tuple) -> None:
    path = args[0] if args else None
    if isinstance(path, (str, bytes, os.PathLike)) and not cage.may_read(path):
        raise PermissionError(f"gdkit sandbox: access to {path!r} is not allowed")


def on_sqlite_connect(cage: Cage, event: str, args: tuple) -> None:
    # sqlite opens its file in C (no "open" event); ATTACH in SQL is left to Landlock.
    database = os.fsdecode(args[0]) if args and isinstance(args[0], (str, bytes, os.PathLike)) else ""
    database = database.split("?", 1)[0].removeprefix("file:")
    if database not in ("", ":memory:") and not cage.may_write(database):
        raise PermissionError(f"gdkit sandbox: a database at {database!r} is not allowed")


Handler = Callable[[Cage, str, tuple], None]
HANDLERS: dict[str, Handler] = {
    "open": on_open,
    "import": on_import,
    "sqlite3.connect": on_sqlite_connect,
    **{event: refuse for event in PROCESS_EVENTS},
    **{event: on_path_write for event in PATH_WRITE_EVENTS},
    **{event: on_path_read for event in PATH_READ_EVENTS},
}
PREFIX_HANDLERS: dict[str, Handler] = {"ctypes.": refuse}
