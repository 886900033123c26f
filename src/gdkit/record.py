"""The one record of a graded submission, and the one scoring formula.

Every grading path builds a :class:`Record` (``gdkit grade``'s pytest plugin, the nbgrader
kernel path, the Gradescope run) and every reader (grades.csv, junit.xml, results.json,
feedback, merge, report, exports) reads one, through :meth:`Record.from_json` when it comes
from ``record.json``. A question's score is :func:`question_score`: points x passed weight /
total weight, nowhere else.

Every string here is student-safe by construction: the grading plugin fills them from trusted
sources (a checks ``Fail``, fixed sentences) and bounds them (see ``gdkit.grading.sanitize``).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

# How a check ended: a pass, a checks Fail, a student exception, a missing function, a worker
# that hung or died, a notebook that could not be run, or the grader's own failure.
KINDS = ("pass", "fail", "raised", "missing", "died", "unusable", "grader-error")
# Record statuses that mean "the grader could not grade": regraded on the next run, never final.
GRADER_ERROR = "grader-error"


def question_score(points: float, tests: list[TestResult]) -> float:
    """Points earned on a question: ``points`` x passed weight / total weight (0 without tests)."""
    weight = sum(t.weight for t in tests)
    earned = sum(t.weight for t in tests if t.passed)
    return round(points * earned / weight, 4) if weight else 0.0


@dataclass
class TestResult:
    """One hidden check of one student: what a student may read about it."""

    __test__ = False  # not a pytest test class, whatever its name says

    name: str
    question: str
    weight: float
    passed: bool
    description: str = ""
    kind: str = "pass"
    message: str = ""
    example: str | None = None
    mistake: str | None = None
    hint: str | None = None
    # Specifics of the hidden inputs (sizes, alpha values, thresholds): kept for the instructor,
    # shown to the student only when the course's feedback detail is "full".
    detail: str | None = None

    def to_json(self) -> dict:
        out = dataclasses.asdict(self)
        for key in ("example", "mistake", "hint", "detail"):  # absent, not null, when there is none
            if not out[key]:
                del out[key]
        return out

    @classmethod
    def from_json(cls, data: dict) -> TestResult:
        return cls(name=str(data["name"]), question=str(data["question"]), weight=float(data["weight"]),
                   passed=bool(data["passed"]), description=str(data.get("description", "")),
                   kind=str(data.get("kind", "pass")), message=str(data.get("message", "")),
                   example=data.get("example") or None, mistake=data.get("mistake") or None,
                   hint=data.get("hint") or None, detail=data.get("detail") or None)


@dataclass
class QuestionResult:
    """One question of one student: its points, the score earned and the checks behind it."""

    id: str
    points: float
    score: float = 0.0
    tests: list[TestResult] = field(default_factory=list)

    @classmethod
    def scored(cls, qid: str, points: float, tests: list[TestResult]) -> QuestionResult:
        """The question with its score computed by :func:`question_score`."""
        return cls(qid, points, question_score(points, tests), list(tests))

    @property
    def passed_checks(self) -> int:
        return sum(t.passed for t in self.tests)

    @property
    def failed(self) -> list[TestResult]:
        return [t for t in self.tests if not t.passed]

    @property
    def full(self) -> bool:
        return self.score >= self.points

    def to_json(self) -> dict:
        return {"id": self.id, "points": self.points, "score": self.score,
                "tests": [t.to_json() for t in self.tests]}

    @classmethod
    def from_json(cls, data: dict) -> QuestionResult:
        return cls(str(data["id"]), float(data["points"]), float(data.get("score", 0.0)),
                   [TestResult.from_json(t) for t in data.get("tests", [])])


@dataclass
class Record:
    """The full result of grading one submission (``OUTDIR/<student>/record.json``)."""

    student: str
    assignment: str
    path: str = ""
    status: str = "ok"
    reason: str = ""
    questions: list[QuestionResult] = field(default_factory=list)
    total: float = 0.0
    max_total: float = 0.0
    seed: int | None = None
    sha256: str | None = None
    limits: dict = field(default_factory=dict)        # Limits.to_json() of the run
    cells: list[dict] = field(default_factory=list)   # notebook cells that failed while loading
    output: str = ""                                  # the start of what the student's code printed
    artifacts: dict = field(default_factory=dict)     # e.g. the training curve (plain lists of floats)
    notebook: dict = field(default_factory=dict)      # which file was graded and which were ignored
    seconds: float = 0.0
    worker_max_rss_kb: int = 0
    worker_cpu_seconds: float = 0.0
    grader_max_rss_kb: int = 0
    extra: dict = field(default_factory=dict)         # fields added by later stages (late penalty, ...)

    def question(self, qid: str) -> QuestionResult | None:
        return next((q for q in self.questions if q.id == qid), None)

    def scores(self) -> dict[str, float]:
        """{question id: score}."""
        return {q.id: q.score for q in self.questions}

    def rescore(self) -> Record:
        """Recompute every question's score and the total with the one formula (in place)."""
        for q in self.questions:
            q.score = question_score(q.points, q.tests)
        self.total = round(sum(q.score for q in self.questions), 4)
        return self

    @property
    def graded(self) -> bool:
        """Whether this is a final result (a grader error is regraded on the next run)."""
        return self.status != GRADER_ERROR

    def regrade_key(self) -> dict:
        """What must match for this record to count as current (see ``gdkit.grading.runner``)."""
        return {"assignment": self.assignment, "seed": self.seed, "sha256": self.sha256, "limits": self.limits,
                "inputs": self.extra.get("inputs", "per-course")}

    def to_json(self) -> dict:
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name == "questions":
                value = [q.to_json() for q in value]
            elif f.name == "extra":
                continue
            out[f.name] = value
        out.update(self.extra)
        return out

    @classmethod
    def from_json(cls, data: dict) -> Record:
        """A record from ``record.json`` data; KeyError/TypeError/ValueError when it is not one."""
        if not isinstance(data, dict):
            raise TypeError("a record is a JSON object")
        names = {f.name for f in dataclasses.fields(cls)}
        known = {k: v for k, v in data.items() if k in names and k not in ("questions", "extra")}
        extra = {k: v for k, v in data.items() if k not in names}
        record = cls(**known, questions=[QuestionResult.from_json(q) for q in data.get("questions", [])],
                     extra=extra)
        if not isinstance(record.student, str) or not isinstance(record.assignment, str):
            raise TypeError("a record names its student and assignment")
        return record
