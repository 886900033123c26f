"""Packaging grading for the platforms courses already use.

``gradescope`` builds an autograder bundle and ``gradescope_run`` is what that bundle runs
inside Gradescope's container; ``github_actions`` writes a student repository's workflow and
``ci_report`` is what that workflow runs after grading.
"""
