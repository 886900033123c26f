"""One build step beyond pyproject.toml: the wheel carries the kit's own course.

`gdkit init DIR --example` copies the bundled gradient-descent course, so the wheel holds it as
package data in ``gdkit/bundled_course/``, copied at build time from this repository's course
folders (one copy of each file in git). MANIFEST.in puts the same folders in the sdist, so a
wheel built from the sdist carries them too. An editable install needs no copy: the checkout
itself is the bundled course (``gdkit.course.bundled_course``).
"""
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
COURSE = ("gdkit.toml", "nbgrader_config.py", "solutions", "assignments", "autograder",
          "examples/submissions", "examples/make_examples.py")
SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints")


class BuildWithCourse(build_py):
    """build_py, then the course folders into build/lib/gdkit/bundled_course."""

    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib) / "gdkit" / "bundled_course"
        if target.exists():
            shutil.rmtree(target)
        for part in COURSE:
            source = HERE / part
            if not source.exists():
                raise SystemExit(f"setup.py: {source} is missing; build from a full checkout or sdist")
            destination = target / part
            destination.parent.mkdir(parents=True, exist_ok=True)
            if source.is_dir():
                shutil.copytree(source, destination, ignore=SKIP)
            else:
                shutil.copy2(source, destination)


setup(cmdclass={"build_py": BuildWithCourse})
