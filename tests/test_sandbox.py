"""The sandbox: the wire protocol refuses hostile data, workers are caged, limits hold."""
import os
import socket
import time

import numpy as np
import pytest

from gdkit.sandbox import protocol
from gdkit.sandbox.client import MissingFunction, Student, StudentRaised, WorkerDied, Zygote

KIT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def zygote():
    z = Zygote()
    yield z
    z.close()


def make(zygote, source, **kw):
    kw.setdefault("timeout", 2.0)
    student = Student(zygote, [(0, "import numpy as np\n" + source)], forbidden_dirs=[KIT], **kw)
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
    start = time.monotonic()
    with pytest.raises(WorkerDied) as info:
        s.call("hang")
    assert info.value.reason == "timeout"
    assert time.monotonic() - start < 5
    assert s.call("ok") == 1 and s.restarts == 1
    s.close()


def test_exit_is_a_crash_not_a_result(zygote):
    s = make(zygote, "import os\ndef die():\n    print('{\"score\": 100}')\n    os._exit(0)\n")
    with pytest.raises(WorkerDied) as info:
        s.call("die")
    assert info.value.reason == "crashed"
    s.close()


def test_loading_that_hangs_is_a_timeout(zygote):
    s = Student(zygote, [(0, "import time\ntime.sleep(100)\n")], timeout=1.0)
    with pytest.raises(WorkerDied) as info:
        s.start()
    assert info.value.reason == "timeout"
    s.close()


def test_cell_errors_do_not_stop_later_cells(zygote):
    s = Student(zygote, [(0, "def a(:\n"), (1, "raise SystemExit(3)"), (2, "def b():\n    return 2\n")], timeout=2)
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
    ("def f():\n    return os.listdir(%r)\n" % KIT, "not allowed"),
    ("def f():\n    open('/tmp/gdkit-vandal.txt', 'w').write('x')\n", "not allowed"),
    ("def f():\n    return os.fork()\n", "not allowed"),
    ("def f():\n    import subprocess\n    subprocess.Popen(['sleep', '100'])\n", "not allowed"),
    ("def f():\n    os.kill(os.getppid(), 9)\n", "not allowed"),
    ("def f():\n    import ctypes\n    ctypes.CDLL(None).getpid()\n", "not allowed"),
    ("def f():\n    import socket\n    socket.socket()\n", "not allowed"),
    ("def f():\n    import resource\n    resource.setrlimit(resource.RLIMIT_CPU, (10**6, 10**6))\n", "not allowed"),
])
def test_cage_refuses(zygote, source, needle):
    s = make(zygote, "import os\n" + source)
    with pytest.raises(StudentRaised) as info:
        s.call("f")
    assert needle in info.value.message
    assert not os.path.exists("/tmp/gdkit-vandal.txt")
    s.close()


def test_private_directory_is_writable_and_removed(zygote):
    s = make(zygote, "import os\ndef f():\n    open('scratch.txt', 'w').write('x')\n    return os.getcwd()\n")
    workdir = s.call("f")
    assert os.path.isfile(os.path.join(workdir, "scratch.txt"))
    s.close()
    assert not os.path.exists(workdir)


def test_memory_is_bounded(zygote):
    s = make(zygote, "def f():\n    return len(bytearray(2 * 1024 ** 3))\n", memory_bytes=256 << 20)
    with pytest.raises(StudentRaised) as info:
        s.call("f")
    assert info.value.exc_type == "MemoryError"
    s.close()


def test_output_flood_is_capped(zygote):
    s = make(zygote, "import sys\ndef f():\n    for _ in range(20000):\n"
                     "        try:\n            sys.stdout.write('x' * 10000)\n        except OSError:\n            break\n"
                     "    return 1\n", output_bytes=64 * 1024)
    s.call("f")
    s.close()
    assert len(s.output) <= 4096 and s.output.startswith("x")


def test_environment_is_scrubbed(zygote, monkeypatch):
    monkeypatch.setenv("GDKIT_SECRET_TOKEN", "s3cret")
    s = make(zygote, "import os\ndef f():\n    return sorted(os.environ)\n")
    assert "GDKIT_SECRET_TOKEN" not in s.call("f")
    s.close()


def test_no_process_survives(zygote):
    before = _children_of(zygote.process.pid)
    s = make(zygote, "import time\ndef f():\n    time.sleep(30)\n", timeout=0.5)
    with pytest.raises(WorkerDied):
        s.call("f")
    s.close()
    assert _children_of(zygote.process.pid) == before


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
