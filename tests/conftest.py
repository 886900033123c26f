"""What the kit's tests need from the machine, in one place.

Some tests need root (mounts, dropping to another uid) or a real browser (Chromium renders the
feedback and report pages). A contributor without them still gets a green run of everything
else: those tests skip with the reason. Under ``CI=true`` nothing may skip into green: the same
tests fail instead, saying what the machine lacks (``.ci/run`` installs Chromium and CI runs as
root).
"""
from __future__ import annotations

import os
import shutil

import pytest


def in_ci() -> bool:
    """Whether this run is CI's (``CI=true``, as GitHub Actions and most CI systems set it)."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def need(available: bool, reason: str) -> None:
    """Skip the calling test with ``reason`` when ``available`` is false; fail instead under CI=true."""
    if available:
        return
    if in_ci():
        pytest.fail(f"required under CI=true: {reason}", pytrace=False)
    pytest.skip(reason)


def need_root() -> None:
    """The test mounts file systems or switches users: root only."""
    need(os.geteuid() == 0, "needs root (mounts or another uid); CI runs as root")


def chromium_path() -> str | None:
    """The headless browser the page tests drive, if installed."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def need_chromium() -> str:
    """The path of Chromium; skip (fail under CI=true) without it."""
    path = chromium_path()
    need(path is not None, "needs Chromium (apt-get install -y chromium; .ci/run installs it)")
    return str(path)


@pytest.fixture
def as_root() -> None:
    """Use in a test that needs root."""
    need_root()


@pytest.fixture
def chromium() -> str:
    """The path of Chromium for a page test."""
    return need_chromium()
