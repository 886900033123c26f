"""nbgrader configuration: this course folder is an nbgrader course too.

Masters live in ``solutions/<assignment>/`` and releases in ``assignments/<assignment>/``, so
``nbgrader generate_assignment <assignment>`` run here writes what ``gdkit release`` writes
(``gdkit release`` is the supported way: it also checks the masters against their grading
definitions, syncs their text twins and normalises the files for ``--check``).
"""
import os

c = get_config()  # noqa: F821 - provided by nbgrader when it loads this file

c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.course_id = "gdkit"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "assignments"
# Never copied into a release: nbgrader's own defaults, and each master's text twin
# (NAME.master.py, which holds the solutions).
c.CourseDirectory.ignore = [".ipynb_checkpoints", "__pycache__", "*.pyc", "feedback", "*.master.py"]
