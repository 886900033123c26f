"""One submission's workers (gdkit.grading.student.Student): never two alive at a time.

Two live processes always share a channel (here: locks on a file both may read), so the
handle keeps one worker of a submission alive at a time: the training loop runs in a worker
that answers nothing else, direct calls after it go to a fresh one, a worker that was sent
grader code answers nothing else, and the public twin answers first and is closed before any
other starts.
Each test here watches that through the student's own code, as an attacker would.
"""
import collections
import textwrap

import numpy as np
import pytest

from gdkit import network as ref
from gdkit.grading.checks import PublicTooEarly
from gdkit.grading.student import Student, start_zygote
from gdkit.sandbox import client
from gdkit.sandbox.limits import Limits

# A lock on a file of the standard library every worker may read: held by one process, seen
# by any other alive at the same time, and gone with the process that held it.
LOCKS = textwrap.dedent("""
    import fcntl, os
    import numpy as np
    _FILE = os.path.join(os.path.dirname(os.__file__), "os.py")
    _KEEP = []

    def hold():
        if _KEEP:
            return True
        fd = os.open(_FILE, os.O_RDONLY)
        fcntl.flock(fd, fcntl.LOCK_EX)
        _KEEP.append(fd)
        return True

    def held():  # by another process (a lock of our own is not "held" for this question)
        if _KEEP:
            return False
        fd = os.open(_FILE, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            fcntl.flock(fd, fcntl.LOCK_UN)
            return False
        except BlockingIOError:
            return True
        finally:
            os.close(fd)

    def sigmoid_output_to_derivative(output):
        return output * (1 - output)

    def compute_layer_2_delta(layer_2, y):
        if held():  # another worker of this submission is alive
            raise RuntimeError("another worker is alive")
        hold()  # and this one holds the lock from now on
        return (layer_2 - y) * sigmoid_output_to_derivative(layer_2)

    def compute_layer_1_delta(layer_2_delta, synapse_1, layer_1):
        return layer_2_delta.dot(synapse_1.T) * sigmoid_output_to_derivative(layer_1)

    def update_synapses(synapse_0, synapse_1, layer_0, layer_1, layer_1_delta, layer_2_delta, alpha):
        return (synapse_0 - alpha * layer_0.T.dot(layer_1_delta), synapse_1 - alpha * layer_1.T.dot(layer_2_delta))
""")


@pytest.fixture(scope="module")
def zygote():
    z = start_zygote()
    yield z
    z.close()


@pytest.fixture()
def spawns(monkeypatch):
    """How many worker processes each kind of handle started."""
    counts = collections.Counter()
    original = client.Worker._spawn

    def counting(self):
        counts[type(self).__name__] += 1
        return original(self)

    monkeypatch.setattr(client.Worker, "_spawn", counting)
    return counts


def student(zygote, source=LOCKS):
    s = Student(zygote, [(0, source)], limits=Limits(timeout=5.0))
    s.start()
    return s


def toy_run(s, **kw):
    return s.train(ref.X, ref.y, 10, 4, 3, 1, **kw)


def test_the_loop_never_runs_next_to_a_worker_that_answered_calls(zygote):
    s = student(zygote)
    try:
        assert s.call("hold") is True  # the main worker holds the lock
        run = toy_run(s)  # would raise if the main worker were still alive
        assert len(run["errors"]) == 3
        assert s.call("held") is False  # the training worker (which held it) is gone too
    finally:
        s.close()


def test_the_public_twin_answers_first_and_is_gone_before_any_other_worker(zygote):
    s = Student(zygote, [(0, LOCKS)], limits=Limits(timeout=5.0))
    try:
        s.prefetch([("held", (), False), ("hold", (), False)])  # the twin takes the lock, then is closed
        s.start()
        assert s.call("held") is False  # so the main worker never saw it alive
        s.call("hold")
        with pytest.raises(PublicTooEarly):  # read as checks settle, once the workers are closed
            s.public_outcome("held", ())
        with pytest.raises(RuntimeError):  # only as the submission's first worker
            s.prefetch([("held", (), False)])
        s.close()
        assert s.public_outcome("held", ()).value is False  # answered before the main worker existed
        assert s.public_outcome("hold", ()).value is True
        late = s.public_outcome("compute_layer_2_delta", (np.ones(1), np.zeros(1)))
        assert late.available is False  # never prefetched: not asked now that hidden inputs existed
        assert s.public_missed == ["compute_layer_2_delta"] and s.public_ran
        with pytest.raises(PublicTooEarly):  # closed: nothing runs from now on
            s.call("held")
        with pytest.raises(PublicTooEarly):
            toy_run(s)
    finally:
        s.close()


def test_the_first_worker_runs_the_loop_when_that_is_its_first_request(zygote, spawns):
    s = student(zygote)
    try:
        toy_run(s, public=True)
        toy_run(s)
        assert dict(spawns) == {"Student": 1}  # the loaded worker ran both runs
        s.call("held")
        assert dict(spawns) == {"Student": 2}  # a fresh one answers calls after the loop
        s.call("held")
        toy_run(s)
        assert dict(spawns) == {"Student": 2, "_Remembering": 1}  # a training worker of its own
        s.call("held")
        assert dict(spawns) == {"Student": 3, "_Remembering": 1}
    finally:
        s.close()


def test_a_public_run_is_the_first_thing_a_fresh_worker_does(zygote, spawns):
    s = student(zygote)
    try:
        toy_run(s)             # a hidden run first
        toy_run(s, public=True)
        assert spawns["_Remembering"] == 1  # the worker that ran the hidden run does not run the public one
        toy_run(s)
        toy_run(s, public=True)
        assert spawns["_Remembering"] == 2
    finally:
        s.close()


GRADER_CODE = textwrap.dedent("""
    import sys
    _STOLEN = {}

    def slope(x):
        return x * (1 + x)  # the student's (wrong) helper

    def uses_slope(x):
        helper = globals()["slope"]
        if helper.__code__.co_filename == "<grader>":
            _STOLEN["slope"] = helper  # the grader's code, kept for later
        return helper(x)

    def later(x):
        return _STOLEN["slope"](x) if "slope" in _STOLEN else "nothing kept"
""")


def test_a_worker_that_was_sent_grader_code_answers_nothing_else(zygote, spawns):
    s = student(zygote, GRADER_CODE)
    try:
        reference = {"slope": "def slope(x):\n    return x * (1 - x)\n"}
        assert s.call("uses_slope", 0.5, substitute=reference) == 0.25
        assert s.call("uses_slope", 0.25, substitute=reference) == 0.1875  # the same worker, still substituted
        assert spawns["Student"] == 1
        assert s.call("later", 0.5) == "nothing kept"  # a fresh worker: the grader's code is gone
        assert spawns["Student"] == 2
    finally:
        s.close()


INPUTS = textwrap.dedent("""
    import sys
    import numpy as np

    def honest(output):
        return output * (1 - output)

    def in_place(output):
        output *= 1 - output
        return output

    def put_back(output):
        # Changes the caller's array, then puts an untouched copy into the argument list the
        # worker would send back: the watcher compares the very array it passed.
        frame = sys._getframe(1)
        kept = output.copy()
        output *= 1 - output
        for holder in (frame.f_locals.get("args"), frame.f_locals.get("kept")):
            if isinstance(holder, list) and holder and holder[0] is output:
                holder[0] = kept
        return output

    def restores(output):
        kept = output.copy()
        output *= 1 - output
        answer = output.copy()
        output[...] = kept  # the caller's array as it was: not a change
        return answer

    def appends(errors):
        errors.append(0.0)
        return False

    def reshapes(output):
        output.shape = (-1,)
        return 0.0
""")


def test_the_input_watcher_sees_changes_the_function_hides(zygote):
    s = student(zygote, INPUTS)
    values = np.array([[0.2, 0.5], [0.9, 0.1]])
    try:
        for name, changed in (("honest", False), ("in_place", True), ("put_back", True), ("restores", False),
                              ("reshapes", True)):
            value, flags = s.call(name, values.copy(), watch_inputs=True)
            assert flags == [changed], name
        assert s.call("appends", [0.5, 0.4], watch_inputs=True) == (False, [True])
        assert np.array_equal(values, [[0.2, 0.5], [0.9, 0.1]])  # the grader's array never moves
    finally:
        s.close()
