"""A Landlock ruleset for the worker child: the kernel's own file (and TCP, signal) allowlist.

The audit hook only sees what CPython audits. C code that opens files itself does not raise
the ``open`` event (``readline.write_history_file``, ``sqlite3`` and its ``ATTACH DATABASE``,
any native extension), so only the kernel can keep such code inside its private directory.
Landlock (Linux 5.13+) needs no privileges: a process restricts itself, irrevocably, and
everything it could still start inherits the restriction.

Written against the kernel's documented ABI (``include/uapi/linux/landlock.h``). Its system
calls were added after the kernel unified its system-call table, so their numbers are the same
on every Linux architecture. :func:`abi` says what the running kernel offers (0: nothing),
:func:`install` restricts the calling process.
"""
from __future__ import annotations

import ctypes
import os
import stat
import struct

_CREATE_RULESET, _ADD_RULE, _RESTRICT_SELF = 444, 445, 446  # every architecture
_CREATE_RULESET_VERSION = 1 << 0
_RULE_PATH_BENEATH = 1
_PR_SET_NO_NEW_PRIVS = 38

# Filesystem access rights (bit, first ABI that knows it).
EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
REMOVE_DIR, REMOVE_FILE, MAKE_CHAR, MAKE_DIR = 1 << 4, 1 << 5, 1 << 6, 1 << 7
MAKE_REG, MAKE_SOCK, MAKE_FIFO, MAKE_BLOCK, MAKE_SYM = 1 << 8, 1 << 9, 1 << 10, 1 << 11, 1 << 12
REFER = 1 << 13        # ABI 2: rename/link across directories
TRUNCATE = 1 << 14     # ABI 3: truncate(2), O_TRUNC
IOCTL_DEV = 1 << 15    # ABI 5: ioctl on device files
_FS_BY_ABI = {1: (1 << 13) - 1, 2: (1 << 14) - 1, 3: (1 << 15) - 1, 4: (1 << 15) - 1}
_FS_LATEST = (1 << 16) - 1
# Rights that make sense on a file (not a directory): the kernel refuses the others there.
_FILE_RIGHTS = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV
# ABI 4: TCP. Handled with no rule at all, so every bind and connect is refused.
_NET_BIND_TCP, _NET_CONNECT_TCP = 1 << 0, 1 << 1
# ABI 6: no signals to, and no abstract unix sockets of, processes outside the domain.
_SCOPE_ABSTRACT_UNIX_SOCKET, _SCOPE_SIGNAL = 1 << 0, 1 << 1

READ_EXEC = READ_FILE | READ_DIR | EXECUTE
# Everything a scratch directory needs; devices, FIFOs and sockets stay impossible to make.
PRIVATE_DIR = (READ_FILE | READ_DIR | WRITE_FILE | REMOVE_DIR | REMOVE_FILE | MAKE_DIR | MAKE_REG
               | MAKE_SYM | REFER | TRUNCATE)


def _libc():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return libc


def abi() -> int:
    """The Landlock ABI version the running kernel offers; 0 when it offers none."""
    try:
        version = _libc().syscall(ctypes.c_long(_CREATE_RULESET), None, ctypes.c_long(0),
                                  ctypes.c_long(_CREATE_RULESET_VERSION))
    except (OSError, AttributeError):
        return 0
    return max(int(version), 0)


def handled_fs(version: int) -> int:
    """Every filesystem right ``version`` knows: a right left unhandled would stay allowed."""
    return _FS_BY_ABI.get(version, _FS_LATEST if version > 4 else 0)


def _ruleset_attr(version: int) -> bytes:
    """``struct landlock_ruleset_attr``, cut to the fields this ABI has (the kernel checks the size)."""
    net = _NET_BIND_TCP | _NET_CONNECT_TCP if version >= 4 else 0
    scoped = _SCOPE_ABSTRACT_UNIX_SOCKET | _SCOPE_SIGNAL if version >= 6 else 0
    attr = struct.pack("=QQQ", handled_fs(version), net, scoped)
    return attr[:24 if version >= 6 else 16 if version >= 4 else 8]


def beneath_except(root: str, excluded, rights: int) -> list[tuple[str, int]]:
    """Rules granting ``rights`` beneath ``root`` except beneath the ``excluded`` path(s) (a rule
    cannot carve a hole).

    Used when a banned package lies inside a granted tree (the kit installed in site-packages):
    every sibling on the way down to it gets ``rights``; the directories on the way (and so the
    package's own directory) may only be listed, so that imports can still scan site-packages
    while no file of the package can be read.
    """
    root = os.path.realpath(root)
    excluded = [os.path.realpath(e) for e in ([excluded] if isinstance(excluded, str) else excluded)]
    inside = [e for e in excluded if e == root or e.startswith(root.rstrip("/") + "/")]
    if not inside:
        return [(root, rights)]
    return [(root, rights & READ_DIR)] + _siblings(root, inside, rights)


def _siblings(folder: str, inside: list[str], rights: int) -> list[tuple[str, int]]:
    """``rights`` on every entry of ``folder`` that is not (and holds no) excluded path; recursing
    into those that hold one (listable through the top rule already)."""
    if folder in inside:
        return []
    try:
        entries = [e.path for e in os.scandir(folder)]
    except OSError:
        return []
    rules = []
    for path in entries:
        if any(e == path or e.startswith(path + "/") for e in inside):
            rules += _siblings(path, inside, rights)
        else:
            rules.append((path, rights))
    return rules


def install(rules: list[tuple[str, int]], version: int | None = None) -> bool:
    """Restrict the calling process to ``rules`` (path, rights); False if the kernel would not.

    Paths that do not exist are skipped, and links are not followed (pass resolved paths).
    Every right the ABI knows is handled, so anything not
    granted here is refused; TCP is refused entirely and signals/abstract sockets are scoped.
    """
    version = abi() if version is None else version
    if version < 1:
        return False
    libc = _libc()
    handled = handled_fs(version)
    attr = ctypes.create_string_buffer(_ruleset_attr(version))
    ruleset = libc.syscall(ctypes.c_long(_CREATE_RULESET), attr, ctypes.c_long(len(attr.raw)), ctypes.c_long(0))
    if ruleset < 0:
        return False
    try:
        for path, rights in rules:
            try:
                # Not following links: a link in the Python installation pointing at, say, / must
                # not widen the allowlist (the kernel checks the resolved path on every access).
                fd = os.open(path, os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC)
            except OSError:
                continue  # e.g. no /usr/lib64 here: nothing to allow
            try:
                is_dir = stat.S_ISDIR(os.fstat(fd).st_mode)
                allowed = rights & handled & (~0 if is_dir else _FILE_RIGHTS)
                rule = ctypes.create_string_buffer(struct.pack("=Qi", allowed, fd))
                if libc.syscall(ctypes.c_long(_ADD_RULE), ctypes.c_long(ruleset), ctypes.c_long(_RULE_PATH_BENEATH),
                                rule, ctypes.c_long(0)) != 0:
                    return False
            finally:
                os.close(fd)
        # restrict_self requires no_new_privs (or CAP_SYS_ADMIN); seccomp sets it too, harmlessly.
        libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
        if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            return False
        return libc.syscall(ctypes.c_long(_RESTRICT_SELF), ctypes.c_long(ruleset), ctypes.c_long(0)) == 0
    finally:
        os.close(ruleset)
