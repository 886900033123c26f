"""nbgrader configuration: this repository is an nbgrader course.

Masters live in ``solutions/<assignment>/`` and releases in ``assignments/<assignment>/``, so
``nbgrader generate_assignment gradient_descent`` run here writes what ``gdkit release`` writes
(``gdkit release`` is the supported way: it also normalises the files for ``--check``).
"""
import os

c = get_config()  # noqa: F821 - provided by nbgrader when it loads this file

c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.course_id = "gdkit"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "assignments"
