"""The wire format between the trusted grader and an untrusted worker.

A message is a 4-byte big-endian length followed by that many bytes of ASCII JSON (a JSON
object). Values inside a message are made by :func:`encode` and read back by :func:`decode`,
which returns exactly what was encoded: the same Python types, numpy scalar types, array
shapes, dtypes (byte order included) and memory order (C or Fortran).

| Python value                          | on the wire                                      |
|---------------------------------------|--------------------------------------------------|
| None, bool, int, str, finite float    | the JSON value itself                            |
| nan, inf, -inf                        | ``{"__float__": "nan"}``                         |
| list                                  | a JSON array                                     |
| tuple                                 | ``{"__tuple__": [...]}``                         |
| dict (any hashable keys)              | ``{"__dict__": [[key, value], ...]}``            |
| numpy scalar (np.float64, np.bool_..) | ``{"__scalar__": [dtype, base64 of its bytes]}`` |
| ndarray                               | ``{"__nd__": [dtype, shape, "C"/"F", base64]}``  |

Only real numbers and booleans cross as numpy data (dtype strings such as ``"<f8"``, ``"|b1"``):
no complex, object, structured, string or date dtypes, in either direction. ndarray subclasses
travel as plain arrays, subclasses of the builtin containers and scalars as their base type.

The grader reads bytes written by student-controlled code, so reading is bounded before anything
big is allocated (:class:`Bounds`): the byte size from the header, then a scan of the raw bytes
for the number of JSON values and the nesting depth, then, while decoding, a budget for array
bytes. Decoding never runs code and never unpickles. A hostile message costs the grader at most
a few times its (bounded) size in memory and is refused with :class:`ProtocolError`.
"""
from __future__ import annotations

import base64
import json
import math
import socket
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

MAX_MESSAGE = 64 * 1024 * 1024   # requests from the grader: inputs and the notebook's cells
MAX_REPLY = 8 * 1024 * 1024      # replies from a worker: answers, a training run's history
MAX_DEPTH = 32                   # nesting of Python containers in one value
MAX_DIGITS = 4300                # an int literal's digits (Python's own str->int default limit)
MAX_DIMS = 32                    # an array's number of dimensions
_MAX_DIM = 2 ** 31 - 1           # one dimension's length

_HEADER = struct.Struct(">I")

# Real numbers and booleans only: object arrays could smuggle code, and complex, structured,
# string or date values have no place in an answer about real-valued weights.
_REAL_TYPES = (np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32,
               np.uint64, np.float16, np.float32, np.float64, np.longdouble)
ALLOWED_DTYPES = frozenset(np.dtype(t).name for t in _REAL_TYPES)
# dtype string on the wire -> dtype; both byte orders, so an array comes back bit for bit.
WIRE_DTYPES = {d.str: d for t in _REAL_TYPES for d in (np.dtype(t).newbyteorder("<"), np.dtype(t).newbyteorder(">"))}
# What a refused array holds, in words: a fixed phrase, never the dtype's own text (a
# structured dtype's field names are the student's words).
_KIND_WORDS = {"c": "complex numbers", "O": "Python objects", "V": "structured records", "U": "strings",
               "S": "bytes", "M": "dates", "m": "time spans"}


class ProtocolError(Exception):
    """The peer sent something that is not a valid message (or too large a one)."""


class Timeout(Exception):
    """No complete message arrived before the deadline."""


class Closed(Exception):
    """The peer closed the connection (it exited or was killed)."""


@dataclass(frozen=True)
class Bounds:
    """What one message may cost its reader: checked before the costly step each bounds."""

    max_bytes: int = MAX_MESSAGE        # the JSON payload (checked against the header)
    max_values: int = 4_000_000         # JSON values: containers, numbers, strings (before parsing)
    max_json_depth: int = 3 * MAX_DEPTH + 32  # a dict level is 3 JSON levels; room for the envelope
    max_array_bytes: int = MAX_MESSAGE  # the sum of the decoded arrays' bytes

    def fit(self, max_bytes: int) -> Bounds:
        """These bounds with the byte limits lowered to ``max_bytes`` (never raised)."""
        return Bounds(min(self.max_bytes, max_bytes), self.max_values, self.max_json_depth,
                      min(self.max_array_bytes, max_bytes))


REQUEST = Bounds()
# A worker's reply: about 60 MB of Python objects at most (500,000 empty lists); honest answers
# (arrays as bytes, a history of a few thousand floats) are far below.
REPLY = Bounds(max_bytes=MAX_REPLY, max_values=500_000, max_array_bytes=MAX_REPLY)


# ---------------------------------------------------------------- encoding (Python -> JSON data)

def _encode_float(x: float) -> Any:
    if math.isfinite(x):
        return x
    return {"__float__": "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")}


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _refuse_dtype(dtype: np.dtype, what: str) -> None:
    if dtype.str not in WIRE_DTYPES:
        words = _KIND_WORDS.get(dtype.kind, "values that are not real numbers")
        raise TypeError(f"{what} of {words} cannot be graded")


def _container(depth: int) -> None:
    if depth > MAX_DEPTH:
        raise TypeError("value is nested too deeply")


def _encode_array(value: np.ndarray, _depth: int) -> dict:
    array = np.asarray(value)  # subclasses (matrix, masked, memmap) travel as plain arrays
    _refuse_dtype(array.dtype, "an array")
    order: Literal["C", "F"] = ("F" if array.ndim > 1 and array.flags.f_contiguous and not array.flags.c_contiguous
                                else "C")
    return {"__nd__": [array.dtype.str, list(array.shape), order, _b64(array.tobytes(order=order))]}


def _encode_scalar(value: np.generic, _depth: int) -> dict:
    _refuse_dtype(value.dtype, "a numpy value")
    return {"__scalar__": [value.dtype.str, _b64(value.tobytes())]}


def _encode_list(value: list, depth: int) -> list:
    _container(depth)
    if all(type(v) is float for v in value):  # error histories: the common, long case
        return [v if math.isfinite(v) else _encode_float(v) for v in value]
    return [encode(v, depth + 1) for v in value]


def _encode_tuple(value: tuple, depth: int) -> dict:
    _container(depth)
    return {"__tuple__": [encode(v, depth + 1) for v in value]}


def _encode_dict(value: dict, depth: int) -> dict:
    _container(depth)
    return {"__dict__": [[encode(k, depth + 1), encode(v, depth + 1)] for k, v in value.items()]}


def _same(value: Any, _depth: int) -> Any:
    return value


_ENCODERS: dict[type, Callable[[Any, int], Any]] = {
    type(None): _same, bool: _same, int: _same, str: _same,
    float: lambda value, _depth: _encode_float(value),
    list: _encode_list, tuple: _encode_tuple, dict: _encode_dict,
}
# A subclass of a builtin (an IntEnum, a namedtuple, an OrderedDict) travels as its base type.
_BASES: dict[type, Callable[[Any], Any]] = {
    int: int.__index__, float: float.__float__, list: list, tuple: tuple, dict: dict,
}


def _encoder(kind: type) -> Callable[[Any, int], Any]:
    found = _ENCODERS.get(kind)
    if found is not None:
        return found
    if issubclass(kind, np.ndarray):
        return _encode_array
    if issubclass(kind, str):  # np.str_ included: it is text, not numbers
        return lambda value, depth: str.__str__(value)
    if issubclass(kind, np.generic):
        return _encode_scalar
    for base in kind.__mro__:
        if base in _BASES:
            return _as_base(base)
    raise TypeError(f"a value of type {kind.__name__} cannot be graded")


def _as_base(base: type) -> Callable[[Any, int], Any]:
    convert, encoder = _BASES[base], _ENCODERS[base]
    return lambda value, depth: encoder(convert(value), depth)


def encode(value: Any, _depth: int = 0) -> Any:
    """Turn a value into JSON-ready data (see the module's table); TypeError for anything else.

    Containers may nest :data:`MAX_DEPTH` levels deep (the decoder's own limit).
    """
    return _encoder(type(value))(value, _depth)


# ---------------------------------------------------------------- decoding (JSON data -> Python)

class _Reader:
    """One decode: the recursion through containers and the running array-bytes budget."""

    def __init__(self, array_budget: int):
        self.array_budget = array_budget

    def value(self, data: Any, depth: int) -> Any:
        kind = type(data)
        if kind in _PLAIN:
            return data
        if depth > MAX_DEPTH:  # as the encoder: only containers count
            raise ProtocolError("message nested too deeply")
        if kind is list:
            return [self.value(v, depth + 1) for v in data]
        if kind is dict and len(data) == 1:
            (tag, body), = data.items()
            reader = _TAGS.get(tag)
            if reader is not None:
                return reader(body, self, depth)
            raise ProtocolError("unknown tag in message")
        raise ProtocolError("unexpected object in message")

    def spend(self, nbytes: int) -> None:
        if nbytes > self.array_budget:
            raise ProtocolError("arrays larger than the message allows")
        self.array_budget -= nbytes


_PLAIN = frozenset([type(None), bool, int, float, str])


def _fields(body: Any, n: int) -> list:
    if type(body) is not list or len(body) != n:
        raise ProtocolError("bad tagged value")
    return body


def _items(body: Any) -> list:
    if type(body) is not list:
        raise ProtocolError("bad tagged value")
    return body


def _dtype(name: Any) -> np.dtype:
    dtype = WIRE_DTYPES.get(name) if type(name) is str else None
    if dtype is None:
        raise ProtocolError("dtype not allowed")
    return dtype


def _raw(b64: Any, nbytes: int, dtype: np.dtype) -> bytes:
    """The bytes of ``nbytes`` from base64, its length checked before decoding anything."""
    if type(b64) is not str or len(b64) != 4 * -(-nbytes // 3):
        raise ProtocolError("array size does not match its shape")
    raw = base64.b64decode(b64, validate=True)
    if len(raw) != nbytes:
        raise ProtocolError("array size does not match its shape")
    if dtype.kind == "b" and raw.translate(None, b"\x00\x01"):
        raise ProtocolError("a boolean that is neither 0 nor 1")  # numpy would misbehave on it
    return raw


def _read_tuple(body: Any, reader: _Reader, depth: int) -> tuple:
    return tuple(reader.value(v, depth + 1) for v in _items(body))


def _read_dict(body: Any, reader: _Reader, depth: int) -> dict:
    out: dict = {}
    for pair in _items(body):
        key, value = _fields(pair, 2)
        key = reader.value(key, depth + 1)
        try:
            taken = key in out
        except TypeError:
            raise ProtocolError("unhashable dict key") from None
        if taken:
            raise ProtocolError("duplicate dict key")
        out[key] = reader.value(value, depth + 1)
    return out


def _read_float(body: Any, _reader: _Reader, _depth: int) -> float:
    if type(body) is not str or body not in ("nan", "inf", "-inf"):
        raise ProtocolError("bad special float")
    return float(body)


def _read_scalar(body: Any, _reader: _Reader, _depth: int) -> np.generic:
    name, b64 = _fields(body, 2)
    dtype = _dtype(name)
    return np.frombuffer(_raw(b64, dtype.itemsize, dtype), dtype=dtype)[0]


def _read_array(body: Any, reader: _Reader, _depth: int) -> np.ndarray:
    name, shape, order, b64 = _fields(body, 4)
    dtype = _dtype(name)
    if (type(shape) is not list or len(shape) > MAX_DIMS
            or not all(type(n) is int and 0 <= n <= _MAX_DIM for n in shape)):
        raise ProtocolError("bad array shape")
    if type(order) is not str or order not in ("C", "F"):
        raise ProtocolError("bad array order")
    nbytes = math.prod(shape) * dtype.itemsize
    reader.spend(nbytes)
    raw = _raw(b64, nbytes, dtype)
    # A copy that owns its memory and keeps the sender's order: writable like any fresh array.
    return np.frombuffer(raw, dtype=dtype).reshape(tuple(shape), order="F" if order == "F" else "C").copy(order="K")


_TAGS: dict[str, Callable[[Any, _Reader, int], Any]] = {
    "__tuple__": _read_tuple, "__dict__": _read_dict, "__float__": _read_float,
    "__scalar__": _read_scalar, "__nd__": _read_array,
}


def decode(data: Any, *, bounds: Bounds = REQUEST) -> Any:
    """Inverse of :func:`encode`, validating as it goes (the data may be hostile).

    Raises only ProtocolError: whatever shape the data has (a list where a dtype name should
    be, bad base64, an unhashable key), the grader gets one exception to handle.
    """
    try:
        return _Reader(bounds.max_array_bytes).value(data, 0)
    except ProtocolError:
        raise
    except (TypeError, ValueError, OverflowError, RecursionError, MemoryError) as exc:
        raise ProtocolError(f"malformed data ({type(exc).__name__})") from None


# ---------------------------------------------------------------- framing and the byte-level scan

# The bytes the scan looks at: string delimiters, structure and digits. Every other byte is
# dropped before the scan's arrays are made, so honest payloads (mostly base64) cost little.
_KEPT = b'"[]{},:0123456789'
_DROPPED = bytes(sorted(set(range(256)) - set(_KEPT)))
_NOT_BRACKETS = bytes(sorted(set(range(256)) - set(b"[]{}")))
_STEP = np.zeros(256, dtype=np.int8)
_STEP[list(b"[{")] = 1
_STEP[list(b"]}")] = -1
_DIGIT_OR_NOT = bytes(0x30 if c in b"0123456789" else 0x20 for c in range(256))  # digits -> "0", else " "
_LONG_NUMBER = b"0" * (MAX_DIGITS + 1)


def _long_number(data: bytes | bytearray) -> bool:
    """Whether ``data`` holds a run of more than MAX_DIGITS digits (C loops, not a regex)."""
    return len(data) > MAX_DIGITS and _LONG_NUMBER in data.translate(_DIGIT_OR_NOT)


def _outside_strings(payload: bytes | bytearray) -> bytes:
    """The payload's structural bytes and digits outside JSON strings, in order.

    Brackets, commas and digits inside a string count for nothing, and nothing json.loads
    reads as structure can hide in what this takes for a string. C loops only; at most about
    three copies of the payload exist at once, whatever it holds.
    """
    # Escapes first, as JSON reads them left to right: escaped backslashes, then escaped quotes;
    # every quote left delimits a string.
    kept = np.frombuffer(payload.replace(b"\\\\", b"").replace(b'\\"', b"").translate(None, _DROPPED),
                         dtype=np.uint8)
    outside = (kept == ord('"')).view(np.uint8)
    np.bitwise_xor.accumulate(outside, out=outside)  # 1 from an opening quote up to its closing one
    np.logical_not(outside, out=outside.view(bool))
    return kept[outside.view(bool)].tobytes()


def _counts(data: bytes | bytearray) -> tuple[int, int, int]:
    """(values, opening brackets, closing brackets) counted in ``data``."""
    opened = data.count(b"[") + data.count(b"{")
    # Every JSON value but the first follows one of these: ",", ":", "[" or "{".
    return 1 + data.count(b",") + data.count(b":") + opened, opened, data.count(b"]") + data.count(b"}")


def scan(payload: bytes | bytearray, bounds: Bounds) -> None:
    """Refuse a payload over ``bounds`` before it is parsed; ProtocolError says which bound.

    Counted on the raw bytes first: those counts bound the real ones from above (brackets
    inside strings count too), and nesting cannot be deeper than the number of brackets, so
    most messages are done here. Otherwise the exact count, outside strings, decides.
    Costs a few copies of the payload's bytes at most, whatever the payload holds.
    """
    if len(payload) > bounds.max_bytes:
        raise ProtocolError(f"message of {len(payload)} bytes is over the {bounds.max_bytes} byte limit")
    if not payload.isascii():
        raise ProtocolError("message is not ASCII JSON")
    values, opened, _ = _counts(payload)
    if values <= bounds.max_values and opened <= bounds.max_json_depth and not _long_number(payload):
        return
    outside = _outside_strings(payload)
    values, opened, closed = _counts(outside)
    if values > bounds.max_values:
        raise ProtocolError(f"message holds more than {bounds.max_values} values")
    if closed != opened:
        raise ProtocolError("message is not valid JSON (unbalanced brackets)")
    if _long_number(outside):
        raise ProtocolError(f"a number of more than {MAX_DIGITS} digits")
    # At most 2 x max_values brackets are left by now: the running depth is cheap.
    steps = _STEP[np.frombuffer(outside.translate(None, _NOT_BRACKETS), dtype=np.uint8)]
    depth = int(np.cumsum(steps, dtype=np.int32).max(initial=0))
    if depth > bounds.max_json_depth:
        raise ProtocolError(f"message nested deeper than {bounds.max_json_depth} levels")


def loads(payload: bytes | bytearray, bounds: Bounds = REQUEST) -> dict:
    """Parse one message's payload within ``bounds``; ProtocolError otherwise."""
    scan(payload, bounds)
    try:
        message = json.loads(payload, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as exc:
        raise ProtocolError(f"message is not valid JSON ({type(exc).__name__})") from None
    if not isinstance(message, dict):
        raise ProtocolError("message is not an object")
    return message


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # the encoder sends nan and inf as tagged values


def _json_default(_: Any) -> Any:
    raise TypeError("not JSON")


def pack(message: dict, *, bounds: Bounds | None = None) -> bytes:
    """Frame a message (already made of plain data, e.g. via :func:`encode`).

    ValueError when it is over the size limit, or over ``bounds`` (the reader's, given so a
    sender learns of a message its reader would refuse).
    """
    payload = json.dumps(message, default=_json_default, allow_nan=False,
                         separators=(",", ":")).encode("ascii")
    if len(payload) > MAX_MESSAGE:
        raise ValueError(f"message of {len(payload)} bytes is over the {MAX_MESSAGE} byte limit")
    if bounds is not None:
        try:
            scan(payload, bounds)
        except ProtocolError as exc:
            raise ValueError(str(exc)) from None
    return _HEADER.pack(len(payload)) + payload


def send(sock: socket.socket, message: dict, *, bounds: Bounds | None = None, timeout: float | None = None) -> None:
    """Send one framed message within ``timeout`` seconds (None: blocking); ValueError as
    :func:`pack`, TimeoutError when the peer does not read it in time. The socket's timeout is
    set here: a receive leaves its last deadline's remainder on the socket, and a large message
    sent under it would fail for no fault of the peer."""
    data = pack(message, bounds=bounds)
    sock.settimeout(timeout)
    sock.sendall(data)


def _recv_exact(sock: socket.socket, n: int, deadline: float | None) -> bytearray:
    buffer, got = bytearray(n), 0
    view = memoryview(buffer)
    while got < n:
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise Timeout()
            sock.settimeout(remaining)
        else:
            sock.settimeout(None)
        try:
            count = sock.recv_into(view[got:], min(n - got, 1 << 20))
        except TimeoutError:  # socket.timeout
            raise Timeout() from None
        except (ConnectionResetError, BrokenPipeError):
            raise Closed() from None
        if not count:
            raise Closed()
        got += count
    view.release()
    return buffer


def recv(sock: socket.socket, timeout: float | None = None, max_size: int = MAX_MESSAGE, *,
         bounds: Bounds = REQUEST) -> dict:
    """Receive one framed message as a dict; Timeout, Closed or ProtocolError otherwise.

    The message must fit ``bounds`` with its byte limit lowered to ``max_size``; a worker's
    reply is read with ``bounds=REPLY``.
    """
    bounds = bounds.fit(max_size)
    deadline = None if timeout is None else time.monotonic() + timeout
    (size,) = _HEADER.unpack(_recv_exact(sock, _HEADER.size, deadline))
    if size > bounds.max_bytes:
        raise ProtocolError(f"message of {size} bytes is over the {bounds.max_bytes} byte limit")
    return loads(_recv_exact(sock, size, deadline), bounds)
