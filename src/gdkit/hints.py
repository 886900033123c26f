"""What `gdkit check` says beyond pass and fail, without the hidden suite.

Two findings, each said only when it is what was found:

- **A function that already fails elsewhere.** A visible test that calls a function of another
  question (directly, or through the notebook's given code: the q5 cell calls ``train``, which
  calls the functions of q1-q4 and q6) is named with that function when the other question's
  own visible test fails: the failure may follow from it. Found from the notebook's code alone
  (read with :mod:`ast`, never run here), so it works with only the release at hand.
- **A known mistake** (a course checkout only: ``autograder/<assignment>/`` with ``public.py``
  and ``bugzoo.py``, which a student who was handed the release does not have). For a failed
  question with a public example, the student's function is called on that example and on a
  variant of it (every float mapped by ``0.8 x + 0.05``: public too); a bug-zoo entry is named
  with its hint when it, and no other, behaves like the student's code on both, as the hidden
  suites name a mistake on a hidden input and the public example.
"""
from __future__ import annotations

import ast
from pathlib import Path

import numpy as np


# ------------------------------------------------------------------ functions failing elsewhere

def _names(source: str) -> tuple[set[str], dict[str, set[str]]]:
    """(names a piece of code reads, {function it defines: names its body reads})."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return set(), {}
    read = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    defined = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            defined[node.name] = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
    return read, defined


def dependencies(cells: list[tuple[int, str]], tests: dict[str, str],
                 graded: set[str]) -> dict[str, list[tuple[str, str]]]:
    """{question: [(function, the question it belongs to), ...]} for each visible test that uses,
    directly or through other functions (given code included), a graded function that belongs
    to another question: the question whose visible test calls it first.

    ``cells``: the notebook's code cells [(index, source)]; ``tests``: {question: visible test
    source}, in notebook order; ``graded``: the functions students write (nbgrader's solution
    cells), as opposed to the given code (``train``, ``sigmoid``), which belongs to no question.
    """
    bodies: dict[str, set[str]] = {}
    for _, source in cells:
        bodies.update(_names(source)[1])  # the last definition wins, as when the cells run
    direct = {qid: _names(source)[0] & set(bodies) for qid, source in tests.items()}
    owner: dict[str, str] = {}
    for qid, names in direct.items():
        for name in sorted(names & graded):
            owner.setdefault(name, qid)
    found = {}
    for qid, names in direct.items():
        seen, todo = set(), list(names)
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            todo += [n for n in bodies.get(name, ()) if n in bodies]
        uses = sorted((name, owner[name]) for name in seen if owner.get(name, qid) != qid)
        if uses:
            found[qid] = uses
    return found


def solution_functions(nb) -> set[str]:
    """The functions defined in a notebook's nbgrader solution cells (what students write)."""
    names: set[str] = set()
    for cell in nb.get("cells", []):
        meta = (cell.get("metadata") or {}).get("nbgrader") or {}
        if cell.get("cell_type") == "code" and meta.get("solution"):
            source = cell.get("source", "")
            names |= set(_names("".join(source) if isinstance(source, list) else str(source))[1])
    return names


def failing_elsewhere(cells, tests: dict[str, str], failed: set[str], graded: set[str]) -> dict[str, str]:
    """{failed question: one line naming the functions it uses whose own question fails too}.

    Only the first cause is named: a question whose own failure is explained by another one's
    function (q2's test fails because q2's function calls a wrong q1 function) is left out of
    the list of a third question that uses both."""
    order = {qid: n for n, qid in enumerate(tests)}
    culprits = {qid: [(name, owner) for name, owner in uses if owner in failed]
                for qid, uses in dependencies(cells, tests, graded).items() if qid in failed}
    culprits = {qid: found for qid, found in culprits.items() if found}
    out = {}
    for qid, found in culprits.items():
        first = [(name, owner) for name, owner in found if owner not in culprits] or found
        first.sort(key=lambda pair: (order.get(pair[1], 0), pair[0]))
        named = [f"`{name}` ({owner})" for name, owner in first]
        listed = named[0] if len(named) == 1 else ", ".join(named[:-1]) + " and " + named[-1]
        verb = ("fails its own visible test: fix that first" if len(named) == 1
                else "fail their own visible tests: fix those first")
        out[qid] = f"this test uses {listed}, which {verb}; this failure may follow from it"
    return out


# ------------------------------------------------------------------ known mistakes (course checkout)

def variant(value):
    """``value`` with every float mapped by 0.8 x + 0.05 (ints, bools, keys and shapes kept);
    None when nothing changed."""
    changed = False

    def walk(v):
        nonlocal changed
        if isinstance(v, np.ndarray) and v.dtype.kind == "f":
            changed = changed or v.size > 0
            return np.round(v * 0.8 + 0.05, 6)
        if isinstance(v, (float, np.floating)) and not isinstance(v, bool):
            changed = True
            return type(v)(round(float(v) * 0.8 + 0.05, 6))
        if isinstance(v, (list, tuple)):
            return type(v)(walk(x) for x in v)
        if isinstance(v, dict):
            return {k: walk(x) for k, x in v.items()}
        return v

    out = walk(value)
    return out if changed else None


class _Direct:
    """The student's worker as a public example asks it: no hidden input ever reaches a check's
    worker, so the examples need no twin."""

    def __init__(self, student):
        self.student = student

    def call(self, name, *args):
        return self.student.call(name, *args)


def known_mistakes(student, suite_dir: Path, failed: list[str]) -> dict[str, str]:
    """{failed question: 'likely mistake: NAME. Hint: ...'} from the course's bug zoo, for the
    questions whose public example (``public.py``: ``<q>_example(student)``, <q> the id's part
    before the first underscore) tells it; {} without the course's files."""
    public_file, zoo_file = Path(suite_dir) / "public.py", Path(suite_dir) / "bugzoo.py"
    if not (public_file.is_file() and zoo_file.is_file()):
        return {}  # (before the imports: a student's kit has no bug-zoo matcher)
    from gdkit.grading.checks import Outcome
    from gdkit.grading.diagnose import Diagnoser, load_module, same_outcome
    from gdkit.sandbox.client import MissingFunction, StudentRaised, WorkerDied
    public = load_module(public_file, "public")
    zoo = Diagnoser.from_file(zoo_file)
    out = {}
    for qid in failed:
        make = getattr(public, f"{qid.split('_', 1)[0]}_example", None)
        if not callable(make):
            continue
        example = make(_Direct(student))
        shown = example.outcome()
        if shown is None or same_outcome(shown, Outcome(value=example.expected)):
            continue  # right on the public example: nothing to name from it
        args = variant(example.args)
        if args is None:
            continue
        try:
            seen = Outcome(value=student.call(example.function, *args))
        except StudentRaised as exc:
            seen = Outcome(exc_type=exc.exc_type, message=exc.message)
        except (WorkerDied, MissingFunction):
            continue
        found = zoo.identify(example.function, args, seen, example=example)
        if found:
            out[qid] = f"likely mistake: {found[0]}. Hint: {found[1]}"
    return out
