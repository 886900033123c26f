"""nbgrader's cell checksum, computed without nbgrader (a student's lean install has none).

nbgrader locks the read-only cells of a release by storing in ``metadata.nbgrader.checksum``
the MD5 hex digest of, in this order and UTF-8 encoded: the cell's source, its type, its grade
flag, its solution flag, its locked flag, its ``grade_id``, and, for a grade cell only, its
points as a float. Each flag is Python's ``str()`` of the value nbgrader reads from the
metadata (``False`` when absent), and the locked flag is nbgrader's "will be overwritten" rule:
never for a solution cell, always for a grade cell, else the ``locked`` field.
``tests/test_check.py`` proves the digest equal to nbgrader's own on every cell of the kit.
"""
from __future__ import annotations

import hashlib


def cell_checksum(cell) -> str:
    """The checksum nbgrader would compute for ``cell`` (a notebook cell with nbgrader metadata).

    Raises KeyError/TypeError/ValueError when the metadata lacks what nbgrader needs (no
    ``grade_id``, a grade cell without numeric points), as nbgrader does.
    """
    meta = cell["metadata"]["nbgrader"]
    grade = meta.get("grade", False)
    solution = meta.get("solution", False)
    locked = False if solution else True if grade else meta.get("locked", False)
    fields = [cell["source"], cell["cell_type"], str(grade), str(solution), str(locked), meta["grade_id"]]
    if grade:
        fields.append(str(float(meta["points"])))
    return hashlib.md5("".join(fields).encode("utf-8"), usedforsecurity=False).hexdigest()
