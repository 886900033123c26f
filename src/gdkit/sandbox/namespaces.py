"""Linux namespaces for the workers, through the C library (Python 3.11 has no os.unshare).

Each worker gets its own PID namespace (it sees no other process: it is PID 1 of an empty
one), network namespace (no interface but a loopback that is down: no network of any kind),
IPC namespace (SysV shared memory, semaphores, message queues and POSIX message queues of its
own, destroyed with it), mount namespace and user namespace (it holds no capability that means
anything outside it).

In its mount namespace a worker lives in a *minimal root* (:class:`RootPlan`): a read-only
tmpfs holding read-only bind mounts of exactly the trees it may read (the Python installation,
the system library folders), ``/dev/null`` and ``/dev/urandom``, and its private directory (a
size-capped tmpfs at :data:`PRIVATE_IN_ROOT`). The host's file system is detached, so no other
path exists for it: not even ``stat`` or ``readlink`` reaches the grader's folders, a
classmate's outputs or ``/etc``. A zygote running as root builds the root once and each worker
enters a copy of it (:func:`enter_root`); an unprivileged worker builds its own in its user
namespace (under a millisecond).

The PID namespace is made by the zygote just before it forks (the first child after
``unshare(CLONE_NEWPID)`` becomes the new namespace's PID 1); the others by the child itself.
Every call is checked: a step that fails raises OSError, and the caller fails closed.
"""
from __future__ import annotations

import ctypes
import os
import platform
import stat
import struct
from dataclasses import dataclass

CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x00020000, 0x10000000, 0x20000000, 0x40000000
CLONE_NEWIPC = 0x08000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
MNT_DETACH = 2
# mount_setattr(2) (Linux 5.12+, the same number everywhere): read-only for a whole bind tree at once.
_MOUNT_SETATTR, _AT_FDCWD, _AT_RECURSIVE = 442, -100, 0x8000
_MOUNT_ATTR_RDONLY, _MOUNT_ATTR_NOSUID, _MOUNT_ATTR_NODEV = 0x1, 0x2, 0x4
# pivot_root(2) has no C library wrapper, and its number is per architecture.
_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "riscv64": 41, "ppc64le": 203, "ppc64": 203, "s390x": 217,
               "armv7l": 218, "armv8l": 218, "loongarch64": 41}
# Where a worker's private directory is inside its minimal root: code that writes to /tmp works.
PRIVATE_IN_ROOT = "/tmp"

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


def _write_at(folder: int | None, name: str, text: str) -> None:
    if folder is None:
        _write(f"/proc/self/{name}", text)
        return
    fd = os.open(name, os.O_WRONLY | os.O_CLOEXEC, dir_fd=folder)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def enter_user_namespace(uid: int, gid: int, proc_self: int | None = None) -> None:
    """A new user namespace in which this process is ``uid``/``gid`` (as outside); no groups.

    ``proc_self``: a descriptor of this process's /proc folder, opened before it entered a
    root without /proc (None: /proc/self is reachable)."""
    unshare(CLONE_NEWUSER)
    _write_at(proc_self, "setgroups", "deny")
    _write_at(proc_self, "uid_map", f"{uid} {uid} 1")
    _write_at(proc_self, "gid_map", f"{gid} {gid} 1")


class PidNamespaces:
    """Held by the zygote: a fresh PID namespace for each next child."""

    def __init__(self):
        self._own = os.open("/proc/self/ns/pid", os.O_RDONLY | os.O_CLOEXEC)

    def next_child_alone(self) -> None:
        """Make the next fork PID 1 of a new, empty PID namespace."""
        # unshare(CLONE_NEWPID) works only while children still go to our own namespace.
        setns(self._own, CLONE_NEWPID)
        unshare(CLONE_NEWPID)


    def close(self) -> None:
        os.close(self._own)


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


def make_private() -> None:
    """Mounts in this mount namespace never propagate to or from another one."""
    mount(None, "/", None, MS_REC | MS_PRIVATE)


def private_mounts() -> None:
    """A mount namespace of our own whose mounts never propagate back to the host's."""
    unshare(CLONE_NEWNS)
    make_private()


# ---------------------------------------------------------------- the minimal root

@dataclass(frozen=True)
class RootPlan:
    """What a worker's minimal root holds, decided once by the zygote (plain paths, resolved).

    ``trees``: folders bound read-only at their own path (none inside another); ``devices``:
    device files bound at their own path (``/dev/null`` stays writable); ``links``: top-level
    symbolic links of the host that point into a tree (``/lib -> usr/lib``), made again so
    that libraries found by their usual paths still load; ``hidden``: folders inside a tree
    covered by an empty read-only tmpfs (banned packages: not even their file names exist).
    """

    trees: tuple[str, ...]
    devices: tuple[str, ...] = ("/dev/null", "/dev/urandom")
    links: tuple[tuple[str, str], ...] = ()
    hidden: tuple[str, ...] = ()


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def plan_root(trees, hidden=(), devices=("/dev/null", "/dev/urandom")) -> RootPlan:
    """The plan for ``trees`` (existing folders), with the host's top-level links into them."""
    found = sorted({os.path.realpath(t) for t in trees if os.path.isdir(t)})
    outer = tuple(t for t in found if not any(o != t and _inside(t, o) for o in found))
    links = []
    for entry in sorted(os.listdir("/")):
        path = "/" + entry
        if os.path.islink(path) and any(_inside(os.path.realpath(path), t) for t in outer) \
                and not any(_inside(path, t) for t in outer):
            links.append((path, os.readlink(path)))
    covered = tuple(sorted({os.path.realpath(h) for h in hidden if os.path.isdir(h)
                            and any(_inside(os.path.realpath(h), t) for t in outer)}))
    return RootPlan(trees=outer, devices=tuple(d for d in devices if os.path.exists(d)), links=tuple(links),
                    hidden=covered)


def _read_only_tree(path: str) -> None:
    """Make the bind mount at ``path`` and every mount beneath it read-only, nosuid, nodev."""
    attr = ctypes.create_string_buffer(struct.pack("=QQQQ", _MOUNT_ATTR_RDONLY | _MOUNT_ATTR_NOSUID
                                                   | _MOUNT_ATTR_NODEV, 0, 0, 0))
    call = libc().syscall
    call.restype = ctypes.c_long
    if call(ctypes.c_long(_MOUNT_SETATTR), ctypes.c_int(_AT_FDCWD), os.fsencode(path), ctypes.c_uint(_AT_RECURSIVE),
            attr, ctypes.c_size_t(len(attr.raw))) == 0:
        return
    # Before Linux 5.12: the top mount only, keeping noexec (a user namespace may not drop it;
    # a remount without atime flags keeps those).
    noexec = MS_NOEXEC if os.statvfs(path).f_flag & os.ST_NOEXEC else 0
    mount(None, path, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | noexec)


def build_root(target: str, plan: RootPlan) -> None:
    """Build the minimal root on ``target`` (an empty folder) in this mount namespace."""
    mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,nr_inodes=4096,mode=0755")
    for tree in plan.trees:
        inner = target + tree
        os.makedirs(inner, mode=0o755, exist_ok=True)
        mount(tree, inner, None, MS_BIND | MS_REC)
        _read_only_tree(inner)
    for folder in plan.hidden:
        mount("tmpfs", target + folder, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
              "size=4k,nr_inodes=2,mode=0555")
    for device in plan.devices:
        inner = target + device
        os.makedirs(os.path.dirname(inner), mode=0o755, exist_ok=True)
        os.close(os.open(inner, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o666))
        mount(device, inner, None, MS_BIND)
        mount(None, inner, None, MS_REMOUNT | MS_BIND | MS_NOSUID | MS_NOEXEC
              | (0 if device == "/dev/null" else MS_RDONLY))
    for link, points_to in plan.links:
        os.symlink(points_to, target + link)
    os.makedirs(target + PRIVATE_IN_ROOT, mode=0o755, exist_ok=True)
    mount(None, target, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)


def can_pivot() -> bool:
    """Whether this architecture's pivot_root(2) number is known here."""
    return platform.machine() in _PIVOT_ROOT


def enter_root(target: str) -> None:
    """Make ``target`` (a built root) this process's ``/`` and detach the host's file system.

    pivot_root(".", ".") stacks the old root on the new one; detaching it leaves only the new
    root in this mount namespace."""
    number = _PIVOT_ROOT.get(platform.machine())
    if number is None:
        raise OSError(0, f"pivot_root: unknown on {platform.machine()}")
    os.chdir(target)
    call = libc().syscall
    call.restype = ctypes.c_long
    _check(call(ctypes.c_long(number), b".", b"."), "pivot_root")
    _check(libc().umount2(b".", MNT_DETACH), "umount of the old root")
    os.chdir("/")
