"""Start-up economies for the commands people wait for (``gdkit check``, a grader process).

Reading notebooks imports nbformat, which imports jsonschema, which imports every optional
format-checker library it finds installed: ``rfc3987_syntax`` alone builds a parser grammar at
import (about a second), and the others (IRI, date-time, colour, URI-template, duration checks)
add a few hundred milliseconds. Notebook validation uses none of these formats. Marking the
libraries absent, before nbformat is first imported, makes jsonschema skip those formats (it
imports each one under ``suppress(ImportError)``). A lean install has none of them anyway.
"""
from __future__ import annotations

import sys

# The optional imports of jsonschema._format that nothing else imports (idna and jsonpointer are
# left alone: HTTP clients and JSON-patch libraries need them), none used by nbformat.
UNUSED_BY_NBFORMAT = ("rfc3987_syntax", "rfc3987", "rfc3986_validator", "rfc3339_validator", "webcolors",
                      "uri_template", "isoduration", "fqdn")


def skip_unused_imports() -> None:
    """Mark jsonschema's optional format libraries absent in this process (unless already imported)."""
    for name in UNUSED_BY_NBFORMAT:
        # None in sys.modules makes the import raise ImportError (the import system's own rule);
        # typeshed types the mapping as str -> module only.
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]
