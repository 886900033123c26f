"""gdkit's grades in an nbgrader course's ``gradebook.db``, so formgrader and ``nbgrader export``
show them.

Everything goes through nbgrader's own ``Gradebook`` API: the student is created if new, the
submission with the notebooks and grade rows nbgrader mirrors from the assignment, and each
grade cell named after a gdkit question gets the question's points as its *auto* score (the
score nbgrader's autograder would write; a manual score a grader already gave in formgrader
still takes precedence there, as nbgrader does). A late penalty (``gdkit.late``) becomes the
notebook's ``late_submission_penalty`` and the submission time its ``timestamp``, so
``nbgrader export`` reports raw score, penalty and score as gdkit does.

The assignment must be in the gradebook already (``nbgrader generate_assignment`` puts it
there with its grade cells: the masters' grade cells are named after the question ids).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from gdkit.errors import GdkitError


@dataclass
class Written:
    db_url: str
    assignment: str
    notebook: str
    students: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)   # one line each: students not written
    notes: list[str] = field(default_factory=list)


def db_url(target) -> str:
    """A database URL from a gradebook.db file, an nbgrader course folder or a URL."""
    text = str(target)
    if "://" in text:
        return text
    path = Path(target)
    if path.is_dir():
        path = path / "gradebook.db"
    if not path.is_file():
        raise GdkitError(f"no nbgrader gradebook at {path}; give the course's gradebook.db (nbgrader "
                         "generate_assignment makes it) or the nbgrader course folder")
    return f"sqlite:///{path.resolve()}"


def write(records, target, *, notebook: str | None = None) -> Written:
    """Write the graded ``records`` (one assignment) into the gradebook at ``target``."""
    url = db_url(target)  # before nbgrader's (slow) import: a wrong path is said at once
    from nbgrader.api import Gradebook

    graded = [r for r in records if r.graded]
    problems = [f"{r.student}: not written (the grader failed on this submission); rerun gdkit grade"
                for r in records if not r.graded]
    assignment = _assignment_of(records)
    gradebook = _open(Gradebook, url, target)
    with gradebook:
        notebook = _notebook(gradebook, assignment, notebook)
        notes = _questions_checked(gradebook, assignment, notebook, graded)
        written = []
        for r in sorted(graded, key=lambda r: r.student):
            _write_one(gradebook, r, assignment, notebook)
            written.append(r.student)
        gradebook.db.commit()
    flagged = [r.student for r in graded if r.status != "ok"]
    if flagged:
        notes.append(f"{len(flagged)} submission(s) whose status is not ok are flagged in formgrader "
                     f"({', '.join(flagged[:5])}{', ...' if len(flagged) > 5 else ''})")
    return Written(url, assignment, notebook, written, problems, notes)


def _assignment_of(records) -> str:
    """The one assignment the records are of."""
    if not records:
        raise GdkitError("no grading records to write into the gradebook")
    names = {r.assignment for r in records}
    if len(names) != 1:
        raise GdkitError(f"the records are of {len(names)} assignments; write one assignment's folder at a time")
    return names.pop()


def _open(gradebook_class, url: str, target):
    """nbgrader's Gradebook at ``url`` (the class write imported), or one line saying why not."""
    try:
        return gradebook_class(url)
    except Exception as exc:  # sqlalchemy/alembic errors: not a gradebook, a newer schema, ...
        raise GdkitError(f"{target} cannot be opened as an nbgrader gradebook ({type(exc).__name__}); "
                         "give the course's gradebook.db") from None


def _notebook(gradebook, assignment: str, notebook: str | None) -> str:
    """The assignment's notebook gdkit grades: the one named, else its only one, else the one named
    like the assignment."""
    from nbgrader.api import MissingEntry

    try:
        master = gradebook.find_assignment(assignment)
    except MissingEntry:
        known = ", ".join(a.name for a in gradebook.assignments) or "none"
        raise GdkitError(f"assignment {assignment!r} is not in the gradebook (it has: {known}); run "
                         f"'nbgrader generate_assignment {assignment}' in the nbgrader course first") from None
    notebooks = [nb.name for nb in master.notebooks]
    if notebook is None:
        notebook = notebooks[0] if len(notebooks) == 1 else (assignment if assignment in notebooks else None)
    if notebook is None or notebook not in notebooks:
        raise GdkitError(f"the gradebook's {assignment!r} has the notebooks {', '.join(notebooks) or 'none'}; "
                         "name the one gdkit grades")
    return notebook


def _questions_checked(gradebook, assignment: str, notebook: str, graded) -> list[str]:
    """Refused when no question is a grade cell of the notebook (another course's gradebook);
    a note naming the questions that are not."""
    cells = {cell.name for cell in gradebook.find_notebook(notebook, assignment).grade_cells}
    questions = {q.id for r in graded for q in r.questions}
    if questions and not questions & cells:
        raise GdkitError(f"none of the questions ({', '.join(sorted(questions)[:4])}) is a grade cell of "
                         f"{notebook} in the gradebook ({', '.join(sorted(cells)[:4])}); is it the course of "
                         "this assignment?")
    missing = sorted(questions - cells)
    return ([f"questions without a grade cell in the gradebook, not written: {', '.join(missing)}"]
            if missing else [])


def _write_one(gradebook, r, assignment: str, notebook: str) -> None:
    """One student's submission: each question's points as its grade cell's auto score, the late
    penalty and the submission time; flagged when its status is not ok."""
    gradebook.update_or_create_student(r.student)
    when = r.extra.get("submitted_at")
    gradebook.update_or_create_submission(assignment, r.student, **({"timestamp": when} if when else {}))
    submitted = gradebook.find_submission_notebook(notebook, assignment, r.student)
    scores = r.scores()
    for grade in submitted.grades:
        if grade.name in scores:
            grade.auto_score = float(scores[grade.name])
            grade.needs_manual_grade = False
    submitted.late_submission_penalty = float(r.extra.get("penalty") or 0.0)
    submitted.flagged = r.status != "ok" or bool(submitted.flagged)
