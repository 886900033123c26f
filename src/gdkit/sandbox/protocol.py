"""The wire format between the trusted grader and an untrusted worker.

A message is a 4-byte big-endian length followed by that many bytes of JSON. Arrays travel as
dtype, shape and base64 of their raw bytes. Decoding never runs code and never unpickles: the
grader reads bytes written by student-controlled code, so only plain data may come out of it,
with a hard cap on size so a flood cannot exhaust the grader's memory.

Tagged forms (a JSON object with one reserved key): ``{"__nd__": [dtype, shape, b64]}``,
``{"__tuple__": [...]}``, ``{"__dict__": [[key, value], ...]}``, ``{"__float__": "nan"}``.
"""
from __future__ import annotations

import base64
import json
import math
import socket
import struct
import time

import numpy as np

MAX_MESSAGE = 64 * 1024 * 1024
# Only plain numeric dtypes may cross: an object array would be a way to smuggle code.
ALLOWED_DTYPES = frozenset(
    ["bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
     "float16", "float32", "float64", "complex64", "complex128"]
)
_HEADER = struct.Struct(">I")
_MAX_DEPTH = 32


class ProtocolError(Exception):
    """The peer sent something that is not a valid message (or too large a one)."""


class Timeout(Exception):
    """No complete message arrived before the deadline."""


class Closed(Exception):
    """The peer closed the connection (it exited or was killed)."""


def _encode_float(x: float):
    if math.isfinite(x):
        return x
    return {"__float__": "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")}


def encode(value, _depth=0):
    """Turn a value into JSON-ready data. Raises TypeError for anything not plain data."""
    if _depth > _MAX_DEPTH:
        raise TypeError("value is nested too deeply")
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return _encode_float(float(value))
    if isinstance(value, np.ndarray):
        array = np.ascontiguousarray(value)
        if array.dtype.name not in ALLOWED_DTYPES:
            raise TypeError(f"an array of dtype {array.dtype} cannot be graded")
        return {"__nd__": [array.dtype.name, list(array.shape),
                           base64.b64encode(array.tobytes()).decode("ascii")]}
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v, _depth + 1) for v in value]}
    if isinstance(value, list):
        if all(type(v) is float for v in value):  # error histories: the common, long case
            return [v if math.isfinite(v) else _encode_float(v) for v in value]
        return [encode(v, _depth + 1) for v in value]
    if isinstance(value, dict):
        return {"__dict__": [[encode(k, _depth + 1), encode(v, _depth + 1)] for k, v in value.items()]}
    raise TypeError(f"a value of type {type(value).__name__} cannot be graded")


def decode(data):
    """Inverse of :func:`encode`, validating as it goes (the data may be hostile).

    Raises only ProtocolError: whatever shape the data has (a list where a dtype name should
    be, bad base64, an unhashable key), the grader gets one exception to handle.
    """
    try:
        return _decode(data)
    except ProtocolError:
        raise
    except (TypeError, ValueError, OverflowError, RecursionError, MemoryError) as exc:
        raise ProtocolError(f"malformed data ({type(exc).__name__})") from None


def _decode(data, _depth=0):
    if _depth > _MAX_DEPTH:
        raise ProtocolError("message nested too deeply")
    if data is None or isinstance(data, (bool, int, float, str)):
        return data
    if isinstance(data, list):
        return [_decode(v, _depth + 1) for v in data]
    if not isinstance(data, dict) or len(data) != 1:
        raise ProtocolError("unexpected object in message")
    (tag, body), = data.items()
    if tag == "__tuple__" and isinstance(body, list):
        return tuple(_decode(v, _depth + 1) for v in body)
    if tag == "__dict__" and isinstance(body, list):
        out = {}
        for pair in body:
            if not (isinstance(pair, list) and len(pair) == 2):
                raise ProtocolError("bad dict entry")
            key = _decode(pair[0], _depth + 1)
            if not isinstance(key, (str, int, float, bool, type(None), tuple)):
                raise ProtocolError("unhashable dict key")
            out[key] = _decode(pair[1], _depth + 1)
        return out
    if tag == "__float__" and body in ("nan", "inf", "-inf"):
        return float(body)
    if tag == "__nd__" and isinstance(body, list) and len(body) == 3:
        dtype, shape, b64 = body
        if dtype not in ALLOWED_DTYPES:
            raise ProtocolError(f"array dtype {dtype!r} not allowed")
        if not (isinstance(shape, list) and all(isinstance(n, int) and n >= 0 for n in shape)):
            raise ProtocolError("bad array shape")
        raw = base64.b64decode(b64, validate=True)
        if math.prod(shape) * np.dtype(dtype).itemsize != len(raw):
            raise ProtocolError("array size does not match its shape")
        return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()
    raise ProtocolError(f"unknown tag {tag!r}")


def _json_default(_):
    raise TypeError("not JSON")


def pack(message: dict) -> bytes:
    """Frame a message (already made of plain data, e.g. via :func:`encode`)."""
    payload = json.dumps(message, default=_json_default, allow_nan=False,
                         separators=(",", ":")).encode("utf-8")
    if len(payload) > MAX_MESSAGE:
        raise ValueError(f"message of {len(payload)} bytes is over the {MAX_MESSAGE} byte limit")
    return _HEADER.pack(len(payload)) + payload


def send(sock: socket.socket, message: dict) -> None:
    """Send one framed message (blocking)."""
    sock.sendall(pack(message))


def _recv_exact(sock: socket.socket, n: int, deadline: float | None) -> bytes:
    chunks, got = [], 0
    while got < n:
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise Timeout()
            sock.settimeout(remaining)
        else:
            sock.settimeout(None)
        try:
            chunk = sock.recv(min(n - got, 1 << 20))
        except socket.timeout:
            raise Timeout() from None
        except (ConnectionResetError, BrokenPipeError):
            raise Closed() from None
        if not chunk:
            raise Closed()
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def recv(sock: socket.socket, timeout: float | None = None, max_size: int = MAX_MESSAGE) -> dict:
    """Receive one framed message as a dict; Timeout, Closed or ProtocolError otherwise."""
    deadline = None if timeout is None else time.monotonic() + timeout
    (size,) = _HEADER.unpack(_recv_exact(sock, _HEADER.size, deadline))
    if size > max_size:
        raise ProtocolError(f"message of {size} bytes is over the {max_size} byte limit")
    payload = _recv_exact(sock, size, deadline)
    try:
        message = json.loads(payload)
    except (ValueError, RecursionError) as exc:
        raise ProtocolError(f"message is not valid JSON: {exc}") from None
    if not isinstance(message, dict):
        raise ProtocolError("message is not an object")
    return message
