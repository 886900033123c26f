"""`gdkit validate`: prove an assignment's hidden suite grades what it should.

From the student release it builds, with real nbgrader notebooks and the real runner:
- the master answers everywhere (must score full marks),
- the blank release (must score 0),
- every other correct style of ``autograder/<name>/styles.py`` (full marks),
- every bug of ``autograder/<name>/bugzoo.py`` with master answers elsewhere: the bug must
  lose points on its own question ("caught") and nothing on any other question except those
  it declares in ``also_loses`` (otherwise it is a "false failure").
"""
from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from gdkit import assignments
from gdkit.errors import GdkitError
from gdkit.grading.diagnose import load_styles, load_zoo
from gdkit.record import Record
from gdkit.sandbox.limits import DEFAULT, Limits

EPSILON = 1e-6  # points are floats split by weights: compare with a little slack


@dataclass
class Case:
    """One notebook to grade and what must happen to it."""

    student: str
    kind: str                 # master, blank, style or bug
    label: str
    question: str = ""        # the bug's own question
    may_lose: tuple = ()      # questions a bug may also cost


@dataclass
class Row:
    case: Case
    expected: str
    got: str
    caught: bool | None       # None for cases that are not bugs
    ok: bool
    mistakes: tuple = ()      # the "likely mistake" names the feedback gave (bugs: should be its own)

    @property
    def misnamed(self) -> tuple:
        """Mistakes named for a bug that are not that bug (an in-place finding is generic)."""
        return tuple(m for m in self.mistakes
                     if self.case.kind == "bug" and m not in (self.case.label, "modifies its input in place"))


@dataclass
class Report:
    assignment: str
    rows: list
    # the master disagrees with assignment.toml, public.py lacks inputs the suite asks (one line each)
    problems: list = field(default_factory=list)

    @property
    def bugs(self) -> list:
        return [r for r in self.rows if r.case.kind == "bug"]

    @property
    def catch_rate(self) -> float:
        bugs = self.bugs
        return sum(bool(r.caught) for r in bugs) / len(bugs) if bugs else 0.0

    @property
    def false_failures(self) -> list:
        """Rows that went wrong for any reason other than a bug slipping through."""
        return [r for r in self.rows if not r.ok and not (r.case.kind == "bug" and not r.caught)]

    @property
    def passed(self) -> bool:
        return bool(self.bugs) and all(r.ok for r in self.rows) and not self.problems


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:48]


def build_cases(assignment: assignments.Assignment, folder: Path) -> list[Case]:
    """Write every validation notebook into ``folder``; returns what each one must score."""
    from gdkit.submissions import fill_solutions, master_answers, release_path

    release_file = release_path(assignment.name, assignment.root)
    if not release_file.is_file():
        raise GdkitError(f"{release_file} does not exist; run `gdkit release {assignment.name}` first")
    release = nbformat.read(release_file, as_version=4)
    master = master_answers(assignment.name, assignment.root)
    suite = assignment.suite_dir
    zoo = load_zoo(suite / "bugzoo.py") if (suite / "bugzoo.py").is_file() else []
    styles = load_styles(suite / "styles.py") if (suite / "styles.py").is_file() else []
    known = {q.id for q in assignment.questions}
    for bug in zoo:
        if bug.question not in known or not set(bug.also_loses) <= known:
            raise GdkitError(f"bug {bug.name!r} in {suite / 'bugzoo.py'} names a question that "
                             f"{assignment.name} does not have; fix the bug zoo")

    cases = []

    def write(case: Case, answers: dict | None) -> None:
        notebook = release if answers is None else fill_solutions(release, answers)
        nbformat.write(notebook, folder / f"{case.student}.ipynb")
        cases.append(case)

    write(Case("master", "master", "master answers"), master)
    write(Case("blank", "blank", "blank release"), None)
    for index, style in enumerate(styles, 1):
        write(Case(f"style-{index:02d}-{_slug(style.name)}", "style", style.name),
              {**master, **style.answers})
    for index, bug in enumerate(zoo, 1):
        write(Case(f"bug-{index:02d}-{_slug(bug.name)}", "bug", bug.name, bug.question,
                   tuple(bug.also_loses)), {**master, bug.function: bug.source})
    return cases


def _short(qid: str) -> str:
    return qid.split("_", 1)[0]


def judge(case: Case, record: Record | None, assignment: assignments.Assignment) -> Row:
    """Compare one graded record with what its case must score."""
    if record is None or not record.graded:  # the grader failed: nothing about the suite can be concluded
        return Row(case, "graded", "not graded (grader error)", False if case.kind == "bug" else None, False)
    scores = record.scores()
    points = {q.id: q.points for q in assignment.questions}
    lost = [qid for qid in points if scores.get(qid, 0.0) < points[qid] - EPSILON]
    return _JUDGES.get(case.kind, _judge_bug)(case, record, assignment.max_total, lost)


def _judge_full(case: Case, record: Record, full: float, lost: list[str]) -> Row:
    """The master and each correct style: full marks, status ok."""
    got = f"{record.total:g}/{full:g}" + (f" (lost {', '.join(map(_short, lost))})" if lost else "")
    return Row(case, f"{full:g}/{full:g}", got, None, record.status == "ok" and not lost)


def _judge_blank(case: Case, record: Record, full: float, lost: list[str]) -> Row:
    """The blank release: 0, status ok."""
    ok = record.total <= EPSILON and record.status == "ok"
    return Row(case, f"0/{full:g}", f"{record.total:g}/{full:g}", None, ok)


def _judge_bug(case: Case, record: Record, full: float, lost: list[str]) -> Row:
    """A bug-zoo entry: its own question lost (caught), no other beyond those it may cost, status ok."""
    caught = case.question in lost
    named = tuple(sorted({t.mistake for q in record.questions for t in q.failed if t.mistake}))
    unexpected = [qid for qid in lost if qid != case.question and qid not in case.may_lose]
    expected = "loses " + _short(case.question) + (
        f" (may: {', '.join(map(_short, case.may_lose))})" if case.may_lose else "")
    got = ("loses " + ", ".join(map(_short, lost))) if lost else "full marks"
    if record.status != "ok":
        got += f" [{record.status}]"
    return Row(case, expected, got, caught, caught and not unexpected and record.status == "ok", named)


_JUDGES = {"master": _judge_full, "style": _judge_full, "blank": _judge_blank, "bug": _judge_bug}


def validate(name: str, *, jobs: int = 2, limits: Limits = DEFAULT, root: Path | None = None) -> Report:
    """Grade master, blank, styles and bug zoo of assignment ``name``; returns the report."""
    from gdkit.grading.runner import grade_submissions

    assignment = assignments.load(name, root)
    with tempfile.TemporaryDirectory(prefix=f"gdkit-validate-{name}-") as tmp:
        folder, outdir = Path(tmp) / "submissions", Path(tmp) / "graded"
        folder.mkdir()
        cases = build_cases(assignment, folder)
        records = grade_submissions(name, [folder], outdir=outdir, jobs=jobs, limits=limits,
                                    force=True, quiet=True, root=assignment.root)
        undeclared = _undeclared_public_inputs(outdir)
    by_student = {r.student: r for r in records}
    from gdkit.release import master_problems

    return Report(name, [judge(case, by_student.get(case.student), assignment) for case in cases],
                  master_problems(name, assignment.root) + undeclared)


def _undeclared_public_inputs(outdir: Path) -> list[str]:
    """Public inputs the suite asked that its ``PUBLIC_INPUTS`` (public.py, test modules) does not declare
    (so none of those feedback lines was shown), one line per function."""
    from gdkit.grading.sandboxed import undeclared_functions

    log = outdir / "grader-errors.log"
    text = log.read_text(errors="replace") if log.is_file() else ""
    functions = sorted({f for line in text.splitlines() for f in undeclared_functions(line)})
    return [f"the suite's PUBLIC_INPUTS lack inputs it asks of `{f}` (they were left out of the "
            "feedback): declare them" for f in functions]


def render(report: Report) -> str:
    """The validation table and the verdict lines, as printed by the command."""
    header = ("case", "question", "expected", "got", "caught?", "ok")
    lines = []
    for row in report.rows:
        caught = "" if row.caught is None else ("yes" if row.caught else "NO")
        lines.append((f"{row.case.kind}: {row.case.label}", _short(row.case.question) if row.case.question else "",
                      row.expected, row.got, caught, "ok" if row.ok else "FAIL"))
    widths = [max(len(str(x)) for x in column) for column in zip(header, *lines, strict=True)]
    out = [f"== {report.assignment} =="]
    for line in [header] + lines:
        out.append("  ".join(str(cell).ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip())
    bugs = report.bugs
    n_caught = sum(bool(r.caught) for r in bugs)
    out.append(f"catch rate: {n_caught}/{len(bugs)} bugs = {100 * report.catch_rate:.1f}%; "
               f"false failures: {len(report.false_failures)}")
    named = sum(r.case.label in r.mistakes for r in bugs)
    misnamed = [f"{r.case.label} -> {', '.join(r.misnamed)}" for r in bugs if r.misnamed]
    out.append(f"mistake named in the feedback: {named}/{len(bugs)} bugs; named wrongly: {len(misnamed)}"
               + "".join(f"\n  {line}" for line in misnamed))
    out.extend(f"problem: {problem}" for problem in report.problems)
    return "\n".join(out)
