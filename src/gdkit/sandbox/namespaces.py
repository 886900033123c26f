"""Linux namespaces for the workers, through the C library (Python 3.11 has no os.unshare).

Each worker gets its own PID namespace (it sees no other process: it is PID 1 of an empty
one), network namespace (no interface but a loopback that is down: no network of any kind),
mount namespace (its private directory is a size-capped tmpfs that vanishes with it) and user
namespace (it holds no capability that means anything outside it).

The PID namespace is made by the zygote just before it forks (the first child after
``unshare(CLONE_NEWPID)`` becomes the new namespace's PID 1); the others by the child itself.
Every call is checked: a step that fails raises OSError, and the caller fails closed.
"""
from __future__ import annotations

import ctypes
import os
import stat

CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x00020000, 0x10000000, 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18

_libc = None


def libc():
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
        _libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
    return _libc


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def unshare(flags: int) -> None:
    _check(libc().unshare(flags), "unshare")


def setns(fd: int, kind: int) -> None:
    _check(libc().setns(fd, kind), "setns")


def mount(source: str | None, target: str | None, fstype: str | None, flags: int, data: str | None = None) -> None:
    _check(libc().mount(_encode(source), _encode(target), _encode(fstype), flags, _encode(data)), f"mount {target}")


def _encode(text: str | None) -> bytes | None:
    return None if text is None else os.fsencode(text)


def _write(path: str, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def enter_user_namespace(uid: int, gid: int) -> None:
    """A new user namespace in which this process is ``uid``/``gid`` (as outside); no groups."""
    unshare(CLONE_NEWUSER)
    _write("/proc/self/setgroups", "deny")
    _write("/proc/self/uid_map", f"{uid} {uid} 1")
    _write("/proc/self/gid_map", f"{gid} {gid} 1")


class PidNamespaces:
    """Held by the zygote: a fresh PID namespace for each next child."""

    def __init__(self):
        self._own = os.open("/proc/self/ns/pid", os.O_RDONLY | os.O_CLOEXEC)

    def next_child_alone(self) -> None:
        """Make the next fork PID 1 of a new, empty PID namespace."""
        # unshare(CLONE_NEWPID) works only while children still go to our own namespace.
        setns(self._own, CLONE_NEWPID)
        unshare(CLONE_NEWPID)


def mount_private_tmpfs(target: str, size_bytes: int, inodes: int, uid: int, gid: int) -> None:
    """A size- and inode-capped tmpfs on ``target``, owned by ``uid``; in this mount namespace only."""
    mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV,
          f"size={size_bytes},nr_inodes={inodes},mode=0700,uid={uid},gid={gid}")


def searchable(path: str, uid: int, gid: int) -> bool:
    """Whether ``uid`` (group ``gid``, no others) may traverse the directory ``path``."""
    try:
        st = os.stat(path)
    except OSError:
        return False
    if st.st_uid == uid:
        return bool(st.st_mode & stat.S_IXUSR)
    if st.st_gid == gid:
        return bool(st.st_mode & stat.S_IXGRP)
    return bool(st.st_mode & stat.S_IXOTH)


def blocked_ancestors(roots: list[str], uid: int, gid: int) -> dict[str, list[str]]:
    """{highest ancestor ``uid`` cannot traverse: [roots beneath it]} (e.g. /root for a pyenv Python)."""
    out: dict[str, list[str]] = {}
    for root in roots:
        parts = os.path.realpath(root).split("/")[1:]
        for i in range(1, len(parts)):
            ancestor = "/" + "/".join(parts[:i])
            if not searchable(ancestor, uid, gid):
                out.setdefault(ancestor, []).append(os.path.realpath(root))
                break
    return out


def reveal(roots: list[str], uid: int, gid: int) -> list[str]:
    """Make ``roots`` reachable for ``uid`` in this (private) mount namespace; returns the covered dirs.

    A Python installed under a private home (``/root/.pyenv``) cannot be read by an
    unprivileged worker. Each blocking ancestor is covered with an empty read-only tmpfs in
    which only the needed trees are bind-mounted back, read-only: the worker reaches them and
    nothing else of that home.
    """
    covered = []
    for ancestor, inside in sorted(blocked_ancestors(roots, uid, gid).items()):
        kept = {path: os.open(path, os.O_PATH | os.O_CLOEXEC) for path in sorted(set(inside))}
        try:
            mount("tmpfs", ancestor, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,nr_inodes=256,mode=0755")
            for path, fd in kept.items():
                os.makedirs(path, mode=0o755, exist_ok=True)
                mount(f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC)
                mount(None, path, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)
            mount(None, ancestor, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
        finally:
            for fd in kept.values():
                os.close(fd)
        covered.append(ancestor)
    return covered


def private_mounts() -> None:
    """A mount namespace of our own whose mounts never propagate back to the host's."""
    unshare(CLONE_NEWNS)
    mount(None, "/", None, MS_REC | MS_PRIVATE)
