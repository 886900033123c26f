"""A seccomp filter for the worker child: it may act on itself only.

Refused (EPERM) once installed, irrevocably and for anything the process could still start,
group by group in :data:`DENIED_GROUPS`: new processes and exec (``_posixsubprocess.fork_exec``
raises no audit event in CPython 3.11); ptrace, reading or writing other processes' memory,
pidfds; sockets of any kind (the worker talks to the grader over the socket pair it was handed;
a new socket could reach the network where the kernel has no network namespace); SysV and POSIX
IPC (shared with every other worker where the kernel has no IPC namespace); namespaces, mounts
and roots; files by handle and device nodes (``mknod``: a FIFO in place of the output log would
block the grader); kernel interfaces with a history of holes (io_uring, whose operations bypass
this filter; bpf, userfaultfd, perf events, keyrings, fanotify, ``modify_ldt``,
``memfd_secret``); and what needs a capability the worker never holds (reboot, modules, swap,
accounting, the kernel log, host names, I/O ports), listed so that a capability that slipped
through would still not be enough.

Calls that name a process (resource limits, priority, scheduling, CPU affinity, I/O priority,
process groups, signals) are allowed on the worker itself only (pid 0 or its own), so no
worker can lower the zygote's limits, renice it or pin it, nor learn whether another process
exists; ``clone`` makes threads only; ``personality`` may only be asked, or set to Linux's.
A file's owner (``F_SETOWN``; ``F_SETOWN_EX``, ``FIOSETOWN`` and ``SIOCSPGRP`` refused) may be
the worker itself only: the kernel signals that owner later, on the worker's behalf.

The table is x86_64's (system call numbers are per architecture); elsewhere :func:`install`
returns False and :mod:`gdkit.sandbox.protections` says so.
"""
from __future__ import annotations

import ctypes
import errno
import functools
import platform
import struct

_AUDIT_ARCH_X86_64 = 0xC000003E
_X32_SYSCALL_BIT = 0x40000000
_CLONE_THREAD = 0x00010000
_PRIO_PROCESS, _IOPRIO_WHO_PROCESS = 0, 1
_SECCOMP = 317
_CLONE, _CLONE3 = 56, 435

# x86_64 system calls refused outright, by what they would reach.
DENIED_GROUPS = {
    "new processes and programs": {"fork": 57, "vfork": 58, "execve": 59, "execveat": 322},
    "other processes": {"ptrace": 101, "process_vm_readv": 310, "process_vm_writev": 311, "kcmp": 312,
                        "process_madvise": 440, "process_mrelease": 448, "pidfd_open": 434, "pidfd_getfd": 438,
                        "pidfd_send_signal": 424},
    "sockets": {"socket": 41, "socketpair": 53},
    "SysV and POSIX IPC": {"shmget": 29, "shmat": 30, "shmctl": 31, "shmdt": 67, "semget": 64, "semop": 65,
                           "semctl": 66, "semtimedop": 220, "msgget": 68, "msgsnd": 69, "msgrcv": 70, "msgctl": 71,
                           "mq_open": 240, "mq_unlink": 241, "mq_timedsend": 242, "mq_timedreceive": 243,
                           "mq_notify": 244, "mq_getsetattr": 245},
    "namespaces, mounts and roots": {"unshare": 272, "setns": 308, "mount": 165, "umount2": 166, "pivot_root": 155,
                                     "chroot": 161, "open_tree": 428, "move_mount": 429, "fsopen": 430,
                                     "fsconfig": 431, "fsmount": 432, "fspick": 433, "mount_setattr": 442},
    "files by handle, device nodes": {"name_to_handle_at": 303, "open_by_handle_at": 304, "mknod": 133,
                                      "mknodat": 259},
    "kernel interfaces": {"io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427, "bpf": 321,
                          "userfaultfd": 323, "perf_event_open": 298, "keyctl": 250, "add_key": 248,
                          "request_key": 249, "fanotify_init": 300, "modify_ldt": 154, "memfd_secret": 447},
    "the machine (needs a capability)": {"reboot": 169, "kexec_load": 246, "kexec_file_load": 320,
                                         "init_module": 175, "finit_module": 313, "delete_module": 176,
                                         "swapon": 167, "swapoff": 168, "acct": 163, "syslog": 103,
                                         "sethostname": 170, "setdomainname": 171, "iopl": 172, "ioperm": 173,
                                         "quotactl": 179, "vhangup": 153},
}
DENIED = {name: nr for group in DENIED_GROUPS.values() for name, nr in group.items()}
# x86_64 system calls allowed only with argument ARG in VALUES (name: (nr, arg, values)).
ONLY_VALUES = {
    "personality": (135, 0, (0, 0xFFFFFFFF)),  # PER_LINUX, or asking which one is in force
}
# x86_64 system calls allowed only when argument ARG names the worker itself (0 or its pid).
SELF_ONLY = {
    "kill": (62, 0, False), "tkill": (200, 0, False), "tgkill": (234, 0, False),
    "rt_sigqueueinfo": (129, 0, False), "rt_tgsigqueueinfo": (297, 0, False),
    "prlimit64": (302, 0, True), "getpgid": (121, 0, True), "getsid": (124, 0, True), "setpgid": (109, 0, True),
    "sched_setaffinity": (203, 0, True), "sched_getaffinity": (204, 0, True),
    "sched_setparam": (142, 0, True), "sched_getparam": (143, 0, True),
    "sched_setscheduler": (144, 0, True), "sched_getscheduler": (145, 0, True),
    "sched_rr_get_interval": (148, 0, True), "sched_setattr": (314, 0, True), "sched_getattr": (315, 0, True),
    "get_robust_list": (274, 0, True), "migrate_pages": (256, 0, True), "move_pages": (279, 0, True),
}
# (which, who) calls: allowed only for the process itself (a user's or group's processes are others).
WHICH_WHO = {"getpriority": (140, _PRIO_PROCESS), "setpriority": (141, _PRIO_PROCESS),
             "ioprio_get": (252, _IOPRIO_WHO_PROCESS), "ioprio_set": (251, _IOPRIO_WHO_PROCESS)}
# A file's owner is who the kernel later sends its SIGIO (or the signal F_SETSIG chose, SIGKILL
# and SIGSTOP included) and SIGURG to, on the worker's behalf, past the signal rules above: where
# there is no PID namespace (an unprivileged grader) and no Landlock signal scoping (before Linux
# 6.12), a pipe the worker writes to would stop or kill the grader or a classmate's worker.
# name: (nr, command argument, {command: argument that must name the worker itself}, refused
# commands: their pid is in memory the filter cannot read).
FILE_OWNER = {
    "fcntl": (72, 1, {8: 2}, (15,)),             # F_SETOWN (pid or -group); F_SETOWN_EX
    "ioctl": (16, 1, {}, (0x8901, 0x8902)),      # FIOSETOWN, SIOCSPGRP (a socket's owner)
}

# BPF opcodes.
_LD_W_ABS, _JEQ_K, _JSET_K, _RET_K, _JA = 0x20, 0x15, 0x45, 0x06, 0x05
_ALLOW, _ERRNO, _KILL_PROCESS = 0x7FFF0000, 0x00050000, 0x80000000
_PR_SET_NO_NEW_PRIVS, _PR_SET_SECCOMP, _SECCOMP_MODE_FILTER = 38, 22, 2
_SECCOMP_GET_ACTION_AVAIL = 2


def _insn(code, jt, jf, k):
    return struct.pack("=HBBI", code, jt, jf, k & 0xFFFFFFFF)


def _arg(index: int) -> bytes:
    """Load the low 32 bits of argument ``index`` (pids and which-values are ints)."""
    return _insn(_LD_W_ABS, 0, 0, 16 + 8 * index)


def _ret(action: int) -> bytes:
    return _insn(_RET_K, 0, 0, action)


def _self_only(nr: int, arg: int, zero_is_self: bool, own_pid: int) -> list[bytes]:
    """nr with argument ``arg`` in {own_pid} (or {0, own_pid}): allow; other values: EPERM."""
    eperm = _ERRNO | errno.EPERM
    return [_insn(_JEQ_K, 0, 5, nr), _arg(arg),
            _insn(_JEQ_K, 2, 0, own_pid), _insn(_JEQ_K, 1 if zero_is_self else 0, 0, 0 if zero_is_self else own_pid),
            _ret(eperm), _ret(_ALLOW), _insn(_LD_W_ABS, 0, 0, 0)]


def _only_values(nr: int, arg: int, values: tuple) -> list[bytes]:
    """nr with argument ``arg`` in ``values``: allow; other values: EPERM."""
    eperm = _ERRNO | errno.EPERM
    checks = [_insn(_JEQ_K, len(values) - i, 0, value) for i, value in enumerate(values)]
    return ([_insn(_JEQ_K, 0, len(checks) + 3, nr), _arg(arg)] + checks
            + [_ret(eperm), _ret(_ALLOW), _insn(_LD_W_ABS, 0, 0, 0)])


def _which_who(nr: int, which: int, own_pid: int) -> list[bytes]:
    """nr(which, who): allowed for (which, 0) and (which, own_pid) only."""
    eperm = _ERRNO | errno.EPERM
    return [_insn(_JEQ_K, 0, 7, nr), _arg(0), _insn(_JEQ_K, 0, 3, which), _arg(1),
            _insn(_JEQ_K, 2, 0, own_pid), _insn(_JEQ_K, 1, 0, 0), _ret(eperm), _ret(_ALLOW),
            _insn(_LD_W_ABS, 0, 0, 0)]


def _file_owner(nr: int, arg: int, self_only: dict, refused: tuple, own_pid: int) -> list[bytes]:
    """nr(.., command at ``arg``, ..): ``refused`` commands EPERM; a ``self_only`` command only
    when its pid argument is 0 or ``own_pid``; any other command allowed."""
    blocks = list(self_only.items())
    tests = 2 + len(refused) + len(blocks)        # after the call's test and the command's load
    first_block = tests + 1                         # after a jump for commands not listed
    eperm = first_block + 4 * len(blocks)
    allow, reload = eperm + 1, eperm + 2

    def jump(at: int, target: int) -> int:
        return target - at - 1

    prog = [_insn(_JEQ_K, 0, jump(0, reload), nr), _arg(arg)]
    for command in refused:
        prog.append(_insn(_JEQ_K, jump(len(prog), eperm), 0, command))
    for k, (command, _) in enumerate(blocks):
        prog.append(_insn(_JEQ_K, jump(len(prog), first_block + 4 * k), 0, command))
    prog.append(_insn(_JA, 0, 0, jump(len(prog), reload)))
    for _, pid_arg in blocks:
        at = len(prog)
        prog += [_arg(pid_arg), _insn(_JEQ_K, jump(at + 1, allow), 0, own_pid & 0xFFFFFFFF),
                 _insn(_JEQ_K, jump(at + 2, allow), 0, 0), _insn(_JA, 0, 0, jump(at + 3, eperm))]
    prog += [_ret(_ERRNO | errno.EPERM), _ret(_ALLOW), _insn(_LD_W_ABS, 0, 0, 0)]
    assert len(prog) == reload + 1
    return prog


@functools.lru_cache(maxsize=4)  # built once in the zygote for PID 1, inherited by every worker
def _program(own_pid: int) -> bytes:
    """The filter: foreign ABIs killed, the tables above applied, everything else allowed."""
    eperm = _ERRNO | errno.EPERM
    prog = [
        _insn(_LD_W_ABS, 0, 0, 4),                      # seccomp_data.arch
        _insn(_JEQ_K, 1, 0, _AUDIT_ARCH_X86_64),
        _ret(_KILL_PROCESS),                            # a foreign ABI (int 0x80) is never legitimate
        _insn(_LD_W_ABS, 0, 0, 0),                      # seccomp_data.nr
        # x32 numbers (bit 30) would bypass the checks below by number: never legitimate here.
        _insn(_JSET_K, 0, 1, _X32_SYSCALL_BIT),
        _ret(_KILL_PROCESS),
    ]
    for nr in sorted(DENIED.values()):
        prog += [_insn(_JEQ_K, 0, 1, nr), _ret(eperm)]
    # clone3 hides its flags in memory the filter cannot read: ENOSYS makes glibc fall back to clone.
    prog += [_insn(_JEQ_K, 0, 1, _CLONE3), _ret(_ERRNO | errno.ENOSYS)]
    # clone: only threads (CLONE_THREAD in the low word of the first argument).
    prog += [_insn(_JEQ_K, 0, 4, _CLONE), _arg(0), _insn(_JSET_K, 1, 0, _CLONE_THREAD), _ret(eperm), _ret(_ALLOW)]
    # Signals: kill(0, sig) would reach the whole process group, so only the own pid counts there.
    for name, (nr, arg, zero_ok) in SELF_ONLY.items():  # noqa: B007 - the key names the table's row
        prog += _self_only(nr, arg, zero_ok, own_pid)
    for nr, which in WHICH_WHO.values():
        prog += _which_who(nr, which, own_pid)
    for nr, arg, values in ONLY_VALUES.values():
        prog += _only_values(nr, arg, values)
    for nr, arg, self_only, refused in FILE_OWNER.values():
        prog += _file_owner(nr, arg, self_only, refused, own_pid)
    prog.append(_ret(_ALLOW))
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
