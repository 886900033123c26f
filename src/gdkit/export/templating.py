"""The exports' text files (workflows, Gradescope scripts) from Jinja2 templates in ``templates/``.

GitHub's own expressions are written ``${{ ... }}``, so the templates mark their variables with
``[[ ... ]]`` instead of Jinja's ``{{ ... }}``; blocks stay ``{% ... %}``. Values are inserted
through a filter that says how: ``yaml`` (a double-quoted YAML scalar, i.e. a JSON string),
``ghstr`` (a string literal inside ``${{ }}``) or ``sh`` (one shell word). A template that names
a variable it was not given fails at once.
"""
from __future__ import annotations

import json
import shlex

import jinja2

ENVIRONMENT = jinja2.Environment(
    loader=jinja2.PackageLoader("gdkit.export", "templates"),
    variable_start_string="[[", variable_end_string="]]",
    undefined=jinja2.StrictUndefined, keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True,
    autoescape=False,
)
ENVIRONMENT.filters["yaml"] = lambda value: json.dumps(str(value), ensure_ascii=False)
ENVIRONMENT.filters["sh"] = lambda value: shlex.quote(str(value))
# A string literal inside a GitHub expression: single quotes, a quote doubled.
ENVIRONMENT.filters["ghstr"] = lambda value: "'" + str(value).replace("'", "''") + "'"


def render(name: str, **values) -> str:
    """The template ``templates/<name>`` filled with ``values``."""
    return ENVIRONMENT.get_template(name).render(**values)
