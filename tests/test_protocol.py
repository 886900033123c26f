"""The wire format: what one side sends is exactly what the other receives, and reading a hostile
message is bounded (values, nesting, bytes) before anything big is allocated."""
from __future__ import annotations

import json
import math
import os
import socket
import subprocess
import sys
import textwrap
import threading
from collections import OrderedDict, namedtuple
from enum import IntEnum

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from gdkit.grading import inkernel
from gdkit.grading.student import Student, start_zygote
from gdkit.sandbox import protocol
from gdkit.sandbox.client import StudentRaised, WorkerDied
from gdkit.sandbox.limits import Limits

SRC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src")


# ------------------------------------------------------------------ exact sameness

def same(a, b) -> bool:
    """Whether ``b`` is ``a`` as a copy: the same types all the way down, the same array dtype
    (byte order included), shape, memory order and bits, the same dict keys in the same order."""
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        fortran = a.ndim > 1 and a.flags.f_contiguous and not a.flags.c_contiguous
        return (a.dtype.str == b.dtype.str and a.shape == b.shape and a.tobytes() == b.tobytes()
                and (not fortran or b.flags.f_contiguous) and b.flags.writeable and b.flags.owndata)
    if isinstance(a, np.generic):
        return a.dtype.str == b.dtype.str and a.tobytes() == b.tobytes()
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return len(a) == len(b) and all(same(ka, kb) and same(a[ka], b[kb]) for ka, kb in zip(a, b))
    return a == b


def over_the_wire(value, bounds=protocol.REPLY):
    """What the other side receives: encoded, framed, scanned, parsed and decoded."""
    frame = protocol.pack({"value": protocol.encode(value)}, bounds=bounds)
    return protocol.decode(protocol.loads(frame[4:], bounds)["value"], bounds=bounds)


# ------------------------------------------------------------------ what hypothesis draws

REAL_DTYPES = [np.dtype(t).newbyteorder(order) for t in protocol._REAL_TYPES for order in "<>"]
shapes = hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4)


@st.composite
def arrays(draw):
    array = draw(hnp.arrays(st.sampled_from(REAL_DTYPES), shapes))
    layout = draw(st.sampled_from(["C", "F", "strided", "transposed"]))
    if layout == "F":
        return np.asfortranarray(array)
    if layout == "strided" and array.ndim:
        return array[::2]
    if layout == "transposed":
        return array.T
    return array


scalars = st.sampled_from(REAL_DTYPES).flatmap(lambda d: hnp.from_dtype(d.newbyteorder("="))).map(
    lambda x: x if isinstance(x, np.generic) else np.asarray(x)[()])
floats = st.floats(allow_nan=True, allow_infinity=True)
texts = st.text(st.characters(exclude_categories=()), max_size=20)  # lone surrogates too
leaves = st.one_of(st.none(), st.booleans(), st.integers(), floats, texts, scalars, arrays(),
                   st.lists(floats, max_size=5))  # the all-float list has a fast path
keys = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), floats, texts, scalars),
                    lambda inner: st.lists(inner, max_size=3).map(tuple), max_leaves=4)
values = st.recursive(leaves, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.lists(inner, max_size=4).map(tuple),
    st.dictionaries(keys, inner, max_size=4)), max_leaves=12)


@pytest.mark.slow  # 150 hypothesis examples
@given(values)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_every_value_arrives_exactly_as_sent(value):
    assert same(value, over_the_wire(value, protocol.REPLY))
    assert same(value, over_the_wire(value, protocol.REQUEST))


@given(values)
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_the_in_kernel_path_copies_exactly(value):
    assert same(value, inkernel._copy_in(value))
    assert same(value, inkernel._through_the_wire(value))


EXPLICIT = [
    np.array(0.5), np.array(True), np.array(3, dtype=np.int32), np.float64(0.1), np.float32(2.5),
    np.int32(-7), np.uint8(255), np.bool_(False), np.float16(np.inf), np.longdouble(1) / 3,
    0.1, -0.0, 2, True, None, 2 ** 200, -(2 ** 100), "", "naïve \u202e ∑ \U0001F600 \ud800",
    float("nan"), float("inf"), float("-inf"), [1.0, float("nan"), float("-inf")],
    (), [], {}, (1,), [(1, [2, (3, {})])], {"a": 1, 1: "a", 1.5: None, None: 0, (1, "x"): [], np.float64(2): 3},
    np.zeros((0,)), np.zeros((0, 3)), np.zeros((3, 0, 2), dtype=np.int16), np.ones((2, 3), order="F"),
    np.arange(24.0).reshape(2, 3, 4)[:, ::2, 1:], np.arange(12).reshape(3, 4).T, np.array([1.5, 2], dtype=">f8"),
    np.array([np.nan, np.inf, -np.inf, -0.0]), np.array([[True, False]]), np.array([2 ** 63], dtype=np.uint64),
]


@pytest.mark.parametrize("value", EXPLICIT, ids=lambda v: type(v).__name__)
def test_explicit_values_arrive_exactly_as_sent(value):
    assert same(value, over_the_wire(value))


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")  # np.matrix, on purpose
def test_subclasses_travel_as_their_base_type():
    Pair = namedtuple("Pair", "a b")

    class Level(IntEnum):
        HIGH = 3

    assert same(over_the_wire(Pair(1, 2.0)), (1, 2.0))
    assert same(over_the_wire(Level.HIGH), 3)
    assert same(over_the_wire(OrderedDict(b=1, a=2)), {"b": 1, "a": 2})
    assert same(over_the_wire(np.str_("text")), "text")
    assert same(over_the_wire(np.ma.masked_array([1.0, 2.0], mask=[0, 1])), np.array([1.0, 2.0]))
    assert same(over_the_wire(np.asmatrix(np.eye(2))), np.eye(2))


DEEP: list = [1]
for _ in range(protocol.MAX_DEPTH + 1):
    DEEP = [DEEP]


@pytest.mark.parametrize("value", [
    np.array([1 + 2j]), np.complex128(1 + 0j), 1j, np.array([object()], dtype=object), np.array(["a sentence"]),
    np.array([b"x"]), np.zeros(2, dtype=[("the answer is 42", "f8")]), np.array(["2020-01-01"], dtype="datetime64[D]"),
    np.array([1], dtype="timedelta64[s]"), np.void(b"abc"), {1, 2}, b"bytes", object(), len,
    DEEP,  # deeper than MAX_DEPTH
])
def test_encode_refuses_what_is_not_real_numbers_or_plain_data(value):
    with pytest.raises(TypeError) as info:
        protocol.encode(value)
    assert "42" not in str(info.value) and "sentence" not in str(info.value)  # a fixed phrase, not the dtype


def test_nesting_up_to_the_limit_round_trips():
    value = 1.0
    for i in range(protocol.MAX_DEPTH + 1):
        value = [value] if i % 3 == 0 else ({"k": value} if i % 3 == 1 else (value,))
    assert same(value, over_the_wire(value))
    with pytest.raises(TypeError):
        protocol.encode([value])


# ------------------------------------------------------------------ the tag decoders, one by one

def test_tuple_decoder():
    assert protocol._read_tuple([1, [2]], protocol._Reader(0), 0) == (1, [2])
    for body in ({"a": 1}, "x", None):
        with pytest.raises(protocol.ProtocolError):
            protocol._read_tuple(body, protocol._Reader(0), 0)


def test_dict_decoder():
    assert protocol._read_dict([["a", 1], [{"__tuple__": [1]}, 2]], protocol._Reader(0), 0) == {"a": 1, (1,): 2}
    for body in ([["a"]], [["a", 1, 2]], "x", [["a", 1], ["a", 2]],      # malformed, duplicate key
                 [[[1], 1]], [[{"__tuple__": [[1]]}, 1]],                   # unhashable keys
                 [[{"__nd__": ["<f8", [0], "C", ""]}, 1]]):
        with pytest.raises(protocol.ProtocolError):
            protocol.decode({"__dict__": body})


def test_float_decoder():
    assert math.isnan(protocol._read_float("nan", None, 0))
    assert protocol._read_float("-inf", None, 0) == -math.inf
    for body in ("NaN", "1.5", 1.5, ["nan"], None):
        with pytest.raises(protocol.ProtocolError):
            protocol._read_float(body, None, 0)


def test_scalar_decoder():
    assert same(protocol._read_scalar(["<i4", "BwAAAA=="], None, 0), np.int32(7))
    assert same(protocol._read_scalar(["|b1", "AQ=="], None, 0), np.True_)
    for body in (["<c16", "A" * 24], ["|O", "AAAAAAAAAAA="], ["<i4", "BwAA"], ["<i4"], ["|b1", "Ag=="],
                 ["float64", "AAAAAAAAAAA="], [["<f8"], "AAAAAAAAAAA="]):
        with pytest.raises(protocol.ProtocolError):
            protocol.decode({"__scalar__": body})


def test_array_decoder():
    assert same(protocol._read_array(["<f8", [], "C", "AAAAAAAA8D8="], protocol._Reader(8), 0), np.array(1.0))
    assert same(protocol.decode({"__nd__": ["<f8", [0, 5], "C", ""]}), np.zeros((0, 5)))
    with pytest.raises(protocol.ProtocolError):  # over the array budget: refused before decoding
        protocol._read_array(["<f8", [2], "C", "A" * 24], protocol._Reader(15), 0)
    for body in (
        ["<c16", [1], "C", "A" * 24], ["|O", [1], "C", "AAAAAAAAAAA="], ["|V8", [1], "C", "AAAAAAAAAAA="],
        ["<U1", [1], "C", "AAAAAA=="], ["<M8[D]", [1], "C", "AAAAAAAAAAA="], ["float64", [1], "C", "AAAAAAAAAAA="],
        ["<f8", [3], "C", "AAAA"],                # the bytes do not match the shape
        ["<f8", [1], "C", 12345], ["<f8", [1], "C", "!!!!!!!!!!!="], ["<f8", [1], "X", "AAAAAAAAAAA="],
        ["<f8", [10 ** 30], "C", ""], ["<f8", [-1], "C", ""], ["<f8", [True], "C", "AAAAAAAAAAA="],
        ["<f8", [1.0], "C", "AAAAAAAAAAA="], ["<f8", [1] * 33, "C", "AAAAAAAAAAA="],
        ["<f8", [2 ** 31 - 1] * 4, "C", ""],      # a huge shape claim: refused by the budget, nothing decoded
        ["|b1", [2], "C", "AQI="],                 # a boolean byte that is neither 0 nor 1
        ["<f8", [1], "C"], [["x"], [1], "C", ""],
    ):
        with pytest.raises(protocol.ProtocolError):
            protocol.decode({"__nd__": body})


@pytest.mark.parametrize("data", [
    {"__pickle__": "gASV"}, {"a": 1, "b": 2}, {"value": 1}, {"__nd__": ["<f8", [1], "AAAAAAAAAAA="]},
    b"bytes", {1, 2},
])
def test_decode_refuses_what_encode_never_makes(data):
    with pytest.raises(protocol.ProtocolError):
        protocol.decode(data)


def test_decode_refuses_nesting_past_the_limit():
    data = 1
    for _ in range(protocol.MAX_DEPTH + 2):
        data = [data]
    with pytest.raises(protocol.ProtocolError):
        protocol.decode(data)


# ------------------------------------------------------------------ the byte-level scan

def test_scan_counts_values_outside_strings_only():
    text = "[[[[,,,,::::{{{{" * 1000
    assert protocol.loads(json.dumps({"message": text}).encode(), protocol.Bounds(max_values=10)) == {"message": text}
    with pytest.raises(protocol.ProtocolError, match="values"):
        protocol.loads(json.dumps({"v": [0] * 11}).encode(), protocol.Bounds(max_values=10))
    digits = "7" * 5000  # a long run of digits inside a string is text, not a number
    assert protocol.loads(json.dumps({"s": digits}).encode(), protocol.REPLY) == {"s": digits}
    tricky = json.dumps({"m": 'a "quoted" \\ [ backslash', "v": [[[1]]]}).encode()
    assert protocol.loads(tricky, protocol.Bounds(max_json_depth=4))["v"] == [[[1]]]
    with pytest.raises(protocol.ProtocolError, match="nested"):
        protocol.loads(tricky, protocol.Bounds(max_json_depth=3))


@pytest.mark.parametrize("payload, words", [
    (b'{"v": ' + b"[" * 200 + b"]" * 200 + b"}", "nested"),
    (b'{"v": [' + b"[]," * 600_000 + b"[]]}", "values"),
    (b'{"v": ' + b"9" * 5000 + b"}", "digits"),
    (b'{"v": "\xc3\xa9"}', "ASCII"),
    (b'{"v": NaN}', "JSON"),
    (b'{"v": ]]]]]]}', "JSON"),
    (b'[1, 2]', "object"),
    (b'{"v": "unterminated [[[[}', "JSON"),
    (b"x" * (protocol.MAX_REPLY + 1), "byte limit"),
])
def test_loads_refuses_hostile_payloads(payload, words):
    with pytest.raises(protocol.ProtocolError, match=words):
        protocol.loads(payload, protocol.REPLY)


def test_pack_tells_a_sender_what_its_reader_would_refuse():
    small = protocol.Bounds(max_values=1000)
    with pytest.raises(ValueError, match="values"):
        protocol.pack({"value": protocol.encode([0.5] * 2000)}, bounds=small)
    assert protocol.pack({"value": protocol.encode([0.5] * 2000)})  # a request may be that large


def test_recv_refuses_an_oversized_header_without_reading_it():
    a, b = socket.socketpair()
    with a, b:
        a.sendall((protocol.MAX_REPLY + 1).to_bytes(4, "big"))
        with pytest.raises(protocol.ProtocolError, match="byte limit"):
            protocol.recv(b, timeout=1, bounds=protocol.REPLY)
        a.sendall((2000).to_bytes(4, "big"))
        with pytest.raises(protocol.ProtocolError, match="byte limit"):
            protocol.recv(b, timeout=1, max_size=1000)


def test_recv_reads_a_message_in_pieces():
    a, b = socket.socketpair()
    value = {"x": np.arange(300_000.0), "t": (np.float32(1), None)}
    frame = protocol.pack({"value": protocol.encode(value)})
    writer = threading.Thread(target=a.sendall, args=(frame,))
    with a, b:
        writer.start()
        message = protocol.recv(b, timeout=10, bounds=protocol.REPLY)
        writer.join()
    assert same(protocol.decode(message["value"], bounds=protocol.REPLY), value)


# ------------------------------------------------------------------ the grader's memory under attack

_MEASURE = textwrap.dedent("""
    import json, socket, sys, threading
    from gdkit.sandbox import protocol

    def status_kb(field):
        # VmHWM, not ru_maxrss: after fork+exec ru_maxrss still holds the parent's peak
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith(field + ":"))

    with open(sys.argv[1], "rb") as f:
        payload = f.read()  # one allocation of its size: the peak so far is about the current size
    a, b = socket.socketpair()
    a.settimeout(5)
    writer = threading.Thread(target=lambda: (a.sendall(len(payload).to_bytes(4, "big")), a.sendall(payload)),
                              daemon=True)
    before = status_kb("VmRSS")
    writer.start()
    try:
        message = protocol.recv(b, timeout=30, bounds=protocol.REPLY)
        protocol.decode(message.get("value"), bounds=protocol.REPLY)
        outcome = "read"
    except protocol.ProtocolError as exc:
        outcome = "refused: " + str(exc)
    peak = status_kb("VmHWM")
    print(json.dumps({"grew_mb": (peak - before) / 1024, "outcome": outcome}))
    b.close()
""")


def _reply(value: bytes) -> bytes:
    return b'{"ok":true,"value":' + value + b"}"


def _list_of(item: bytes, n: int) -> bytes:
    return b"[" + item * n + b"1]"


HOSTILE_PAYLOADS = {
    # the reply that took the grader to 2.1 GB: 45 MB of nested empty lists
    "45MB_nested_lists": lambda: _reply(_list_of(b"[],", 15 << 20)),
    # just under every bound: as many empty lists / floats / tagged values as a reply may hold
    "most_lists_allowed": lambda: _reply(_list_of(b"[],", protocol.REPLY.max_values // 2 - 10)),
    "most_floats_allowed": lambda: _reply(_list_of(b"0.1,", protocol.REPLY.max_values - 10)),
    "most_tagged_allowed": lambda: _reply(_list_of(b'{"__float__":"nan"},', protocol.REPLY.max_values // 3 - 10)),
    "too_many_lists": lambda: _reply(_list_of(b"[],", protocol.REPLY.max_values)),
    "deep_nesting": lambda: _reply(b"[" * (protocol.REPLY.max_values - 10) + b"]" * (protocol.REPLY.max_values - 10)),
    "strings_hiding_nothing": lambda: _reply(_list_of(b'"[[[[[[[[,,,,,,,,::::\\\\\\"",', 100000)),
    "huge_shape_claim": lambda: _reply(b'{"__nd__":["<f8",[2147483647,2147483647],"C","' + b"A" * (4 << 20) + b'"]}'),
    "base64_as_big_as_allowed": lambda: _reply(b'{"__nd__":["|u1",[6000000],"C","' + b"A" * 8000000 + b'"]}'),
    "many_small_arrays": lambda: _reply(_list_of(b'{"__nd__":["<f8",[1],"C","AAAAAAAAAAA="]},', 70000)),
    "long_string": lambda: _reply(b'"' + b"\\u0000" * (1 << 20) + b'"'),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(HOSTILE_PAYLOADS))
def test_a_hostile_reply_costs_the_grader_little_memory(name, tmp_path):
    """Measured in a fresh process: the grader's peak RSS (the kernel's high-water mark) while
    reading one hostile reply, over its RSS with the payload already in memory."""
    path = tmp_path / "payload"
    path.write_bytes(HOSTILE_PAYLOADS[name]())
    done = subprocess.run([sys.executable, "-c", _MEASURE, str(path)], capture_output=True, text=True, check=False,
                          timeout=120, env={**os.environ, "PYTHONPATH": SRC})
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    print(name, result)
    # 8 MB of reply read back in about 50 MB at worst (the old format: 45 MB -> 2 GB)
    assert result["grew_mb"] < 72, result
    if name.startswith(("45MB", "too_many", "deep", "huge")):
        assert result["outcome"].startswith("refused"), result
    if name.startswith(("most", "strings")):  # brackets and commas inside strings count for nothing
        assert result["outcome"] == "read", result


# ------------------------------------------------------------------ both directions through a real worker

@pytest.fixture(scope="module")
def worker():
    zygote = start_zygote()
    student = Student(zygote, [(0, textwrap.dedent("""
        import numpy as np
        def echo(*args, **kwargs):
            return args, kwargs
        def describe(value):
            # what the worker received, described in the worker
            out = {"type": type(value).__name__}
            if isinstance(value, (np.ndarray, np.generic)):
                out.update(dtype=value.dtype.str, shape=list(np.shape(value)))
            if isinstance(value, np.ndarray):
                out.update(fortran=bool(value.flags.f_contiguous and not value.flags.c_contiguous),
                           writeable=bool(value.flags.writeable))
            return out
        def big(n):
            return [[] for _ in range(n)]
        def complex_answer():
            return np.array([0.5]) + 1e-3j
        """))], limits=Limits(timeout=10.0))
    student.start()
    yield student
    student.close()
    zygote.close()


@pytest.mark.slow
@given(values)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
def test_a_real_worker_receives_and_returns_exactly_what_was_sent(worker, value):
    args, kwargs = worker.call("echo", value, key=value)
    assert same((value,), args) and same({"key": value}, kwargs)


@pytest.mark.parametrize("value", [np.array(0.5), np.float64(0.5), 0.5, np.bool_(True), np.array(True),
                                   np.int32(2), np.ones((2, 3), order="F")], ids=repr)
def test_the_worker_sees_the_suites_argument_as_it_is(worker, value):
    seen = worker.call("describe", value)
    assert seen["type"] == type(value).__name__
    if isinstance(value, (np.ndarray, np.generic)):
        assert seen["dtype"] == value.dtype.str and seen["shape"] == list(np.shape(value))
    if isinstance(value, np.ndarray):
        assert seen["writeable"] and seen["fortran"] == (value.ndim > 1 and not value.flags.c_contiguous)


@pytest.mark.slow
def test_a_reply_over_the_reply_bounds_is_ungradable_not_a_crash(worker):
    with pytest.raises(StudentRaised) as info:
        worker.call("big", protocol.REPLY.max_values)
    assert info.value.exc_type == "UngradableResult"
    assert worker.call("big", 3) == [[], [], []]


def test_a_complex_answer_is_ungradable(worker):
    with pytest.raises(StudentRaised) as info:
        worker.call("complex_answer")
    assert info.value.exc_type == "UngradableResult" and "complex" in info.value.message


@pytest.mark.slow
def test_a_worker_that_sends_a_flood_is_a_crash_of_its_own(worker):
    """A worker that writes its own oversized reply (bypassing the encoder) died, nothing more."""
    flood = Student(worker.zygote, [(0, textwrap.dedent("""
        import socket, gc
        def flood():
            for obj in gc.get_objects():
                if isinstance(obj, socket.socket) and obj.fileno() >= 0:
                    payload = b'{"ok":true,"value":[' + b"[]," * 2_000_000 + b'[]]}'
                    try:
                        obj.sendall(len(payload).to_bytes(4, "big") + payload)
                    except OSError:
                        pass
            return 1
        """))], limits=Limits(timeout=10.0))
    flood.start()
    try:
        with pytest.raises(WorkerDied) as info:
            flood.call("flood")
        assert info.value.reason == "crashed" and "values" in info.value.detail
    finally:
        flood.close()


def test_a_send_does_not_inherit_a_receive_deadline():
    """A receive leaves its deadline's remainder on the socket; a large message sent after it,
    to a peer that reads a moment later, must not time out for that (a spurious crash)."""
    import threading
    import time as _time

    a, b = socket.socketpair()
    try:
        protocol.send(a, {"n": 1})
        protocol.recv(b, timeout=0.001 + 1e-9)  # leaves ~1 ms on b
        big = {"x": "0" * (8 << 20)}  # 8 MB: more than the socket buffers hold
        got = []
        reader = threading.Thread(target=lambda: (_time.sleep(0.2), got.append(protocol.recv(a, timeout=30))))
        reader.start()
        protocol.send(b, big)
        reader.join(30)
        assert got and len(got[0]["x"]) == 8 << 20
        with pytest.raises(TimeoutError):  # and a send with a timeout of its own keeps to it
            protocol.send(b, big, timeout=0.05)
    finally:
        a.close()
        b.close()
