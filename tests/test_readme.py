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


def test_the_first_screen_says_how_to_use_it_for_a_course():
    text = (ROOT / "README.md").read_text()
    first_screen = "\n".join(text.splitlines()[:45])
    assert "## Use it for your course" in first_screen
    section = first_screen.split("## Use it for your course", 1)[1]
    commands = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    for word in ("pip install", "gdkit init", "gdkit new", "gdkit release", "gdkit validate"):
        assert word in commands
    for command in ("init", "new"):
        result = CliRunner().invoke(cli, [command, "--help"])
        assert result.exit_code == 0, result.output
