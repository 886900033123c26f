"""How big and how slow the two installs are: `pip install gdkit` (lean: what `gdkit check` and
`gdkit grade` need) and `pip install 'gdkit[instructor]'` (nbgrader, Jupyter, jupytext,
matplotlib), each from the wheel built from this checkout into a fresh venv (no system
site-packages), dependencies from the package index.

    python3 benchmarks/install.py            # prints a table; needs the network (PyPI)

Size is the venv's disk usage after the install minus that of an empty venv (pip itself);
time is pip's wall time, cold (pip's cache disabled) and warm (wheels cached). Then the lean
venv runs `gdkit check` on a filled release once, to show it works without the extras.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def disk_usage(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def build_wheel(out: Path) -> Path:
    source = out / "source"
    listed = subprocess.run(["git", "-C", str(REPO), "ls-files", "-z"], capture_output=True, check=True)
    for name in filter(None, listed.stdout.decode().split("\0")):
        if (REPO / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, source / name)
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(source)], check=True,
                   capture_output=True)
    return next(out.glob("gdkit-*.whl"))


def install(wheel: Path, extra: str, folder: Path, cache: Path | None) -> tuple[float, int]:
    venv.EnvBuilder(with_pip=True).create(folder)
    empty = disk_usage(folder)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    cache_args = ["--cache-dir", str(cache)] if cache else ["--no-cache-dir"]
    started = time.monotonic()
    subprocess.run([str(folder / "bin" / "python"), "-m", "pip", "install", "--disable-pip-version-check",
                    "--quiet", *cache_args, f"{wheel}{extra}"], check=True, env=env)
    return time.monotonic() - started, disk_usage(folder) - empty


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="gdkit-install-") as tmp:
        tmp = Path(tmp)
        wheel = build_wheel(tmp)
        print(f"wheel: {wheel.name}, {wheel.stat().st_size / 1e3:.0f} kB")
        print(f"{'install':<28} {'size':>8} {'cold':>8} {'warm':>8}")
        for label, extra in (("pip install gdkit", ""), ("pip install gdkit[instructor]", "[instructor]")):
            cold, size = install(wheel, extra, tmp / f"cold{extra}", None)
            install(wheel, extra, tmp / f"prime{extra}", tmp / "cache")  # fills the cache
            warm, _ = install(wheel, extra, tmp / f"warm{extra}", tmp / "cache")
            print(f"{label:<28} {size / 1e6:>6.0f} MB {cold:>6.1f} s {warm:>6.1f} s")
        lean = tmp / "cold"
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "GDKIT_COURSE", "GDKIT_ROOT")}
        missing = subprocess.run([str(lean / "bin" / "python"), "-c",
                                  "import importlib.util as u; print([m for m in ('nbgrader', 'matplotlib', "
                                  "'jupytext', 'notebook', 'jinja2') if u.find_spec(m)])"],
                                 capture_output=True, text=True, env=env)
        print(f"instructor packages importable in the lean venv: {missing.stdout.strip()}")
        done = subprocess.run([str(lean / "bin" / "gdkit"), "check",
                               str(REPO / "examples" / "submissions" / "alice.ipynb")],
                              capture_output=True, text=True, env=env, cwd=tmp)
        print(f"lean `gdkit check` of alice.ipynb: exit {done.returncode}, "
              f"{done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr.strip()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
