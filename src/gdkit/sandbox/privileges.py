"""Least privilege for a worker: an unprivileged user, no capabilities at all, no_new_privs.

Each step is checked and verified (the kernel is asked back what the process holds): a step
that does not take raises OSError, and the worker exits before any student code runs.
"""
from __future__ import annotations

import ctypes
import os

from gdkit.sandbox.namespaces import libc

_PR_SET_DUMPABLE, _PR_CAPBSET_READ, _PR_CAPBSET_DROP = 4, 23, 24
_PR_SET_SECUREBITS, _PR_SET_NO_NEW_PRIVS, _PR_GET_NO_NEW_PRIVS, _PR_CAP_AMBIENT = 28, 38, 39, 47
_PR_CAP_AMBIENT_CLEAR_ALL = 4
# No capabilities from being (namespace) root, at exec or at setuid, ever again; locked.
_SECUREBITS = 0x01 | 0x02 | 0x04 | 0x08 | 0x20 | 0x40 | 0x80  # KEEP_CAPS (0x10) off and locked
_CAP_VERSION_3 = 0x20080522
_CAP_SETPCAP = 8

def _last_cap() -> int:
    try:
        with open("/proc/sys/kernel/cap_last_cap") as f:
            return int(f.read())
    except (OSError, ValueError):
        return 63  # above the kernel's last capability, reading and dropping fail harmlessly


_LAST_CAP = _last_cap()  # read once, in the zygote
_bounding_held = True  # whether this process could empty its bounding set (it had CAP_SETPCAP)


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def _prctl(option: int, arg: int = 0) -> int:
    return libc().prctl(ctypes.c_int(option), ctypes.c_ulong(arg), ctypes.c_ulong(0), ctypes.c_ulong(0),
                        ctypes.c_ulong(0))


def _fail(what: str) -> None:
    err = ctypes.get_errno()
    raise OSError(err, f"{what}: {os.strerror(err)}")


def become(uid: int, gid: int) -> None:
    """Switch real, effective and saved ids to ``uid``/``gid`` with no supplementary groups."""
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
    if os.getresuid() != (uid, uid, uid) or os.getresgid() != (gid, gid, gid) or os.getgroups():
        raise OSError(0, "the worker's user did not change")


def set_dumpable(on: bool) -> None:
    """Dumpable processes own their /proc entries (needed to write our own id maps)."""
    if _prctl(_PR_SET_DUMPABLE, int(on)) != 0:
        _fail("dumpable")


def _effective() -> int:
    header, data = _CapHeader(_CAP_VERSION_3, 0), (_CapData * 2)()
    if libc().capget(ctypes.byref(header), data) != 0:
        _fail("capget")
    return data[0].effective | (data[1].effective << 32)


def drop_bounding_set() -> None:
    """Empty the bounding set (needs CAP_SETPCAP: call it before giving up root). A process
    without CAP_SETPCAP holds no capability to lose; with no_new_privs and no exec it can never
    gain one from the bounding set, which then stays as it is."""
    if not _effective() & (1 << _CAP_SETPCAP):
        return
    for cap in range(_LAST_CAP + 1):
        if _prctl(_PR_CAPBSET_READ, cap) == 1 and _prctl(_PR_CAPBSET_DROP, cap) != 0:
            _fail(f"dropping capability {cap} from the bounding set")


def drop_capabilities() -> None:
    """Empty every capability set (bounding, ambient, inheritable, permitted, effective), lock
    the securebits and set no_new_privs; then check with the kernel that nothing is left."""
    global _bounding_held
    _bounding_held = bool(_effective() & (1 << _CAP_SETPCAP))
    drop_bounding_set()
    if _prctl(_PR_SET_SECUREBITS, _SECUREBITS) != 0 and ctypes.get_errno() != 1:  # EPERM: had no CAP_SETPCAP
        _fail("securebits")
    libc().prctl(ctypes.c_int(_PR_CAP_AMBIENT), ctypes.c_ulong(_PR_CAP_AMBIENT_CLEAR_ALL), ctypes.c_ulong(0),
                 ctypes.c_ulong(0), ctypes.c_ulong(0))  # EINVAL on kernels without ambient sets: nothing to clear
    header, data = _CapHeader(_CAP_VERSION_3, 0), (_CapData * 2)()
    if libc().capset(ctypes.byref(header), data) != 0:
        _fail("capset")
    if _prctl(_PR_SET_NO_NEW_PRIVS, 1) != 0:
        _fail("no_new_privs")
    verify()


def verify() -> None:
    """Raise unless this process holds no capability in any set and has no_new_privs."""
    header, data = _CapHeader(_CAP_VERSION_3, 0), (_CapData * 2)()
    if libc().capget(ctypes.byref(header), data) != 0:
        _fail("capget")
    if any(getattr(d, s) for d in data for s in ("effective", "permitted", "inheritable")):
        raise OSError(0, "capabilities are left after dropping them")
    if _bounding_held and any(_prctl(_PR_CAPBSET_READ, cap) == 1 for cap in range(_LAST_CAP + 1)):
        raise OSError(0, "the bounding set is not empty")
    if _prctl(_PR_GET_NO_NEW_PRIVS) != 1:
        raise OSError(0, "no_new_privs is not set")
