"""A seccomp filter for the worker child: no new processes, no signalling others by pidfd, no mknod.

The audit hook cannot see everything: ``_posixsubprocess.fork_exec`` (behind ``subprocess``
and ``multiprocessing``) and ``os.pidfd_open`` / ``signal.pidfd_send_signal`` raise no audit
event in CPython 3.11, so a submission could exec a shell (which runs without any hook) or kill
the grader. The kernel refuses these system calls once this filter is installed; it cannot be
removed, and it is inherited by anything the process could still start. ``mknod`` is refused
too: a FIFO in place of the worker's ``output.log`` would block the grader that reads it.

Only x86_64 is covered (the syscall numbers are per architecture); elsewhere
:func:`install` returns False and the caller relies on the audit hook alone.
"""
from __future__ import annotations

import ctypes
import errno
import platform
import struct

_AUDIT_ARCH_X86_64 = 0xC000003E
_X32_SYSCALL_BIT = 0x40000000
_CLONE_THREAD = 0x00010000
# x86_64 system call numbers.
_CLONE, _FORK, _VFORK, _EXECVE, _KILL, _TKILL, _TGKILL = 56, 57, 58, 59, 62, 200, 234
_PTRACE, _PROCESS_VM_READV, _PROCESS_VM_WRITEV, _EXECVEAT = 101, 310, 311, 322
_PIDFD_SEND_SIGNAL, _CLONE3, _PIDFD_OPEN, _PIDFD_GETFD = 424, 435, 434, 438
_MKNOD, _MKNODAT, _SECCOMP = 133, 259, 317
_DENIED = (_FORK, _VFORK, _EXECVE, _EXECVEAT, _PTRACE, _PROCESS_VM_READV, _PROCESS_VM_WRITEV,
           _PIDFD_SEND_SIGNAL, _PIDFD_OPEN, _PIDFD_GETFD, _MKNOD, _MKNODAT)

# BPF opcodes.
_LD_W_ABS, _JEQ_K, _JSET_K, _RET_K = 0x20, 0x15, 0x45, 0x06
_ALLOW, _ERRNO, _KILL_PROCESS = 0x7FFF0000, 0x00050000, 0x80000000
_PR_SET_NO_NEW_PRIVS, _PR_SET_SECCOMP, _SECCOMP_MODE_FILTER = 38, 22, 2
_SECCOMP_GET_ACTION_AVAIL = 2


def _insn(code, jt, jf, k):
    return struct.pack("=HBBI", code, jt, jf, k & 0xFFFFFFFF)


def _program(own_pid: int) -> bytes:
    """Deny process creation (threads stay allowed), exec, ptrace and pidfd signalling; signals
    by kill/tkill/tgkill only to the process itself (Python's own signal delivery needs that)."""
    eperm = _ERRNO | errno.EPERM
    prog = [
        _insn(_LD_W_ABS, 0, 0, 4),                      # seccomp_data.arch
        _insn(_JEQ_K, 1, 0, _AUDIT_ARCH_X86_64),
        _insn(_RET_K, 0, 0, _KILL_PROCESS),             # a foreign ABI (int 0x80) is never legitimate
        _insn(_LD_W_ABS, 0, 0, 0),                      # seccomp_data.nr
        # x32 numbers (bit 30) would bypass the checks below by number: never legitimate here.
        _insn(_JSET_K, 0, 1, _X32_SYSCALL_BIT),
        _insn(_RET_K, 0, 0, _KILL_PROCESS),
    ]
    for nr in _DENIED:
        prog += [_insn(_JEQ_K, 0, 1, nr), _insn(_RET_K, 0, 0, eperm)]
    # clone3 hides its flags in memory the filter cannot read: ENOSYS makes glibc fall back to clone.
    prog += [_insn(_JEQ_K, 0, 1, _CLONE3), _insn(_RET_K, 0, 0, _ERRNO | errno.ENOSYS)]
    # clone: only threads (CLONE_THREAD in the low word of the first argument).
    prog += [_insn(_JEQ_K, 0, 4, _CLONE), _insn(_LD_W_ABS, 0, 0, 16),
             _insn(_JSET_K, 1, 0, _CLONE_THREAD), _insn(_RET_K, 0, 0, eperm), _insn(_RET_K, 0, 0, _ALLOW)]
    # kill/tkill/tgkill: first argument must be our own pid (tkill's tid of the main thread is it too).
    for nr in (_KILL, _TKILL, _TGKILL):
        prog += [_insn(_JEQ_K, 0, 4, nr), _insn(_LD_W_ABS, 0, 0, 16),
                 _insn(_JEQ_K, 1, 0, own_pid), _insn(_RET_K, 0, 0, eperm), _insn(_RET_K, 0, 0, _ALLOW)]
    prog.append(_insn(_RET_K, 0, 0, _ALLOW))
    return b"".join(prog)


def available() -> bool:
    """Whether :func:`install` can work here: x86_64, and a kernel with the filter actions used.

    Asked without installing anything (the seccomp(2) action query), so the trusted zygote
    can probe once and the child knows a failed install is an error, not a missing feature.
    """
    if platform.machine() != "x86_64":
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.syscall.restype = ctypes.c_long
        for action in (_ALLOW, _ERRNO, _KILL_PROCESS):
            value = ctypes.c_uint32(action)
            if libc.syscall(ctypes.c_long(_SECCOMP), ctypes.c_long(_SECCOMP_GET_ACTION_AVAIL),
                            ctypes.c_long(0), ctypes.byref(value)) != 0:
                return False
    except (OSError, AttributeError):
        return False
    return True


def install(own_pid: int) -> bool:
    """Install the filter on the calling process; False when this platform cannot."""
    if platform.machine() != "x86_64":
        return False
    code = _program(own_pid)
    count = len(code) // 8
    buffer = ctypes.create_string_buffer(code, len(code))

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    fprog = SockFprog(count, ctypes.cast(buffer, ctypes.c_void_p))
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong]
    if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, None, 0, 0) != 0:
        return False
    return libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) == 0
