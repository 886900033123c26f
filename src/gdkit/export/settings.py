"""What a course sets once for its exports and feedback: tables of the course's ``gdkit.toml``.

```toml
[feedback]
detail = "default"                # "full": feedback also names hidden sizes, alphas, thresholds

[seed]
secret = 4417018920917442048      # the course's own seed (gdkit init draws one): keep this file private
per_student = false               # true: hidden inputs drawn from (course seed, student id)
gradescope_student = "email"      # the Gradescope user field that is the student id: "email" or "id"

[gradescope]                      # what a student sees on Gradescope, and when
scores = "visible"                # each question's score
checks = "after_published"        # each hidden check's name and outcome (and its message)
examples = true                   # a failed check's public-example text beside the score
stdout = "hidden"                 # the autograder's log (instructor details)
timeout = 10.0                    # seconds each call into the student's code may take

[gradescope.tuning]               # per assignment: any key of [gradescope]
checks = "hidden"
```
``feedback = "full"`` as a top-level key means the same as ``[feedback] detail = "full"``.
Visibility values are Gradescope's own: ``hidden``, ``after_due_date``, ``after_published``,
``visible``. A missing file, table or key means the default; a bad value is a one-line error.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path

from gdkit.errors import GdkitError

VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")
DETAILS = ("default", "full")
STUDENT_FIELDS = ("email", "id")


def course_config(root: Path | None = None) -> dict:
    """The parsed ``gdkit.toml`` of the course at ``root`` (default: the course at hand);
    {} when there is no course or no file."""
    from gdkit.course import Course, locate

    root = root or locate()
    return dict(Course.at(root, marker=False).config) if root else {}


def _choice(value, allowed: tuple[str, ...], what: str) -> str:
    if value not in allowed:
        raise GdkitError(f"{what} = {value!r}: choose one of {', '.join(allowed)}")
    return value


@dataclass(frozen=True)
class Visibility:
    """When a student sees each part of a Gradescope result (Gradescope's visibility values)."""

    scores: str = "visible"
    checks: str = "after_published"
    examples: bool = True
    stdout: str = "hidden"

    def check(self) -> Visibility:
        for name in ("scores", "checks", "stdout"):
            _choice(getattr(self, name), VISIBILITIES, f"gradescope {name}")
        if not isinstance(self.examples, bool):
            raise GdkitError(f"gradescope examples = {self.examples!r}: write true or false")
        return self

    def to_json(self) -> dict:
        return {"scores": self.scores, "checks": self.checks, "examples": self.examples, "stdout": self.stdout}

    @classmethod
    def from_json(cls, data: dict | None) -> Visibility:
        data = data if isinstance(data, dict) else {}
        known = {k: data[k] for k in ("scores", "checks", "examples", "stdout") if k in data}
        return cls(**known).check()


@dataclass(frozen=True)
class Settings:
    """One assignment's export settings, resolved from the course configuration."""

    feedback: str = "default"
    per_student: bool = False
    gradescope_student: str = "email"
    visibility: Visibility = Visibility()
    timeout: float | None = None
    secret: int | None = None     # the course's [seed] secret (None: the kit's seed per assignment)


def for_assignment(name: str, config: dict | None = None, root: Path | None = None) -> Settings:
    """The settings of assignment ``name``: the course's tables, the assignment's own over them."""
    config = course_config(root) if config is None else config
    feedback = config.get("feedback", {})
    feedback = feedback.get("detail", "default") if isinstance(feedback, dict) else feedback
    feedback = _choice(feedback, DETAILS, "[feedback] detail")
    seed_table = config.get("seed")
    seed = seed_table if isinstance(seed_table, dict) else {}
    per_student = seed.get("per_student", False)
    if not isinstance(per_student, bool):
        raise GdkitError(f"[seed] per_student = {per_student!r}: write true or false")
    student_field = _choice(seed.get("gradescope_student", "email"), STUDENT_FIELDS, "[seed] gradescope_student")
    secret = seed.get("secret")
    if secret is not None and (isinstance(secret, bool) or not isinstance(secret, int) or secret < 0):
        raise GdkitError(f"[seed] secret = {secret!r}: write a whole number >= 0 (gdkit init draws one)")
    table = dict(config.get("gradescope") or {})
    own_table = table.get(name)
    own = own_table if isinstance(own_table, dict) else {}
    merged = {k: v for k, v in table.items() if not isinstance(v, dict)}
    merged.update(own)
    unknown = set(merged) - {"scores", "checks", "examples", "stdout", "timeout"}
    if unknown:
        raise GdkitError(f"[gradescope] has unknown key(s) {', '.join(sorted(unknown))}; "
                         "known: scores, checks, examples, stdout, timeout")
    timeout = merged.pop("timeout", None)
    if timeout is not None and not (isinstance(timeout, (int, float)) and not isinstance(timeout, bool)
                                    and math.isfinite(timeout) and timeout > 0):
        raise GdkitError(f"[gradescope] timeout = {timeout!r}: give a positive number of seconds")
    return Settings(feedback, per_student, student_field, Visibility.from_json(merged),
                    float(timeout) if timeout is not None else None, secret)


def with_overrides(settings: Settings, *, checks: str | None = None, feedback: str | None = None,
                   per_student: bool | None = None, timeout: float | None = None) -> Settings:
    """The settings with command-line values over the course's (None keeps the course's)."""
    visibility = settings.visibility
    if checks is not None:
        visibility = replace(visibility, checks=_choice(checks, VISIBILITIES, "--visibility"))
    return replace(settings, visibility=visibility,
                   feedback=_choice(feedback, DETAILS, "--feedback") if feedback is not None else settings.feedback,
                   per_student=settings.per_student if per_student is None else per_student,
                   timeout=settings.timeout if timeout is None else timeout)
