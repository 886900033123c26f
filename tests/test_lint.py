"""The kit's own code stays clean under its linters: ruff (the rule set in pyproject.toml's
``[tool.ruff]``) and mypy (``[tool.mypy]``, default strictness), both on ``src/gdkit``.

Both run as a contributor runs them, from the repository root so that pyproject.toml's settings
apply; the versions are pinned in the ``test`` extra, so a new release's rules cannot turn a
green main red on their own.
"""
from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import need

ROOT = Path(__file__).resolve().parent.parent


def run_tool(module: str, *args: str) -> subprocess.CompletedProcess:
    need(importlib.util.find_spec(module) is not None,
         f"needs {module} (pip install -e '.[test]' installs the pinned version)")
    return subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)


def report(proc: subprocess.CompletedProcess) -> str:
    return f"python {' '.join(proc.args[1:])} exited {proc.returncode}:\n{proc.stdout}{proc.stderr}"


@pytest.mark.slow
def test_ruff_finds_nothing():
    proc = run_tool("ruff", "check", "--no-cache", "src/gdkit")
    assert proc.returncode == 0, report(proc)


@pytest.mark.slow
def test_mypy_finds_nothing():
    proc = run_tool("mypy", "src/gdkit")
    assert proc.returncode == 0, report(proc)
    assert "Success: no issues found" in proc.stdout, report(proc)
