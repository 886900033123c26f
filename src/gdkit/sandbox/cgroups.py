"""A control group per worker: a task limit and a memory ceiling that only the kernel can lift.

A worker's resource limits are its own, but two things escape them: the count of tasks
(RLIMIT_NPROC counts a whole user's, shared by every worker of that user) and memory outside
its address space (RLIMIT_AS counts neither tmpfs pages nor kernel memory). Where this process
may make child groups (root, or a delegated subtree), the zygote puts each worker into a group
of its own with ``pids.max`` (threads and processes together) and a memory ceiling, and
removes the group after the worker.

Both cgroup versions: v2 (one hierarchy; our group's ``cgroup.subtree_control`` must already
hand the controllers down, which the kit never changes) and v1 (a hierarchy per controller,
as in many containers). :func:`find` says which controllers work here by making, limiting and
removing a probe group (detected, not assumed); :class:`Groups` makes one zygote's groups,
named after the zygote (pid and start time) so that :func:`sweep` can remove those of a zygote
that died. Untrusted code never runs here: a worker joins its groups (:func:`join`) before it
gives up root or a capability.
"""
from __future__ import annotations

import os
import re
import signal
import time
from dataclasses import dataclass

# controller -> (limit file in v2, limit file in v1, "no limit" in v2, in v1)
LIMIT_FILES = {"pids": ("pids.max", "pids.max", "max", "max"),
               "memory": ("memory.max", "memory.limit_in_bytes", "max", "-1")}
PREFIX = "gdkit-"
_NAME = re.compile(r"^gdkit-(\d+)-(\d+)-\d+$")  # a zygote's pid and start time, a count
_PROBE = re.compile(r"^gdkit-probe-(\d+)$")


@dataclass(frozen=True)
class Controller:
    """One controller this process can use: its hierarchy's folder for our own group."""

    name: str      # pids, memory
    base: str      # the folder of this process's own group, where worker groups are made
    version: int   # 1 or 2

    @property
    def limit_file(self) -> str:
        return LIMIT_FILES[self.name][0 if self.version == 2 else 1]

    @property
    def unlimited(self) -> str:
        return LIMIT_FILES[self.name][2 if self.version == 2 else 3]


def _unescape(field: str) -> str:
    """mountinfo escapes spaces, tabs, newlines and backslashes as octal."""
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


def _mounts() -> list[tuple[str, str, str, list[str]]]:
    """(root within the hierarchy, mount point, file system type, super options) of each mount."""
    out = []
    try:
        with open("/proc/self/mountinfo") as info:
            for line in info:
                left, _, right = line.partition(" - ")
                fields, tail = left.split(), right.split()
                if len(fields) >= 5 and len(tail) >= 3:
                    out.append((_unescape(fields[3]), _unescape(fields[4]), tail[0], tail[2].split(",")))
    except OSError:
        pass
    return out


def _own_groups() -> dict[str, str]:
    """{controller (or "" for v2): this process's group path} from /proc/self/cgroup."""
    out = {}
    try:
        with open("/proc/self/cgroup") as groups:
            for line in groups:
                number, controllers, path = line.rstrip("\n").split(":", 2)
                if number == "0" and not controllers:
                    out[""] = path
                for name in controllers.split(","):
                    if name:
                        out[name] = path
    except (OSError, ValueError):
        pass
    return out


def _folder(mount_point: str, mount_root: str, path: str) -> str | None:
    """Where group ``path`` is under a mount of the hierarchy's ``mount_root``; None if not below it."""
    if mount_root != "/" and not (path == mount_root or path.startswith(mount_root.rstrip("/") + "/")):
        return None
    rest = path[len(mount_root.rstrip("/")):] if mount_root != "/" else path
    return os.path.normpath(mount_point + "/" + rest.lstrip("/"))


def locate() -> dict[str, Controller]:
    """The pids and memory controllers of this process's groups, wherever they are mounted (not yet
    checked to be usable: see :func:`find`)."""
    own = _own_groups()
    found: dict[str, Controller] = {}
    for root, mount_point, fstype, options in _mounts():
        if fstype == "cgroup":
            for name in LIMIT_FILES:
                if name in options and name in own and name not in found:
                    folder = _folder(mount_point, root, own[name])
                    if folder:
                        found[name] = Controller(name, folder, 1)
        elif fstype == "cgroup2" and "" in own:
            folder = _folder(mount_point, root, own[""])
            if not folder:
                continue
            try:
                with open(os.path.join(folder, "cgroup.subtree_control")) as handed_down:
                    enabled = handed_down.read().split()
            except OSError:
                continue
            for name in LIMIT_FILES:
                if name in enabled and name not in found:  # a v1 mount of it would come first
                    found[name] = Controller(name, folder, 2)
    return found


def _write(path: str, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def find() -> dict[str, Controller]:
    """The controllers this process can give a worker group of its own (probed: a group is made,
    limited and removed)."""
    usable = {}
    for name, controller in locate().items():
        probe = os.path.join(controller.base, f"{PREFIX}probe-{os.getpid()}")
        try:
            os.mkdir(probe)
        except OSError:
            continue
        try:
            _write(os.path.join(probe, controller.limit_file), controller.unlimited)
            usable[name] = controller
        except OSError:
            pass
        finally:
            _remove(probe)
    return usable


def join(folders: list[str]) -> None:
    """Move the calling process into ``folders`` (one per hierarchy); OSError when it cannot."""
    for folder in folders:
        _write(os.path.join(folder, "cgroup.procs"), "0")  # 0: the writer itself


def _start_time(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return ""


def _members(folder: str) -> list[int]:
    try:
        with open(os.path.join(folder, "cgroup.procs")) as procs:
            return [int(p) for p in procs.read().split()]
    except (OSError, ValueError):
        return []


def _remove(folder: str, attempts: int = 20) -> bool:
    """Kill what is left in ``folder`` and remove it; False when it stays (still busy)."""
    for attempt in range(attempts):
        try:
            os.rmdir(folder)
            return True
        except FileNotFoundError:
            return True
        except OSError:
            pass
        for pid in _members(folder):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.001 * (attempt + 1))
    return False


class Groups:
    """One zygote's worker groups: made before a fork, joined by the child, removed after it."""

    def __init__(self, controllers: dict[str, Controller]):
        self.controllers = dict(controllers)
        self.tag = f"{PREFIX}{os.getpid()}-{_start_time(os.getpid())}"
        self._count = 0
        self.left: list[str] = []  # groups still busy at removal, retried later

    def make(self) -> list[str]:
        """Folders of a new group (one per hierarchy), without limits yet (see :meth:`limit`);
        OSError when one cannot be made (no worker may then start)."""
        self._count += 1
        made: list[str] = []
        try:
            for base in sorted({c.base for c in self.controllers.values()}):
                folder = os.path.join(base, f"{self.tag}-{self._count}")
                os.mkdir(folder)
                made.append(folder)
        except OSError as exc:
            self.remove(made)
            raise OSError(0, f"a worker's control group could not be made ({exc})") from None
        return made

    def limit(self, folders: list[str], limits: dict[str, int]) -> None:
        """Set ``limits`` ({controller: value}) on a group made by :meth:`make`; OSError if one
        does not take."""
        for controller in self.controllers.values():
            folder = next(f for f in folders if os.path.dirname(f) == controller.base.rstrip("/"))
            try:
                _write(os.path.join(folder, controller.limit_file), str(int(limits[controller.name])))
            except (OSError, KeyError, ValueError) as exc:
                raise OSError(0, f"a worker's {controller.name} limit could not be set ({exc})") from None

    def remove(self, folders: list[str]) -> None:
        """Remove a worker's groups (killing anything left in them); busy ones are retried later."""
        retry, self.left = self.left, []
        for folder in folders:
            if not _remove(folder):
                self.left.append(folder)
        for folder in retry:
            if not _remove(folder, attempts=1):
                self.left.append(folder)

    def close(self) -> None:
        for folder in list(self.left):
            self.left.remove(folder)
            _remove(folder)


def sweep(controllers: dict[str, Controller]) -> None:
    """Remove the worker groups of zygotes that died (killed before they could remove them)."""
    for base in sorted({c.base for c in controllers.values()}):
        try:
            names = [e.name for e in os.scandir(base) if e.name.startswith(PREFIX) and e.is_dir()]
        except OSError:
            continue
        for name in names:
            match = _NAME.match(name)
            probe = _PROBE.match(name)
            if (match and _start_time(int(match.group(1))) != match.group(2)) or \
                    (probe and not os.path.exists(f"/proc/{probe.group(1)}")):
                _remove(os.path.join(base, name), attempts=3)
