"""The student repository's workflow, run locally the way a GitHub runner would run it.

The exported grade.yml is parsed; its `run:` steps execute in order with bash, with the
variables GitHub provides (GITHUB_WORKSPACE, RUNNER_TEMP, GITHUB_STEP_SUMMARY, GITHUB_OUTPUT)
pointed at temporary files. `uses:` steps are GitHub's own actions: checkout is stood in for by
putting the notebook in the workspace, upload-artifact by checking that its path holds the
feedback. The pip step is skipped because the kit under test is already installed; the course
is a real git repository the workflow clones.
"""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from gdkit.export import ci_report

REPO = Path(__file__).resolve().parents[1]
ASSIGNMENT = "gradient_descent"
CAROL = REPO / "examples" / "submissions" / "carol.ipynb"  # update climbs the slope: q4, q5 lost


def gdkit(*args, **kw):
    return subprocess.run([sys.executable, "-m", "gdkit.cli", *args], capture_output=True, text=True, timeout=300, **kw)


@pytest.fixture(scope="module")
def course_repo(tmp_path_factory):
    """A course repository as an instructor would host it: the suite and the release, committed."""
    repo = tmp_path_factory.mktemp("course")
    for part in ("autograder", "assignments"):
        shutil.copytree(REPO / part / ASSIGNMENT, repo / part / ASSIGNMENT,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.org"]
    for args in (["init", "-q", "-b", "main"], ["add", "."], ["commit", "-q", "-m", "course"]):
        subprocess.run(git + args, check=True, capture_output=True)
    return repo


def expression(value, vars_=None, secrets=None):
    """The two expression forms the workflow uses: ${{ vars.X || 'default' }} and ${{ secrets.X }}."""
    def evaluate(match):
        text = match.group(1).strip()
        m = re.fullmatch(r"vars\.(\w+)\s*\|\|\s*'([^']*)'", text)
        if m:
            return (vars_ or {}).get(m.group(1)) or m.group(2)
        m = re.fullmatch(r"secrets\.(\w+)", text)
        if m:
            return (secrets or {}).get(m.group(1), "")
        raise AssertionError(f"unexpected expression in the workflow: {text}")
    return re.sub(r"\$\{\{(.*?)\}\}", evaluate, str(value))


def run_workflow(workflow: dict, workspace: Path, tmp: Path, vars_=None):
    """Run every `run:` step of the only job in order; returns (log of each step, skipped uses)."""
    summary, output, runner_temp = tmp / "summary.md", tmp / "output.txt", tmp / "runner-temp"
    summary.touch(), output.touch(), runner_temp.mkdir()
    env = {**os.environ, "GITHUB_WORKSPACE": str(workspace), "GITHUB_STEP_SUMMARY": str(summary),
           "GITHUB_OUTPUT": str(output), "RUNNER_TEMP": str(runner_temp), "GITHUB_ACTIONS": "true", "CI": "true"}
    env.pop("GDKIT_ROOT", None)
    env.update({k: expression(v, vars_) for k, v in (workflow.get("env") or {}).items()})
    (job,) = workflow["jobs"].values()
    env.update({k: expression(v, vars_) for k, v in (job.get("env") or {}).items()})
    logs, used = [], []
    for step in job["steps"]:
        if "uses" in step:
            used.append(step)
            continue
        if "pip install" in step["run"]:
            continue  # the kit under test is installed already; installing it from PyPI would test PyPI
        step_env = {**env, **{k: expression(v, vars_) for k, v in (step.get("env") or {}).items()}}
        script = tmp / "step.sh"
        script.write_text(step["run"])
        # GitHub's own invocation for `shell: bash`
        proc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=workspace,
                              env=step_env, capture_output=True, text=True, timeout=300)
        logs.append((step.get("name", step["run"][:30]), proc))
    return logs, used, summary.read_text(), output.read_text()


@pytest.fixture()
def exported(tmp_path, course_repo):
    workspace = tmp_path / "student-repo"
    result = gdkit("export", "github-actions", "--assignment", ASSIGNMENT, "--out", str(workspace),
                   "--course-url", course_repo.as_uri())
    assert result.returncode == 0, result.stderr
    path = workspace / ".github" / "workflows" / "grade.yml"
    return workspace, yaml.safe_load(path.read_text())


def test_workflow_shape(exported):
    _, workflow = exported
    assert workflow[True] is not None or "on" in workflow  # PyYAML reads the bare key `on` as True
    assert workflow["env"]["GDKIT_SPEC"] == "${{ vars.GDKIT_SPEC || 'gdkit' }}"
    (job,) = workflow["jobs"].values()
    uses = [s["uses"] for s in job["steps"] if "uses" in s]
    assert uses[0].startswith("actions/checkout@") and any(u.startswith("actions/upload-artifact@") for u in uses)
    runs = [s["run"] for s in job["steps"] if "run" in s]
    assert any('pip install --disable-pip-version-check "$GDKIT_SPEC"' in r for r in runs)
    assert any("gdkit ci-report" in r for r in runs)


def test_workflow_grades_and_reports(exported, tmp_path):
    workspace, workflow = exported
    shutil.copy(CAROL, workspace / "gradient_descent.ipynb")  # what actions/checkout would bring
    logs, used, summary, output = run_workflow(workflow, workspace, tmp_path)
    for name, proc in logs:
        assert proc.returncode == 0, f"step {name!r} failed: {proc.stdout}{proc.stderr}"

    # the summary holds the score table, with carol's lost questions
    assert "## gdkit: gradient_descent — gradient_descent: 60 / 100" in summary
    assert "| | question | points | checks passed |" in summary
    assert re.search(r"\| ❌ \| q4_update_synapses \| 0 / 20 \| 0 / \d+ \|", summary)
    assert re.search(r"\| ✅ \| q1_sigmoid_derivative \| 10 / 10 \| (\d+) / \1 \|", summary)
    assert "score=60\nmax_score=100\n" in output

    # one annotation per lost question, on the notebook, escaped as workflow commands require
    report = dict(logs)["Report"].stdout
    errors = [l for l in report.splitlines() if l.startswith("::error ")]
    titles = sorted(re.search(r"title=([^:,]*)", l).group(1) for l in errors)
    assert titles == ["q4_update_synapses%3A 0 / 20 points", "q5_convergence%3A 0 / 20 points"]
    for line in errors:
        assert line.startswith("::error file=gradient_descent.ipynb,title=")
    q4 = next(l for l in errors if "title=q4_update_synapses" in l)
    assert "%0AHint: " in q4  # a multi-line message, its newline escaped
    assert "climbs the slope" in q4

    # upload-artifact's path holds the feedback
    upload = next(s for s in used if s["uses"].startswith("actions/upload-artifact@"))
    folder = workspace / upload["with"]["path"]
    assert (folder / "gradient_descent" / "feedback.html").is_file()
    assert upload["if"] == "always()"


def test_workflow_without_a_notebook_fails_loudly(exported, tmp_path):
    workspace, workflow = exported
    logs, _, summary, _ = run_workflow(workflow, workspace, tmp_path)
    steps = dict(logs)
    assert steps["Grade"].returncode == 2 and "does not exist" in steps["Grade"].stderr
    assert steps["Report"].returncode == 1 and "::error title=gdkit::no grading results" in steps["Report"].stdout
    assert "No grading results" in summary


def test_spec_and_course_are_configurable(exported, tmp_path, course_repo):
    workspace, workflow = exported
    assert expression(workflow["env"]["GDKIT_SPEC"], {"GDKIT_SPEC": "gdkit==0.1.0"}) == "gdkit==0.1.0"
    assert expression(workflow["env"]["GDKIT_COURSE_URL"]) == course_repo.as_uri()
    other = tmp_path / "other"
    result = gdkit("export", "github-actions", "-a", ASSIGNMENT, "--out", str(other), "--course-url",
                   "https://example.org/c.git", "--kit-spec", "git+https://example.org/gdkit.git@v1")
    assert result.returncode == 0, result.stderr
    env = yaml.safe_load((other / ".github/workflows/grade.yml").read_text())["env"]
    assert expression(env["GDKIT_SPEC"]) == "git+https://example.org/gdkit.git@v1"
    bad = gdkit("export", "github-actions", "-a", ASSIGNMENT, "--out", str(other), "--course-url", "x'y")
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1


def test_escaping_of_workflow_commands():
    assert ci_report.escape_data("50%\r\nnext") == "50%25%0D%0Anext"
    assert ci_report.escape_property("q1: a, b") == "q1%3A a%2C b"


def test_kit_ci_runs_the_ci_script():
    ci = yaml.safe_load((REPO / ".github" / "workflows" / "ci.yml").read_text())
    (job,) = ci["jobs"].values()
    assert [s["run"] for s in job["steps"] if "run" in s] == ["bash .ci/run"]
    assert any(s.get("uses", "").startswith("actions/checkout@") for s in job["steps"])
