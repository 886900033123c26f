"""The sandbox: the wire protocol refuses hostile data, workers are caged, limits hold.

Kernel-level checks run with the audit hook off (``kernel_zygote``): what they show holds even
when student code has switched the hook off from inside its process.
"""
import dataclasses
import os
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading

import numpy as np
import pytest

from conftest import need, need_root
from hostile import corpus
from gdkit.grading.student import Student, sandbox_policy, start_zygote
from gdkit.sandbox import landlock, namespaces, protections, protocol
from gdkit.sandbox.client import (MissingFunction, SandboxFailed, StudentRaised, Worker, WorkerDied, Zygote, _read_head,
                                  describe_exit)
from gdkit.sandbox.limits import Limits

KIT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def zygote():
    z = start_zygote()
    yield z
    z.close()


def limits(**kw):
    kw.setdefault("timeout", 2.0)
    return Limits(**kw)


def make(zygote, source, **kw):
    student = Student(zygote, [(0, "import numpy as np\n" + source)], limits=limits(**kw))
    student.start()
    return student


# ------------------------------------------------------------------ protocol

@pytest.mark.parametrize("value", [
    None, True, 3, -2.5, float("nan"), float("inf"), "text", [1, 2.0], (1, (2, 3)),
    {0.1: 0.5, 10: float("nan")}, np.arange(6.0).reshape(2, 3), np.array([True, False]),
    np.zeros((0, 4)), np.float64(0.25), np.int64(7),
])
def test_protocol_round_trip(value):
    back = protocol.decode(protocol.encode(value))
    if isinstance(value, np.ndarray):
        assert back.dtype == value.dtype and back.shape == value.shape and np.array_equal(back, value)
    elif isinstance(value, float) and np.isnan(value):
        assert np.isnan(back)
    elif isinstance(value, dict):
        assert list(back) == list(value)
    else:
        assert back == value and type(back) in (type(value), float, int, bool)


@pytest.mark.parametrize("data", [
    {"__nd__": ["object", [1], ""]},                # object arrays could smuggle code
    {"__nd__": ["float64", [3], "AAAA"]},          # size does not match shape
    {"__pickle__": "gASV"},                          # no such tag
    {"a": 1, "b": 2},                                # plain objects are not part of the format
    {"__nd__": [["x"], [1], ""]},                    # a list where the dtype name goes
    {"__nd__": ["float64", [1], 12345]},             # base64 that is not a string
    {"__nd__": ["float64", [1], "!!!!"]},            # not base64 at all
    {"__nd__": ["float64", [10 ** 30], ""]},          # a shape too large to be real
    {"__dict__": [[{"__nd__": ["float64", [0], ""]}, 1]]},  # an array as a dict key
    {"__dict__": [[{"__tuple__": [[1]]}, 1]]},       # a tuple holding a list as a key
])
def test_protocol_rejects_hostile_data(data):
    with pytest.raises(protocol.ProtocolError):
        protocol.decode(data)


def test_protocol_refuses_oversized_message():
    a, b = socket.socketpair()
    a.sendall((10 ** 9).to_bytes(4, "big"))
    with pytest.raises(protocol.ProtocolError):
        protocol.recv(b, timeout=1, max_size=1000)


def test_protocol_refuses_unencodable_values():
    with pytest.raises(TypeError):
        protocol.encode(object())
    with pytest.raises(TypeError):
        protocol.encode(np.array([object()], dtype=object))


# ------------------------------------------------------------------ worker behaviour

def test_calls_return_values_and_arguments(zygote):
    s = make(zygote, "def f(a, b):\n    a *= 2\n    return a.sum(), (b, 'x')\n")
    value, args = s.call("f", np.ones(3), 4, return_args=True)
    assert value == (6.0, (4, "x"))
    assert np.array_equal(args[0], 2 * np.ones(3))
    s.close()


def test_student_exception_and_missing_function(zygote):
    s = make(zygote, "def f(x):\n    raise ValueError('bad shape')\n")
    with pytest.raises(StudentRaised) as info:
        s.call("f", 1)
    assert info.value.exc_type == "ValueError" and "bad shape" in info.value.message
    with pytest.raises(MissingFunction):
        s.call("g")
    assert s.call_many("f", [(1,), (2,)])[0].exc_type == "ValueError"
    s.close()


def test_hang_is_killed_and_next_call_gets_a_fresh_worker(zygote):
    s = make(zygote, "import signal\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
                     "def hang():\n    while True:\n        try:\n            pass\n        except BaseException:\n            pass\n"
                     "def ok():\n    return 1\n", timeout=1.0)
    with pytest.raises(WorkerDied) as info:
        s.call("hang")
    # The call came back (a hang would block this test forever) and says why.
    assert info.value.reason == "timeout"
    assert s.call("ok") == 1 and s.restarts == 1
    s.close()


def test_exit_is_a_crash_not_a_result(zygote):
    s = make(zygote, "import os\ndef die():\n    print('{\"score\": 100}')\n    os._exit(0)\n")
    with pytest.raises(WorkerDied) as info:
        s.call("die")
    assert info.value.reason == "crashed"
    s.close()


@pytest.mark.slow
def test_a_slow_cell_is_skipped_and_the_rest_loads(zygote):
    """A cell past the time limit is skipped with a notice, even one that swallows every exception."""
    stubborn = "import time\nwhile True:\n    try:\n        time.sleep(100)\n    except BaseException:\n        pass\n"
    s = Student(zygote, [(0, "def f():\n    return 1\n"), (3, stubborn), (5, "def g():\n    return 2\n")],
                limits=limits(timeout=1.0))
    s.prefetch([("g", (), False)])  # the public twin loads first and meets the slow cell
    assert 3 in s.skipped  # so the main worker does not wait on it again
    s.start()
    assert [c["cell"] for c in s.load_report] == [0, 3, 5]
    skipped = s.load_report[1]
    assert skipped["error"] == "Skipped" and "ran past the 1 s limit" in skipped["message"]
    assert s.call("f") == 1 and s.call("g") == 2 and s.failures == []
    s.close()
    assert s.public_outcome("g", ()).value == 2


@pytest.mark.slow  # waits out a 1 s cell limit
def test_a_slow_cell_keeps_its_definitions_and_says_why_the_rest_is_missing(zygote):
    # Its cell defines h, then runs too long: like nbgrader's interrupted cell, h stays defined
    # (its def statements run again without the rest); k, bound by an assignment of that cell, is
    # missing, and the reason is not a wrong name (feedback must not tell the student to rename it).
    slow = "import time\n\ndef h():\n    return 3\n\nk = lambda: 4\ntime.sleep(100)\n"
    s = Student(zygote, [(0, "def f():\n    return 1\n"), (2, slow)], limits=limits(timeout=1.0))
    s.start()
    assert s.call("h") == 3 and s.call("f") == 1
    notice = s.load_report[1]
    assert notice["error"] == "Skipped" and "skipped but for its def, class and import statements" in notice["message"]
    with pytest.raises(MissingFunction) as info:
        s.call("k")
    assert info.value.in_skipped_cell
    with pytest.raises(MissingFunction) as info:
        s.call("nowhere")
    assert not info.value.in_skipped_cell
    s.close()


@pytest.mark.slow  # waits out a 1 s cell limit twice
def test_a_cell_whose_definitions_are_slow_too_is_skipped_whole(zygote):
    slow = ("import time\n\ndef pause(f):\n    time.sleep(100)\n    return f\n\n"
            "@pause\ndef h():\n    return 3\n\nx = 1\n")
    s = Student(zygote, [(0, "def f():\n    return 1\n"), (2, slow)], limits=limits(timeout=1.0))
    s.start()
    assert s.call("f") == 1 and 2 not in s.trimmed
    assert "and was skipped; the rest" in s.load_report[1]["message"]
    with pytest.raises(MissingFunction) as info:
        s.call("h")
    assert info.value.in_skipped_cell
    s.close()


def test_definitions_only_keeps_defs_classes_and_imports_on_their_lines():
    from gdkit.sandbox.client import definitions_only
    source = "import numpy as np\n@dec(1)\ndef f(x):\n    return x\nfor a in range(9):\n    f(a)\nclass C:\n    pass\n"
    assert definitions_only(source) == "import numpy as np\n@dec(1)\ndef f(x):\n    return x\n\n\nclass C:\n    pass\n"
    assert definitions_only("import os; os.system('x')\n") is None       # one line holds both
    assert definitions_only("def f():\n    return 1\n") is None          # nothing to drop
    assert definitions_only("while True:\n    pass\n") is None           # nothing to keep
    assert definitions_only("def f(:\n") is None                          # does not parse


@pytest.mark.slow
def test_a_hanging_function_still_times_out(zygote):
    s = make(zygote, "import time\ndef f():\n    time.sleep(100)\n", timeout=1.0)
    with pytest.raises(WorkerDied) as info:
        s.call("f")
    assert info.value.reason == "timeout"
    s.close()


def test_cell_errors_do_not_stop_later_cells(zygote):
    s = Student(zygote, [(0, "def a(:\n"), (1, "raise SystemExit(3)"), (2, "def b():\n    return 2\n")],
                limits=limits())
    s.start()
    assert [c["ok"] for c in s.load_report] == [False, False, True]
    assert s.load_report[0]["error"] == "SyntaxError" and s.call("b") == 2
    s.close()


def test_patching_numpy_stays_in_the_worker(zygote):
    s = make(zygote, "np.allclose = lambda *a, **k: True\nnp.testing.assert_allclose = lambda *a, **k: None\n"
                     "def f():\n    return np.allclose(1, 2)\n")
    assert s.call("f") is True
    assert not np.allclose(1, 2)  # the grader's numpy is untouched
    s.close()


@pytest.mark.parametrize("source, needle", [
    ("def f():\n    return open(%r).read()\n" % os.path.join(KIT, "src", "gdkit", "network.py"), "not allowed"),
    ("def f():\n    import gdkit.network\n", "cannot be imported"),
    # (a kit checked out below /tmp is not there at all: /tmp is the worker's own tmpfs)
    ("def f():\n    return os.listdir(%r)\n" % KIT, ("not allowed", "No such file or directory")),
    ("def f():\n    open('/var/tmp/gdkit-vandal.txt', 'w').write('x')\n", "not allowed"),
    ("def f():\n    return os.fork()\n", "not allowed"),
    ("def f():\n    import subprocess\n    subprocess.Popen(['sleep', '100'])\n", "not allowed"),
    ("def f():\n    os.kill(os.getppid(), 9)\n", "not allowed"),
    ("def f():\n    import ctypes\n    ctypes.CDLL(None).getpid()\n", "not allowed"),
    ("def f():\n    import socket\n    socket.socket()\n", "not allowed"),
    ("def f():\n    import resource\n    resource.setrlimit(resource.RLIMIT_CPU, (10**6, 10**6))\n", "not allowed"),
    ("def f():\n    import sqlite3\n    sqlite3.connect('/var/tmp/gdkit-vandal.txt')\n", "not allowed"),
    ("def f():\n    os.mkfifo('output.log.fifo')\n", "not permitted"),
    ("def f():\n    import stat\n    os.mknod('null', stat.S_IFCHR | 0o666, os.makedev(1, 3))\n", "not permitted"),
])
def test_cage_refuses(zygote, source, needle):
    s = make(zygote, "import os\n" + source)
    try:  # a failure here must not leave a worker to the next test of the shared zygote
        with pytest.raises(StudentRaised) as info:
            s.call("f")
    finally:
        s.close()
    assert any(n in info.value.message for n in ((needle,) if isinstance(needle, str) else needle)), info.value
    assert not os.path.exists("/var/tmp/gdkit-vandal.txt")


def test_o_trunc_is_a_write_even_read_only(zygote):
    """O_RDONLY|O_TRUNC empties a file: refused on a file the worker may read (the Python prefix)."""
    victim = tempfile.NamedTemporaryFile("w", dir=sys.prefix, prefix="gdkit-test-", suffix=".txt", delete=False)
    try:
        victim.write("intact")
        victim.close()
        os.chmod(victim.name, 0o644)  # readable by the workers' unprivileged user
        s = make(zygote, "import os\ndef f():\n    return open(%r).read()\n"
                         "def g():\n    os.open(%r, os.O_RDONLY | os.O_TRUNC)\n" % (victim.name, victim.name))
        assert s.call("f") == "intact"  # readable, so only the write check can refuse
        with pytest.raises(StudentRaised) as info:
            s.call("g")
        s.close()
        assert "not allowed" in info.value.message
        assert open(victim.name).read() == "intact"
    finally:
        os.unlink(victim.name)


# C code opens files without the audit hook's "open" event: only Landlock stops these.
_UNAUDITED = {
    "readline_write": "import readline\n    readline.add_history('# pwned')\n    readline.write_history_file({target!r})\n",
    "readline_read": "import readline\n    readline.read_history_file({secret!r})\n"
                     "    return readline.get_history_item(1)\n",
    "sqlite_attach": "import sqlite3\n    db = sqlite3.connect(':memory:')\n"
                     "    db.execute('ATTACH DATABASE ? AS x', ({target!r},))\n    db.execute('CREATE TABLE x.t (a)')\n"
                     "    db.commit()\n",
}


@pytest.mark.parametrize("attack", sorted(_UNAUDITED))
def test_landlock_confines_c_level_file_access(zygote, tmp_path, attack):
    """With Landlock the kernel refuses; without it (old kernel) the run is warned about instead."""
    found = zygote.protections
    assert found["landlock"] == landlock.abi()  # the zygote reports what the kernel offers
    secret = tmp_path / "hidden.txt"
    secret.write_text("the hidden answer\n")
    target = tmp_path / "record.json"
    s = make(zygote, "def f():\n    " + _UNAUDITED[attack].format(target=str(target), secret=str(secret)))
    try:
        outcome = s.call("f")
    except StudentRaised as exc:
        outcome = exc
    s.close()
    if found["landlock"]:
        assert isinstance(outcome, StudentRaised), outcome
        assert not target.exists() and secret.read_text() == "the hidden answer\n"
    else:  # the documented fallback: the attack is not stopped, but every run says so
        assert "Landlock" in protections.warning(found)


@pytest.mark.slow
def test_worker_memory_holds_no_grader_path(tmp_path, monkeypatch):
    """Where the grader works (its folder, its environment) never reaches the worker's memory."""
    secret_dir = tmp_path / "outdir-xyzzy"
    secret_dir.mkdir()
    monkeypatch.chdir(secret_dir)
    monkeypatch.setenv("GDKIT_OUT", str(secret_dir))
    needle = str(secret_dir)[::-1]  # reversed in the source, so the cell itself does not match
    zygote = start_zygote()
    s = make(zygote, "import gc\n"
                     "def f():\n"
                     f"    needle = {needle!r}[::-1]\n"
                     "    hits = set()\n"
                     "    for obj in gc.get_objects():\n"
                     "        for ref in gc.get_referents(obj):\n"
                     "            if isinstance(ref, str) and needle in ref and ref is not needle:\n"
                     "                hits.add(ref[:200])\n"
                     "    return sorted(hits)\n")
    hits = s.call("f")
    s.close()
    zygote.close()
    assert hits == []


def test_grader_reads_output_log_without_blocking(tmp_path):
    """A FIFO (or a link) in place of output.log must not hang or mislead the trusted grader."""
    fifo = tmp_path / "output.log"
    os.mkfifo(fifo)
    result = []
    reader = threading.Thread(target=lambda: result.append(_read_head(str(fifo))), daemon=True)
    reader.start()
    reader.join(timeout=5)
    assert not reader.is_alive(), "the grader blocked on a FIFO"
    assert result == [""]
    outside = tmp_path / "secret.txt"
    outside.write_text("hidden")
    os.symlink(outside, tmp_path / "link.log")
    assert _read_head(str(tmp_path / "link.log")) == ""
    (tmp_path / "plain.log").write_text("printed")
    assert _read_head(str(tmp_path / "plain.log")) == "printed"


def test_one_crashing_function_does_not_cost_the_others(zygote):
    s = make(zygote, "import os\n" + "".join(f"def die{i}():\n    os._exit({i})\n" for i in range(5))
             + "def ok():\n    return 1\n")
    for i in range(5):  # more crashing functions than the old budget of 3 restarts
        with pytest.raises(WorkerDied) as info:
            s.call(f"die{i}")
        assert info.value.reason == "crashed"
    restarts = s.restarts
    with pytest.raises(WorkerDied) as again:
        s.call("die1")  # remembered: fails at once, the same way, without another worker
    assert again.value.reason == "crashed" and "exit status 1" in again.value.detail
    assert s.restarts == restarts
    assert s.call("ok") == 1  # a distinct function still gets a fresh worker
    s.close()


def test_hostile_reply_is_a_crash_not_a_grader_error(zygote):
    """A worker that rewrites the wire encoder sends malformed data: WorkerDied, never TypeError."""
    s = make(zygote, "import sys\n"
                     "sys.modules['gdkit.sandbox.protocol'].encode = lambda v, _d=0: {'__nd__': [['x'], [1], '']}\n"
                     "def f(*a):\n    return 1\n")
    with pytest.raises(WorkerDied) as info:
        s.call("f")
    assert info.value.reason == "crashed"
    s.close()
    s = make(zygote, "import sys\n"
                     "sys.modules['gdkit.sandbox.protocol'].encode = lambda v, _d=0: {'__nd__': ['float64', [1], '!']}\n"
                     "def f(*a):\n    return 1\n")
    with pytest.raises(WorkerDied) as info:
        s.call_many("f", [(1,), (2,)])
    assert info.value.reason == "crashed"
    s.close()


_FAIL_CLOSED = """
import os, sys
from gdkit.sandbox import landlock, seccomp, worker
worker.PROTECTIONS.update(seccomp={promised_seccomp}, landlock={promised_landlock}, namespaces=False)
seccomp.install = lambda pid: False
landlock.install = lambda rules, version=None: False
os.mkdir(os.path.join({workdir!r}, "private"))
try:
    worker._enter_cage({{"workdir": {workdir!r}, "limits": {limits!r}}})
except worker.CageFailed as exc:
    os.write(2, str(exc).encode())
    os._exit(121)
os._exit(0)  # reached only when the child would go on to run student code
"""
_LIMITS = {"cpu": 10, "memory_bytes": 256 << 20, "output_bytes": 1 << 20, "files": 64, "disk_bytes": 1 << 20}


@pytest.mark.parametrize("which", ["seccomp", "landlock"])
@pytest.mark.parametrize("promised", [True, False])
def test_a_promised_protection_that_fails_stops_the_child(tmp_path, which, promised):
    """Fail closed: the zygote said it works, installing it failed, so no student code runs.
    Not promised (the kernel lacks it): the child goes on behind the audit hook (and the run warns)."""
    script = _FAIL_CLOSED.format(promised_seccomp=promised and which == "seccomp",
                                 promised_landlock=7 if promised and which == "landlock" else 0,
                                 workdir=str(tmp_path), limits=_LIMITS)
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(script)], timeout=60)
    assert done.returncode == (protections.CAGE_FAILED if promised else 0)
    if promised:
        assert f"{'Landlock' if which == 'landlock' else 'seccomp'} could not be installed" in \
            (tmp_path / "output.log").read_text()


def test_a_worker_that_cannot_set_its_limits_is_a_grader_error(zygote):
    """No limit may be silently skipped; failing before any student code is the sandbox's fault."""
    s = Student(zygote, [(0, "def f():\n    return 1\n")], limits=limits(files=1 << 30))  # above the kernel's cap
    with pytest.raises(SandboxFailed) as info:
        s.start()
    s.close()
    assert "before running any code" in info.value.detail and "limit" in info.value.detail


def test_exit_statuses_are_described():
    kill = {"status": 9, "killed": True, "cpu_seconds": 0.1}
    assert describe_exit(kill, 10) == ("crashed", "the process was killed by SIGKILL")
    # SIGKILL the zygote did not send, with the CPU used up: the kernel's hard CPU limit
    assert describe_exit({"status": 9, "killed": False, "cpu_seconds": 10.0}, 10)[0] == "cpu-time"
    assert describe_exit({"status": int(signal.SIGXCPU), "killed": False}, 10)[0] == "cpu-time"
    assert "exit status 121" in describe_exit({"status": 121 << 8}, 10)[1]


def test_missing_protections_give_one_warning_line(monkeypatch, capsys):
    monkeypatch.setattr(protections, "probe", lambda: {"seccomp": False, "landlock": 0})
    protections.warn()
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "seccomp" in err and "Landlock" in err
    monkeypatch.setattr(protections, "probe", lambda: {"seccomp": True, "landlock": 7})
    protections.warn()
    assert capsys.readouterr().err == ""


def test_zygote_reports_what_the_kernel_offers(zygote):
    found = protections.probe()
    assert {k: zygote.protections[k] for k in found} == found
    assert zygote.protections["usable"]


def test_private_directory_is_writable_and_removed(zygote):
    s = make(zygote, "import os\ndef f():\n    open('scratch.txt', 'w').write('x')\n"
                     "    return os.getcwd(), open('scratch.txt').read()\n")
    cwd, text = s.call("f")
    host = os.path.join(s._workdir, "private")  # where the grader made it
    assert text == "x"
    # In the minimal root the private tmpfs is the worker's /tmp; else it is mounted on (or is) the host's folder.
    assert cwd == ("/tmp" if zygote.protections["root"] else host)
    if zygote.protections["namespaces"]:  # a tmpfs in the worker's own mount namespace
        assert not os.path.exists(os.path.join(host, "scratch.txt"))
    s.close()
    assert not os.path.exists(os.path.dirname(host))


def test_memory_is_bounded(zygote):
    s = make(zygote, "def f():\n    return len(bytearray(2 * 1024 ** 3))\n", memory_mb=256)
    with pytest.raises(StudentRaised) as info:
        s.call("f")
    assert info.value.exc_type == "MemoryError"
    s.close()


def test_output_flood_is_capped(zygote):
    s = make(zygote, "import sys\nfor _ in range(20000):\n"
                     "    try:\n        sys.stdout.write('x' * 10000)\n    except OSError:\n        break\n"
                     "def f():\n    return 1\n", output_kb=64)
    assert s.call("f") == 1
    s.close()
    assert len(s.output) <= 4096 and s.output.startswith("x")


def test_only_load_time_output_is_kept(zygote):
    """What a function prints while answering (hidden) inputs never reaches the record."""
    s = make(zygote, "print('loaded fine')\ndef f(x):\n    print('SECRET', x)\n    return x\n")
    assert s.call("f", 41) == 41
    s.close()
    assert "loaded fine" in s.output and "SECRET" not in s.output and "41" not in s.output
    dies = Student(zygote, [(0, "print('half way', flush=True)\nimport os\nos._exit(3)\n")], limits=limits())
    with pytest.raises(WorkerDied):
        dies.start()
    dies.close()
    assert "half way" in dies.output


def test_environment_is_scrubbed(zygote, monkeypatch):
    monkeypatch.setenv("GDKIT_SECRET_TOKEN", "s3cret")
    s = make(zygote, "import os\ndef f():\n    return sorted(os.environ)\n")
    assert "GDKIT_SECRET_TOKEN" not in s.call("f")
    s.close()


@pytest.mark.slow
def test_no_process_survives(zygote):
    s = make(zygote, "import time\ndef f():\n    time.sleep(30)\n", timeout=0.5)
    worker = s._pid
    with pytest.raises(WorkerDied):
        s.call("f")
    s.close()
    assert not os.path.exists(f"/proc/{worker}")
    # What the zygote has left is the one child it forks ahead (waiting, holding nothing).
    assert len(_children_of(zygote.process.pid)) <= 1


def _children_of(pid):
    out = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        out.add(int(entry))
            except OSError:
                pass
    return out


def test_substitute_swaps_a_helper_for_one_call_only(zygote):
    s = make(zygote, "def helper(x):\n    raise NotImplementedError\n"
                     "def outer(x):\n    return helper(x) + 1\n")
    fixed = {"helper": "def helper(x):\n    return 2 * x\n"}
    assert s.call("outer", 3, substitute=fixed) == 7
    with pytest.raises(StudentRaised):
        s.call("outer", 3)  # the student's own helper is back
    s.close()


_CARVE = """
import os, sys
from gdkit.sandbox import landlock
root, package = sys.argv[1], sys.argv[2]
ok = landlock.install(landlock.beneath_except(root, package, landlock.READ_EXEC))
def readable(path):
    try:
        os.close(os.open(path, os.O_RDONLY))
        return True
    except PermissionError:
        return False
print(ok, readable(os.path.join(root, "a", "b", "other", "f.py")), readable(os.path.join(package, "network.py")),
      sorted(os.listdir(root)) == ["a", "y"])  # listing stays possible: imports scan site-packages
"""


def test_landlock_carves_the_kit_out_of_the_python_installation(tmp_path):
    """A non-editable install puts gdkit inside site-packages: the rules must still leave it out."""
    package = tmp_path / "a" / "b" / "gdkit"
    for folder in (package, tmp_path / "a" / "b" / "other", tmp_path / "a" / "x", tmp_path / "y"):
        folder.mkdir(parents=True)
        (folder / ("network.py" if folder == package else "f.py")).write_text("x = 1\n")
    rx, ls = landlock.READ_EXEC, landlock.READ_DIR
    expected = {(str(tmp_path / "y"), rx), (str(tmp_path / "a" / "x"), rx), (str(tmp_path / "a" / "b" / "other"), rx),
                (str(tmp_path), ls)}
    rules = landlock.beneath_except(str(tmp_path), str(package), rx)
    assert set(rules) == expected
    assert landlock.beneath_except(str(tmp_path / "y"), str(package), rx) == [(str(tmp_path / "y"), rx)]
    done = subprocess.run([sys.executable, "-c", _CARVE, str(tmp_path), str(package)],
                          capture_output=True, text=True, timeout=60)
    if landlock.abi():
        assert done.stdout.split() == ["True", "True", "False", "True"], done.stderr
    else:  # no Landlock: install says so, and the audit hook's forbidden list is all that is left
        assert done.stdout.split()[0] == "False"


def test_student_exit_121_is_not_reported_as_a_sandbox_failure(zygote):
    s = Student(zygote, [(0, "import os\nos._exit(121)\n")], limits=limits())
    with pytest.raises(WorkerDied) as info:
        s.start()
    s.close()
    assert "sandbox" not in info.value.detail and "121" in info.value.detail


@pytest.mark.parametrize("home", ["/usr/lib", "/usr/local/lib"])
def test_no_landlock_rule_lets_the_worker_read_the_kit_in_a_system_directory(monkeypatch, tmp_path, home):
    """pip puts the kit in /usr/lib/python3/dist-packages or /usr/local/lib on Debian images:
    no granted tree may contain it, wherever it lies."""
    from gdkit.sandbox import worker

    inside = next((e.path for e in os.scandir(home) if e.is_dir()), None)
    assert inside is not None, f"{home} has no sub-folder to stand in for an installed kit"
    monkeypatch.setattr(worker, "_FORBIDDEN", [inside])
    for path, rights in worker._static_rules():
        if rights & landlock.READ_FILE:
            assert not (inside == path or inside.startswith(path.rstrip("/") + "/")), (path, inside)


def test_seccomp_kills_x32_system_calls():
    """x32 numbers (bit 30 set) would dodge the filter's by-number checks: the process dies."""
    script = ("import ctypes, os\nfrom gdkit.sandbox import seccomp\n"
              "assert seccomp.install(os.getpid())\n"
              "ctypes.CDLL(None).syscall(0x40000000 | 39)\n"  # x32 getpid
              "print('survived')\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert "survived" not in done.stdout and done.returncode == -31  # SIGSYS


# ------------------------------------------------------------------ the kernel, with the audit hook off

@pytest.fixture(scope="module")
def kernel_zygote():
    """Workers without the audit hook, as if student code had switched it off."""
    z = Zygote(dataclasses.replace(sandbox_policy(), audit_hook=False))
    found = z.protections
    if not (found["namespaces"] and found["seccomp"] and found["landlock"]):
        z.close()
        need(False, f"needs a kernel with namespaces, seccomp and Landlock (found {found})")
    yield z
    z.close()


_PROBES = """
import ctypes, errno, os, resource, socket
def attempt(action):
    try:
        action()
        return "done"
    except OSError as exc:
        return errno.errorcode.get(exc.errno, str(exc.errno))
def f(target):
    out = {}
    out["pid"] = os.getpid()
    out["ppid"] = os.getppid()
    out["uid"] = os.getuid()
    out["hook_off"] = attempt(lambda: ctypes.CDLL(None))
    out["udp"] = attempt(lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", ("127.0.0.1", 9)))
    out["unix"] = attempt(lambda: socket.socketpair())
    for name, call in [("prlimit", lambda p: resource.prlimit(p, resource.RLIMIT_NOFILE, (3, 3))),
                       ("setpriority", lambda p: os.setpriority(os.PRIO_PROCESS, p, 19)),
                       ("affinity", lambda p: os.sched_setaffinity(p, {0})),
                       ("getpgid", os.getpgid), ("getsid", os.getsid),
                       ("getaffinity", os.sched_getaffinity),
                       ("getpriority", lambda p: os.getpriority(os.PRIO_PROCESS, p))]:
        out[name] = attempt(lambda: call(target))
    out["prio_user"] = attempt(lambda: os.setpriority(os.PRIO_USER, 0, 19))
    out["self_limit"] = attempt(lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (32, 32)))
    out["proc"] = attempt(lambda: open("/proc/1/status").read())
    out["ls_proc"] = attempt(lambda: os.listdir("/proc"))
    out["other_tmp"] = attempt(lambda: open("/var/tmp/gdkit-kernel-probe.txt", "w"))
    libc = ctypes.CDLL(None, use_errno=True)
    out["unshare"] = "refused" if libc.unshare(0x10000000) != 0 else "done"
    return out
"""


def test_kernel_isolates_a_worker_without_the_audit_hook(kernel_zygote):
    """Namespaces, unprivileged user, seccomp and Landlock: each refusal below is the kernel's."""
    zygote_pid = kernel_zygote.process.pid
    s = Student(kernel_zygote, [(0, _PROBES)], limits=limits())
    s.start()
    out = s.call("f", zygote_pid)
    s.close()
    assert out["hook_off"] == "done"  # ctypes loads: nothing Python-level is in the way
    if kernel_zygote.protections["pid_namespace"]:
        assert out["pid"] == 1 and out["ppid"] == 0  # alone in its PID namespace
    else:  # a grader without root gets none (the README's threat model); as root it must
        assert os.geteuid() != 0, "a root grader must put each worker in its own PID namespace"
    if os.geteuid() == 0:
        assert out["uid"] == 65534
    assert out["udp"] != "done" and out["unix"] == "EPERM" and out["unshare"] == "refused"
    for name in ("prlimit", "setpriority", "affinity", "getpgid", "getsid", "getaffinity", "getpriority"):
        assert out[name] in ("EPERM", "ESRCH"), (name, out[name])
    assert out["prio_user"] == "EPERM" and out["self_limit"] == "done"
    # Nothing of the host exists in the minimal root (ENOENT); without it, Landlock refuses (EACCES).
    refused = ("ENOENT",) if kernel_zygote.protections["root"] else ("EACCES",)
    assert out["proc"] in refused and out["ls_proc"] in refused and out["other_tmp"] in refused, out
    assert not os.path.exists("/var/tmp/gdkit-kernel-probe.txt")


def test_worker_has_no_capabilities(kernel_zygote):
    need_root()
    source = ("import ctypes\n"
              "def f():\n"
              "    libc = ctypes.CDLL(None)\n"
              "    header = (ctypes.c_uint32 * 2)(0x20080522, 0)\n"
              "    data = (ctypes.c_uint32 * 6)()\n"
              "    libc.capget(header, data)\n"
              "    bounding = [libc.prctl(23, c, 0, 0, 0) for c in range(41)]\n"
              "    return list(data), bounding.count(1), libc.prctl(39, 0, 0, 0, 0)\n")
    s = Student(kernel_zygote, [(0, source)], limits=limits())
    s.start()
    sets, bounding, no_new_privs = s.call("f")
    s.close()
    assert sets == [0] * 6 and bounding == 0 and no_new_privs == 1


def test_private_directory_is_capped(kernel_zygote):
    source = ("import os\n"
              "def f():\n"
              "    written = 0\n"
              "    for i in range(200):\n"
              "        try:\n"
              "            with open(f'f{i}', 'wb') as out:\n"
              "                out.write(b'x' * (512 << 10))\n"
              "            written += 512 << 10\n"
              "        except OSError as exc:\n"
              "            return written, exc.errno\n"
              "    return written, 0\n")
    s = Student(kernel_zygote, [(0, source)], limits=limits(disk_mb=8))
    s.start()
    written, err = s.call("f")
    s.close()
    assert written <= 8 << 20 and err == 28  # ENOSPC


def test_immutable_flag_is_refused_and_cleanup_unlocks(kernel_zygote, tmp_path):
    """A worker cannot make a file immutable; a leftover that is immutable is still removed."""
    need_root()
    source = ("import fcntl, struct\n"
              "def f():\n"
              "    fd = open('locked', 'w')\n"
              "    try:\n"
              "        fcntl.ioctl(fd, 0x40086602, struct.pack('i', 0x10))\n"
              "        return 'set'\n"
              "    except OSError as exc:\n"
              "        return exc.errno\n")
    s = Student(kernel_zygote, [(0, source)], limits=limits())
    s.start()
    assert s.call("f") == 1  # EPERM: no CAP_LINUX_IMMUTABLE
    s.close()
    from gdkit.sandbox import cleanup
    folder = tmp_path / "stale"
    folder.mkdir()
    (folder / "locked").write_text("x")
    fd = os.open(folder / "locked", os.O_RDONLY)
    try:
        import fcntl, struct
        fcntl.ioctl(fd, 0x40086602, struct.pack("i", 0x10))
    except OSError:
        pytest.skip("this file system has no immutable flag")
    finally:
        os.close(fd)
    with pytest.raises(PermissionError):
        (folder / "locked").unlink()
    assert cleanup.remove_tree(str(folder)) == [] and not folder.exists()


def test_stale_worker_folders_of_dead_runs_are_swept(tmp_path):
    from gdkit.sandbox import cleanup
    dead = tmp_path / (cleanup.PREFIX + "dead")
    (dead / "w" / "private").mkdir(parents=True)
    (dead / cleanup.LOCK).write_text("")
    live = cleanup.RunFolder(str(tmp_path))
    assert not dead.exists()
    other = cleanup.RunFolder(str(tmp_path))  # a second live run does not sweep the first
    assert os.path.isdir(live.path)
    assert other.close() == [] and live.close() == []
    assert os.listdir(tmp_path) == []
    # Another kind of run folder (the grading command's, with files in it): swept the same way.
    dead = tmp_path / "gdkit-grade-dead"
    dead.mkdir()
    (dead / cleanup.LOCK).write_text("")
    (dead / "chunk-0.json").write_text("{}")
    with cleanup.RunFolder(str(tmp_path), prefix="gdkit-grade-", mode=0o700) as scratch:
        assert not dead.exists() and os.stat(scratch.path).st_mode & 0o777 == 0o700
        open(os.path.join(scratch.path, "chunk-0.json"), "w").close()
    assert os.listdir(tmp_path) == []


def _has_cap_sys_resource() -> bool:
    with open("/proc/self/status") as status:
        effective = int(next(l for l in status if l.startswith("CapEff:")).split()[1], 16)
    return bool(effective & (1 << 24))


def test_worker_lives_in_a_minimal_root(kernel_zygote, tmp_path):
    """Nothing of the host exists for a worker but the trees it may read: stat, lstat and
    readlink of the grader's files, /etc, /proc or /sys fail with ENOENT, not just EACCES."""
    need(kernel_zygote.protections["root"], "needs a mount namespace with pivot_root (the minimal root)")
    secret = tmp_path / "record.json"
    secret.write_text("{}")
    tmp_path.chmod(0o755)
    source = ("import errno, os, numpy\n"
              "def f(paths):\n"
              "    out = {}\n"
              "    for p in paths:\n"
              "        try:\n"
              "            os.lstat(p)\n"
              "            out[p] = 'exists'\n"
              "        except OSError as exc:\n"
              "            out[p] = errno.errorcode[exc.errno]\n"
              "    out['numpy'] = os.path.isfile(numpy.__file__)\n"
              "    open('/dev/null', 'w').write('x')\n"
              "    out['urandom'] = len(open('/dev/urandom', 'rb').read(4))\n"
              "    try:\n"
              "        open(os.path.join(os.path.dirname(os.__file__), 'gdkit-x'), 'w')\n"
              "        out['write_lib'] = 'done'\n"
              "    except OSError as exc:\n"
              "        out['write_lib'] = errno.errorcode[exc.errno]\n"
              "    return out\n")
    s = Student(kernel_zygote, [(0, source)], limits=limits())
    s.start()
    host = [str(secret), str(tmp_path), s._workdir, "/etc/passwd", "/etc/shadow", "/proc/self/exe", "/proc/1",
            "/sys/kernel", "/var", "/home", "/dev/shm", "/dev/mqueue", "/run"]
    host = [p for p in host if not corpus.on_the_way_to_python(p)]  # /home when the venv is in it
    out = s.call("f", host)
    s.close()
    assert {p: out[p] for p in host} == {p: "ENOENT" for p in host}
    assert out["numpy"] and out["urandom"] == 4 and out["write_lib"] in ("EROFS", "EACCES")


_ROOT_IN_USERNS = """
import os, sys
from gdkit.sandbox import namespaces, worker
from gdkit.sandbox.policy import Policy
worker.ROOT = False  # the path of a grader that is not root: the worker builds its own root
worker.POLICY = Policy()
worker._READABLE[:] = worker._read_roots()
worker._PLAN = namespaces.plan_root(worker._READABLE)
private = os.path.join({workdir!r}, "private")
os.mkdir(private)
assert worker._isolate(private, 1 << 20, True, True) == "/tmp"
open("/tmp/x", "w").write("x")
seen = [p for p in ({workdir!r}, "/etc", "/proc", "/work", "/var") if os.path.lexists(p)]
print(sorted(os.listdir("/")) if not seen else seen, all(os.path.isdir(t) for t in worker._READABLE))
"""


def test_the_minimal_root_is_built_in_a_user_namespace_too(tmp_path):
    """A grader that is not root cannot build the root once: each worker builds its own in its
    user namespace (the host's mounts are locked there; binding, pivoting and detaching work)."""
    if not (protections.probe()["namespaces"] and namespaces.can_pivot()):
        need(False, "needs user namespaces and pivot_root")
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(_ROOT_IN_USERNS.format(workdir=str(tmp_path)))],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    listing, trees = done.stdout.rsplit(" ", 1)
    assert trees.strip() == "True" and "'dev'" in listing and "'tmp'" in listing and "'etc'" not in listing, listing


def test_worker_holds_only_its_socket_and_log(kernel_zygote):
    """Descriptors the zygote holds (a handle on the host's PID namespace) are closed before any
    student code: the worker has stdin (/dev/null), its log twice and its socket."""
    source = ("import os, stat\n"
              "def f():\n"
              "    found = {}\n"
              "    for fd in range(4096):\n"
              "        try:\n"
              "            mode = os.fstat(fd).st_mode\n"
              "        except OSError:\n"
              "            continue\n"
              "        found[fd] = 'socket' if stat.S_ISSOCK(mode) else 'char' if stat.S_ISCHR(mode) else \\\n"
              "            'file' if stat.S_ISREG(mode) else oct(mode)\n"
              "    return found\n")
    s = Student(kernel_zygote, [(0, source)], limits=limits())
    s.start()
    found = s.call("f")
    s.close()
    assert sorted(found.values()) == ["char", "file", "file", "socket"] and set(found) >= {0, 1, 2}, found


_IPC_CHILD = """
import ctypes, os, sys
from gdkit.sandbox import worker
from gdkit.sandbox.policy import Policy
worker.ROOT = os.geteuid() == 0
worker.POLICY = Policy()
libc = ctypes.CDLL(None, use_errno=True)
os.mkdir(os.path.join({workdir!r}, "private"))
os.chmod({workdir!r}, 0o711)
worker._isolate(os.path.join({workdir!r}, "private"), 1 << 20, True, False)  # no seccomp: the namespace alone
made = libc.shmget({key}, 4096, 0o1000 | 0o600)
print(made >= 0, flush=True)
sys.stdin.readline()  # held while the test looks from outside
"""


def test_ipc_namespace_keeps_a_workers_objects_to_itself(tmp_path):
    """Without seccomp, SysV objects a worker makes exist in its IPC namespace only, and go with it."""
    if not protections.probe()["namespaces"]:
        need(False, "needs namespaces")
    key = 0x67640000 + (os.getpid() & 0xFFFF)
    script = textwrap.dedent(_IPC_CHILD.format(workdir=str(tmp_path), key=key))
    child = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             text=True)
    try:
        assert child.stdout.readline().strip() == "True"  # the worker could make it
        keys = {int(line.split()[0]) for line in open("/proc/sysvipc/shm").read().splitlines()[1:]}
        assert key not in keys  # the host's IPC namespace never had it
    finally:
        child.communicate("\n", timeout=60)
    keys = {int(line.split()[0]) for line in open("/proc/sysvipc/shm").read().splitlines()[1:]}
    assert key not in keys and child.returncode == 0


_THREADS = ("import threading, ctypes\n"
            "ctypes.CDLL(None).mallopt(-8, 1)\n"
            "def f(n, keep=False):\n"
            "    threading.stack_size(32768)\n"
            "    hold, started = threading.Event(), 0\n"
            "    for _ in range(n):\n"
            "        try:\n"
            "            threading.Thread(target=hold.wait, daemon=True).start()\n"
            "            started += 1\n"
            "        except RuntimeError:\n"
            "            break\n"
            "    if not keep:\n"
            "        hold.set()\n"
            "    return started\n")


def _memory_ceiling(pid: int):
    """The memory limit of the worker's own control group, if it has one (v1 or v2)."""
    from gdkit.sandbox import cgroups
    memory = cgroups.find().get("memory")
    if memory is None:
        return None
    with open(f"/proc/{pid}/cgroup") as groups:
        for line in groups:
            _, controllers, path = line.rstrip("\n").split(":", 2)
            if (memory.version == 2 and not controllers) or "memory" in controllers.split(","):
                folder = memory.base.rstrip("/") + "/" + os.path.basename(path)
                if os.path.basename(path).startswith("gdkit-"):
                    return int(open(os.path.join(folder, memory.limit_file)).read())
    return None


def test_a_worker_cannot_start_more_than_its_tasks(kernel_zygote, capsys):
    """Each worker's threads are bounded by ``tasks`` (the kernel's count), whichever way this
    machine offers: a pids cgroup per worker, RLIMIT_NPROC in the worker's user namespace, or both."""
    way = protections.task_limit(kernel_zygote.protections)
    with capsys.disabled():
        print(f"\ntask limit per worker here: {way or 'none (the run warns)'}")
    if not way:
        assert "task limit" in protections.warning(protections.probe())
        return
    for tasks in (8, 20):
        s = Student(kernel_zygote, [(0, _THREADS)], limits=limits(tasks=tasks))
        s.start()
        assert s.call("f", 200) == tasks - 1  # the worker itself is one
        ceiling = _memory_ceiling(s._pid)
        s.close()
        if ceiling is not None:  # above everything the worker may hold by its own limits
            assert s.limits.memory_bytes + s.limits.disk_bytes < ceiling < 1 << 40
    # Two workers at once each get their own allowance: the count is not shared by their user.
    held = _THREADS + "held = f(7, keep=True)\ndef g():\n    return held\n"
    first, second = (Student(kernel_zygote, [(0, held)], limits=limits(tasks=8)) for _ in range(2))
    first.start()
    second.start()
    assert first.call("g") == second.call("g") == 7  # both full at once
    assert second.call("f", 200) == 0 and first.call("f", 200) == 0
    first.close()
    second.close()


@pytest.mark.slow
def test_the_task_limit_holds_without_control_groups():
    """Where the grader cannot make control groups, RLIMIT_NPROC in each worker's own user
    namespace still bounds it (here: with the policy's cgroups switched off)."""
    z = Zygote(dataclasses.replace(sandbox_policy(), audit_hook=False, cgroups=False))
    try:
        need(z.protections["nproc"], "needs RLIMIT_NPROC counted per user namespace (Linux 5.14+)")
        assert z.protections["cgroup"] == ""
        s = Student(z, [(0, _THREADS)], limits=limits(tasks=6))
        s.start()
        assert s.call("f", 200) == 5
        s.close()
    finally:
        z.close()


_NPROC_CHILD = """
import os, resource, sys, threading
from gdkit.sandbox import namespaces
if os.geteuid() == 0:
    os.setgroups([]); os.setresgid(65534, 65534, 65534); os.setresuid(65534, 65534, 65534)
namespaces.unshare(namespaces.CLONE_NEWUSER)
resource.setrlimit(resource.RLIMIT_NPROC, (6, 6))
threading.stack_size(65536)
hold, started = threading.Event(), 0
for _ in range(50):
    try:
        threading.Thread(target=hold.wait, daemon=True).start()
        started += 1
    except RuntimeError:
        break
print(started, flush=True)
sys.stdin.readline()
"""


@pytest.mark.slow
def test_nproc_counts_one_user_namespace(capsys):
    """RLIMIT_NPROC set inside a user namespace counts that namespace's tasks only (Linux 5.14+):
    two processes of one user, each in its own namespace, each start 5 threads under a limit of 6."""
    found = protections.probe()
    with capsys.disabled():
        print(f"\nRLIMIT_NPROC per user namespace here: {found['nproc']}")
    if not found["nproc"]:
        assert not found["namespaces"] or not protections._kernel_at_least((5, 14))
        return
    children = [subprocess.Popen([sys.executable, "-c", _NPROC_CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 text=True) for _ in range(2)]
    try:
        counts = [int(c.stdout.readline()) for c in children]
    finally:
        for c in children:
            c.communicate("\n", timeout=60)
    assert counts == [5, 5]


def test_cgroup_groups_bound_tasks_and_are_removed(capsys):
    """Where this process can make pids groups (root, or delegated), a worker's group bounds its
    tasks and is removed afterwards; a dead zygote's groups are swept. Elsewhere the probe says so."""
    from gdkit.sandbox import cgroups
    found = cgroups.find()
    with capsys.disabled():
        print(f"\ncgroup controllers for worker groups here: "
              f"{ {n: f'v{c.version} at {c.base}' for n, c in found.items()} or 'none'}")
    if "pids" not in found:
        assert protections.probe()["cgroup"] == ""
        return
    groups = cgroups.Groups(found)
    folders = groups.make()
    groups.limit(folders, {"pids": 5, "memory": 1 << 30})
    script = ("import sys, threading\nfrom gdkit.sandbox import cgroups\n"
              f"cgroups.join({folders!r})\n"
              "hold, n = threading.Event(), 0\n"
              "for _ in range(50):\n"
              "    try:\n"
              "        threading.Thread(target=hold.wait, daemon=True).start()\n"
              "        n += 1\n"
              "    except RuntimeError:\n"
              "        break\n"
              "print(n)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    groups.remove(folders)
    assert done.stdout.split() == ["4"], done.stderr
    assert not any(os.path.exists(f) for f in folders) and groups.left == []
    # A zygote killed before removing its groups: the next one sweeps them.
    dead = [os.path.join(c.base, "gdkit-999999999-1-1") for c in found.values()]
    for folder in dead:
        os.makedirs(folder, exist_ok=True)
    cgroups.sweep(found)
    assert not any(os.path.exists(f) for f in dead)


def test_cgroup_hierarchies_are_located_in_either_version(tmp_path, monkeypatch):
    """Where a worker's groups would go, read from mountinfo and /proc/self/cgroup: cgroup v2
    (only controllers our group hands down count), v1 (a hierarchy per controller, mounted at
    its root or at a subtree, as containers do)."""
    from gdkit.sandbox import cgroups
    v2 = tmp_path / "unified" / "grading.slice"
    v2.mkdir(parents=True)
    (v2 / "cgroup.subtree_control").write_text("cpu memory pids\n")
    monkeypatch.setattr(cgroups, "_mounts", lambda: [("/", str(tmp_path / "unified"), "cgroup2", ["rw"])])
    monkeypatch.setattr(cgroups, "_own_groups", lambda: {"": "/grading.slice"})
    found = cgroups.locate()
    assert {n: (c.base, c.version, c.limit_file) for n, c in found.items()} == {
        "pids": (str(v2), 2, "pids.max"), "memory": (str(v2), 2, "memory.max")}
    (v2 / "cgroup.subtree_control").write_text("")  # not handed down: nothing to use
    assert cgroups.locate() == {}
    # v1: pids mounted at a subtree of its hierarchy (the container's own group is its root)
    monkeypatch.setattr(cgroups, "_mounts", lambda: [
        ("/docker/abc", str(tmp_path / "pids"), "cgroup", ["rw", "pids"]),
        ("/", str(tmp_path / "memory"), "cgroup", ["rw", "memory"])])
    monkeypatch.setattr(cgroups, "_own_groups", lambda: {"pids": "/docker/abc/run", "memory": "/jobs/7", "": "/"})
    found = cgroups.locate()
    assert {n: (c.base, c.version, c.limit_file) for n, c in found.items()} == {
        "pids": (str(tmp_path / "pids" / "run"), 1, "pids.max"),
        "memory": (str(tmp_path / "memory" / "jobs" / "7"), 1, "memory.limit_in_bytes")}
    assert cgroups._unescape(r"/a\040b") == "/a b"


@pytest.mark.slow
def test_zygote_restores_its_state_before_forking():
    """If the zygote's limits or scheduling were changed, the next worker still starts pristine;
    what cannot be put back makes the spawn a grader error, never a crippled worker."""
    need_root()
    import resource
    zygote = start_zygote()
    pid = zygote.process.pid
    assert zygote.protections["usable"]  # started: its state is recorded
    try:
        soft, hard = before = resource.prlimit(pid, resource.RLIMIT_NOFILE)
        resource.prlimit(pid, resource.RLIMIT_NOFILE, (8, hard))
        os.setpriority(os.PRIO_PROCESS, pid, 15)
        os.sched_setaffinity(pid, {0})
        probe = "import os\ndef f():\n    return os.getpriority(os.PRIO_PROCESS, 0), len(os.sched_getaffinity(0))\n"
        s = Student(zygote, [(0, probe)], limits=limits())
        s.start()
        nice, cpus = s.call("f")
        s.close()
        assert nice == 0 and cpus == len(os.sched_getaffinity(0))
        assert resource.prlimit(pid, resource.RLIMIT_NOFILE) == before
        resource.prlimit(pid, resource.RLIMIT_NOFILE, (8, 8))  # a hard limit only CAP_SYS_RESOURCE raises
        s = Student(zygote, [(0, probe)], limits=limits())
        if _has_cap_sys_resource():
            s.start()
            assert resource.prlimit(pid, resource.RLIMIT_NOFILE) == before
        else:
            with pytest.raises(SandboxFailed) as info:
                s.start()
            assert "process state changed" in info.value.detail
        s.close()
    finally:
        zygote.close()


def test_load_report_is_bounded(zygote):
    cells = [(i, f"raise ValueError('x' * {10 ** 6})") for i in range(80)] + [(80, "def f():\n    return 1\n")]
    s = Student(zygote, cells, limits=limits(timeout=5))
    s.start()
    failed = [c for c in s.load_report if not c["ok"]]
    assert len(failed) == 51 and failed[-1]["error"] == "MoreErrors" and "30 more" in failed[-1]["message"]
    assert all(len(c["message"]) <= 500 for c in failed) and s.call("f") == 1
    s.close()


@pytest.mark.slow
def test_budget_bounds_a_submission_that_answers_just_in_time(zygote):
    s = make(zygote, "import time\ndef f(i):\n    time.sleep(0.7)\n    return i\n", timeout=1.0, budget=2.0)
    assert [s.call("f", i) for i in range(2)] == [0, 1]
    with pytest.raises(WorkerDied) as info:
        for i in range(2, 6):
            s.call("f", i)
    assert info.value.reason == "budget"
    s.close()


def _memory_holds(pid: int, needle: bytes) -> bool:
    """Whether any readable mapping of process ``pid`` contains ``needle`` (read as root)."""
    with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", buffering=0) as mem:
        for line in maps:
            fields = line.split()
            low, high = (int(x, 16) for x in fields[0].split("-"))
            if "r" not in fields[1] or high - low > (1 << 30) or fields[-1] in ("[vvar]", "[vsyscall]"):
                continue
            try:
                mem.seek(low)
                if needle in mem.read(high - low):
                    return True
            except OSError:
                continue
    return False


@pytest.mark.slow
def test_no_process_ever_holds_an_earlier_students_code(zygote):
    """The zygote never receives a student's cells, so neither it nor a later worker (forked from
    it) holds an earlier student's code anywhere in memory, freed or not."""
    need_root()
    marker = "donor-" + os.urandom(6).hex()
    donor = Student(zygote, [(0, f"# {marker}\ndef f():\n    return '{marker[::-1]}'\n" + "x = 1\n" * 300)],
                    limits=limits())
    donor.start()
    assert donor.call("f") == marker[::-1]
    assert _memory_holds(donor._pid, marker.encode())  # the check can see a worker's code
    donor.close()
    later = make(zygote, "def g():\n    return 1\n")
    assert later.call("g") == 1
    assert not _memory_holds(zygote.process.pid, marker.encode())
    assert not _memory_holds(later._pid, marker.encode())
    later.close()


# ------------------------------------------------------------------ the audit hook's handlers, one by one

@pytest.fixture
def cage(tmp_path):
    from gdkit.sandbox import cage as cages
    private = tmp_path / "private"
    private.mkdir()
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "banned").mkdir()
    box = cages.Cage(str(private), readable=[str(tmp_path / "lib")], forbidden=[str(tmp_path / "lib" / "banned")],
                     banned_packages=["gdkit", "secret_pkg"])
    box.armed = True
    return box, tmp_path


def test_hook_refuses_nothing_until_armed(cage):
    box, root = cage
    box.armed = False
    box.hook("os.fork", ())  # before the first student cell: the worker's own setup
    box.armed = True
    with pytest.raises(PermissionError):
        box.hook("os.fork", ())


def test_hook_open(cage):
    from gdkit.sandbox import cage as cages
    box, root = cage
    cages.on_open(box, "open", ("notes.txt", "w", os.O_WRONLY))  # the private dir: writable
    cages.on_open(box, "open", (str(root / "lib" / "x.py"), "r", os.O_RDONLY))  # readable tree
    cages.on_open(box, "open", (3, "r", os.O_RDONLY))  # an open descriptor: checked when opened
    for path, mode, flags in [(str(root / "lib" / "x.py"), "r", os.O_RDONLY | os.O_TRUNC),  # a write
                              (str(root / "lib" / "banned" / "a.py"), "r", os.O_RDONLY),     # carved out
                              ("/etc/passwd", "r", os.O_RDONLY), (str(root / "lib"), "r", os.O_RDONLY)]:  # dir fd
        with pytest.raises(PermissionError):
            cages.on_open(box, "open", (path, mode, flags))


def test_hook_import(cage):
    from gdkit.sandbox import cage as cages
    box, _ = cage
    cages.on_import(box, "import", ("numpy",))
    cages.on_import(box, "import", ("gdkitx",))  # a prefix of a name is not the package
    for name in ("gdkit", "gdkit.network", "secret_pkg.sub"):
        with pytest.raises(ImportError):
            cages.on_import(box, "import", (name,))


def test_hook_path_events(cage):
    from gdkit.sandbox import cage as cages
    box, root = cage
    cages.on_path_write(box, "os.rename", ("a", "b"))
    with pytest.raises(PermissionError):
        cages.on_path_write(box, "os.rename", ("a", str(root / "lib" / "b")))
    cages.on_path_read(box, "os.listdir", (str(root / "lib"),))
    with pytest.raises(PermissionError):
        cages.on_path_read(box, "os.listdir", ("/etc",))


def test_hook_sqlite(cage):
    from gdkit.sandbox import cage as cages
    box, root = cage
    cages.on_sqlite_connect(box, "sqlite3.connect", (":memory:",))
    cages.on_sqlite_connect(box, "sqlite3.connect", ("file:local.db?mode=rwc",))
    with pytest.raises(PermissionError):
        cages.on_sqlite_connect(box, "sqlite3.connect", (str(root / "lib" / "x.db"),))


@pytest.mark.parametrize("event", ["os.system", "subprocess.Popen", "socket.__new__", "socket.sendto", "os.kill",
                                   "resource.prlimit", "ctypes.dlopen", "ctypes.cdata", "sqlite3.load_extension"])
def test_hook_refuses_process_socket_and_native_events(cage, event):
    box, _ = cage
    with pytest.raises(PermissionError):
        box.hook(event, ())


def test_hook_table_covers_every_event_class():
    from gdkit.sandbox import cage as cages
    assert cages.HANDLERS["open"] is cages.on_open and cages.HANDLERS["import"] is cages.on_import
    assert all(cages.HANDLERS[e] is cages.refuse for e in cages.PROCESS_EVENTS)
    assert cages.PREFIX_HANDLERS["ctypes."] is cages.refuse


def test_seccomp_refuses_calls_on_other_processes():
    """In a plain child (no namespaces): the filter alone keeps it to itself."""
    script = ("import ctypes, os, resource, socket, errno, fcntl, struct\nfrom gdkit.sandbox import seccomp\n"
              "libc = ctypes.CDLL(None, use_errno=True)\nlibc.syscall.restype = ctypes.c_long\n"
              "def check(result):\n"
              "    if result < 0:\n"
              "        raise OSError(ctypes.get_errno(), 'refused')\n"
              "other = os.getppid()\n"
              "r, w = os.pipe()\n"
              "a, b = socket.socketpair()\n"
              "assert seccomp.install(os.getpid())\n"
              "out = []\n"
              "for act in (lambda: resource.prlimit(other, resource.RLIMIT_NOFILE),\n"
              "            lambda: os.setpriority(os.PRIO_PROCESS, other, 5),\n"
              "            lambda: os.setpriority(os.PRIO_USER, 0, 5),\n"
              "            lambda: os.sched_getaffinity(other), lambda: os.getpgid(other),\n"
              "            lambda: socket.socket(), lambda: socket.socketpair(),\n"
              "            lambda: check(libc.shmget(0, 4096, 0o1000 | 0o600)), lambda: check(libc.msgget(0, 0o1000)),\n"
              "            lambda: check(libc.semget(0, 1, 0o1000)), lambda: check(libc.mq_open(b'/gdkit-t', 0o100 | 2, 0o600, None)),\n"
              "            lambda: check(libc.syscall(135, ctypes.c_ulong(0x0040000))),\n"
              "            lambda: check(libc.syscall(154, 0, ctypes.create_string_buffer(16), 16)),\n"
              "            lambda: check(libc.syscall(303, -100, b'/', ctypes.create_string_buffer(136), ctypes.byref(ctypes.c_int()), 0)),\n"
              # A file's owner receives its SIGIO (or F_SETSIG's signal) from the kernel later.
              "            lambda: fcntl.fcntl(r, fcntl.F_SETOWN, other), lambda: fcntl.fcntl(r, fcntl.F_SETOWN, -other),\n"
              "            lambda: fcntl.fcntl(a, 15, struct.pack('ii', 1, other)),\n"
              "            lambda: check(libc.ioctl(a.fileno(), 0x8901, ctypes.byref(ctypes.c_int(other)))),\n"
              "            lambda: check(libc.ioctl(a.fileno(), 0x8902, ctypes.byref(ctypes.c_int(other))))):\n"
              "    try:\n"
              "        act()\n"
              "        out.append('done')\n"
              "    except OSError as exc:\n"
              "        out.append(errno.errorcode[exc.errno])\n"
              "resource.prlimit(0, resource.RLIMIT_NOFILE)\n"
              "os.setpriority(os.PRIO_PROCESS, 0, min(19, os.getpriority(os.PRIO_PROCESS, 0) + 1))\n"
              "os.sched_getaffinity(0)\n"
              "fcntl.fcntl(r, fcntl.F_SETOWN, os.getpid()); fcntl.fcntl(r, fcntl.F_SETOWN, 0)\n"
              "fcntl.fcntl(r, fcntl.F_SETFL, fcntl.fcntl(r, fcntl.F_GETFL) | os.O_NONBLOCK)\n"
              "assert libc.syscall(135, ctypes.c_ulong(0xFFFFFFFF)) == 0 and libc.syscall(135, 0) == 0\n"
              "print(' '.join(out))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    if not protections.probe()["seccomp"]:
        need(False, "needs seccomp (x86_64)")
    assert done.stdout.split() == ["EPERM"] * 19, (done.stdout, done.stderr)


def test_the_sandbox_imports_nothing_else_of_the_kit():
    """sandbox/ is a generic layer: what it runs (and bans) is its caller's business."""
    import ast
    folder = os.path.join(KIT, "src", "gdkit", "sandbox")
    for name in sorted(os.listdir(folder)):
        if name.endswith(".py"):
            tree = ast.parse(open(os.path.join(folder, name)).read())
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("gdkit"):
                    assert node.module == "gdkit.sandbox" or node.module.startswith("gdkit.sandbox."), (name, node.module)
                elif isinstance(node, ast.Import):
                    assert not any(a.name.startswith("gdkit") and not a.name.startswith("gdkit.sandbox")
                                   for a in node.names), name


@pytest.mark.slow
def test_workers_run_as_the_configured_ids_when_root(as_root):
    """A course's [sandbox] uid/gid (here given directly) is who runs student code."""
    from gdkit.grading.student import start_zygote

    z = start_zygote(4242, 4343)
    try:
        s = Student(z, [(0, "import os\ndef f():\n    return [os.getuid(), os.getgid(), os.getgroups()]\n")],
                    limits=limits())
        s.start()
        assert s.call("f") == [4242, 4343, []]
        s.close()
    finally:
        z.close()


_DUMPABLE_CHILD = """
import ctypes, os
from gdkit.sandbox import worker
from gdkit.sandbox.policy import Policy
worker.ROOT = os.geteuid() == 0
worker.POLICY = Policy()
os.mkdir(os.path.join({workdir!r}, "private"))
os.chmod({workdir!r}, 0o711)
worker._isolate(os.path.join({workdir!r}, "private"), 1 << 20, {isolated}, False)
print(ctypes.CDLL(None).prctl(3, 0, 0, 0, 0))  # PR_GET_DUMPABLE
"""


@pytest.mark.parametrize("isolated", [True, False])
def test_no_worker_or_zygote_is_dumpable(zygote, tmp_path, isolated):
    """Where there are no user namespaces and no Landlock, a worker of the grader's own user could
    open /proc/PID/mem of a classmate's worker, of the zygote or of the grader session (their code
    and the hidden suite), unless those are not dumpable: their /proc entries then belong to root.
    (A root grader's zygote is root's either way; the check bites for an unprivileged one.)"""
    script = _DUMPABLE_CHILD.format(workdir=str(tmp_path), isolated=isolated)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    if isolated and done.returncode != 0 and not zygote.protections["namespaces"]:
        need(False, "needs namespaces")
    assert done.stdout.split() == ["0"], (done.stdout, done.stderr)
    assert os.stat(f"/proc/{zygote.process.pid}/mem").st_uid == 0
    worker = Worker(zygote, [(0, "def f():\n    return 1\n")])
    worker.start()
    try:
        assert worker.call("f") == 1 and os.stat(f"/proc/{worker._pid}/mem").st_uid == 0
    finally:
        worker.close()


def test_the_missing_function_sentence_matches_the_reason():
    from gdkit.grading.plugin import student_message
    renamed = student_message(MissingFunction("detect_divergence"))["message"]
    skipped = student_message(MissingFunction("detect_divergence", in_skipped_cell=True))["message"]
    assert "keep the function's name" in renamed
    assert "ran past the time limit" in skipped and "keep the function's name" not in skipped


def test_a_restart_keeps_the_first_loads_report(zygote):
    """The feedback shows the cells that raised while the notebook loaded: from its first load only.
    A restart loads the same cells after workers that may have seen hidden inputs; what the cells
    say differently then could only come from them (through the page cache, say)."""
    cells = [(0, "import os\ndef die():\n    os._exit(3)\ndef one():\n    return 1.0\n"),
             (1, "raise ValueError(os.urandom(8).hex())\n")]
    worker = Worker(zygote, cells)
    worker.start()
    try:
        first = [c["message"] for c in worker.load_report if not c["ok"]]
        with pytest.raises(WorkerDied):
            worker.call("die")
        assert worker.call("one") == 1.0 and worker.restarts == 1  # loaded again, saying something else
        assert [c["message"] for c in worker.load_report if not c["ok"]] == first and len(first[0]) == 16
    finally:
        worker.close()
