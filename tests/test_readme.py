"""The README's two set-up commands stay true: CI runs the test command verbatim, and the
main-job command names real options."""
import re
from pathlib import Path

from click.testing import CliRunner

from gdkit.cli import cli

ROOT = Path(__file__).resolve().parents[1]


def readme_commands():
    block = re.search(r"```bash\n(.*?)```", (ROOT / "README.md").read_text(), re.S).group(1)
    return [line.split("  #")[0].strip() for line in block.strip().splitlines()]


def test_readme_opens_with_two_commands():
    main_job, tests = readme_commands()
    assert main_job.endswith("gdkit grade --out grades")
    assert tests.endswith("python3 -m pytest -q")


def test_ci_runs_the_readme_test_command_verbatim():
    _, tests = readme_commands()
    lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert any(line == tests or line == tests + " || exit $?" for line in lines)


def test_main_job_options_exist():
    result = CliRunner().invoke(cli, ["grade", "--help"])
    assert result.exit_code == 0 and "--out" in result.output
