"""What each assignment's grading definition says: ``autograder/<name>/assignment.toml``.

Which course is meant is :class:`gdkit.course.Course`'s business (the folder marked by
``gdkit.toml``); the functions here take its root, or find the course when given none.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from gdkit.errors import GdkitError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


@dataclass(frozen=True)
class Question:
    id: str
    points: float
    functions: tuple[str, ...]


@dataclass(frozen=True)
class Assignment:
    name: str
    notebook: str
    questions: tuple[Question, ...]
    root: Path

    @property
    def suite_dir(self) -> Path:
        """The hidden pytest suite (trusted; never shipped to students)."""
        return self.root / "autograder" / self.name

    @property
    def max_total(self) -> float:
        """Points of all questions together."""
        return sum(q.points for q in self.questions)

    def question(self, qid: str) -> Question | None:
        """The question with id ``qid``, or None."""
        return next((q for q in self.questions if q.id == qid), None)


def course_root() -> Path:
    """The course folder (see :meth:`gdkit.course.Course.find`); GdkitError when there is none."""
    from gdkit.course import Course

    return Course.find().root


def available(root: Path | None = None) -> list[str]:
    """Names of the assignments that have a grading definition ([] when no course is at hand)."""
    from gdkit.course import locate

    root = root or locate()
    base = Path(root) / "autograder" if root else None
    if base is None or not base.is_dir():
        return []
    return sorted(p.parent.name for p in base.glob("*/assignment.toml"))


def load(name: str, root: Path | None = None) -> Assignment:
    """Read ``autograder/<name>/assignment.toml``; GdkitError when it is missing or malformed."""
    root = Path(root or course_root())
    path = root / "autograder" / name / "assignment.toml"
    if not path.is_file():
        known = ", ".join(available(root)) or "none"
        raise GdkitError(f"no assignment named {name!r} (known: {known}); check --assignment")
    try:
        data = tomllib.loads(path.read_text())
        questions = tuple(
            Question(str(q["id"]), float(q["points"]), tuple(q.get("functions", ())))
            for q in data["questions"]
        )
        assignment = Assignment(str(data.get("name", name)), str(data["notebook"]), questions, root)
    except (KeyError, TypeError, ValueError, tomllib.TOMLDecodeError) as exc:
        raise GdkitError(f"{path} is malformed ({exc}); fix the assignment definition") from None
    if len({q.id for q in questions}) != len(questions) or not questions:
        raise GdkitError(f"{path} must list each question id once; fix the assignment definition")
    return assignment
