"""`gdkit export github-actions`: both workflows linted by actionlint and run locally.

The student workflow (starter repository) runs the visible checks only; the course workflow
(private course repository) collects the class from student repositories at a deadline,
grades on a shard matrix, merges and posts feedback. Both run here through
``actions_runner.Runner``: their `run:` steps execute with bash and GitHub's variables, student
repositories are real bare git repositories cloned over file:// URLs, and the GitHub API is a
local HTTP server (``fake_github.FakeGitHub``) that records every request.
"""
import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from actions_runner import Runner
from conftest import need
from fake_github import FakeGitHub
from gdkit.export import ci_report

REPO = Path(__file__).resolve().parents[1]
ASSIGNMENT = "gradient_descent"
EXAMPLES = REPO / "examples" / "submissions"
KIT_SPEC = "https://example.org/dist/gdkit-0.1.0-py3-none-any.whl"
DEADLINE = "2026-03-01T12:00:00+01:00"
BEFORE, AFTER = "2026-03-01T10:30:00+00:00", "2026-03-01T11:30:00+00:00"  # 11:00 UTC is the deadline
TOKEN = "ghs_test_token_0123456789"


def gdkit(*args, env=None, cwd=None):
    return subprocess.run([sys.executable, "-m", "gdkit.cli", *args], capture_output=True, text=True,
                          timeout=300, env=env, cwd=cwd)


def require_tool(name: str) -> str:
    path = shutil.which(name)
    need(path is not None, f"needs {name} (pip install -e '.[test]' installs it)")
    return path


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    out = tmp_path_factory.mktemp("export")
    result = gdkit("export", "github-actions", "--assignment", ASSIGNMENT, "--out", str(out), "--kit-spec", KIT_SPEC,
                   "--shards", "2", "--publish", "comment", "--deadline", DEADLINE)
    assert result.returncode == 0, result.stderr
    return out


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def student_workflow_path(out: Path) -> Path:
    return out / "student" / ".github" / "workflows" / "gdkit-check.yml"


def course_workflow_path(out: Path) -> Path:
    return out / "course" / ".github" / "workflows" / f"gdkit-grade-{ASSIGNMENT}.yml"


# ---- lint ---------------------------------------------------------------------------------------

def actionlint(folder: Path):
    files = sorted(str(p.relative_to(folder)) for p in (folder / ".github" / "workflows").glob("*.yml"))
    assert files
    return subprocess.run([require_tool("actionlint"), "-no-color", *files], cwd=folder, capture_output=True,
                          text=True, timeout=120)


@pytest.mark.slow
def test_both_workflows_pass_actionlint(exported, tmp_path):
    require_tool("shellcheck")  # actionlint checks every run: script with it when it is on PATH
    for repo in ("student", "course"):
        result = actionlint(exported / repo)
        assert result.returncode == 0, f"{repo}: {result.stdout}{result.stderr}"
    # the other shape of the course workflow: a Classroom prefix, no schedule, feedback as issues
    other = tmp_path / "other"
    result = gdkit("export", "github-actions", "--assignment", ASSIGNMENT, "--out", str(other), "--kit-spec",
                   "git+https://github.com/example/gdkit@v0.1.0", "--course-kit-spec", ".", "--classroom",
                   "course-org/gd", "--schedule", "", "--publish", "issue")
    assert result.returncode == 0, result.stderr
    result = actionlint(other / "course")
    assert result.returncode == 0, result.stdout + result.stderr
    workflow = load(course_workflow_path(other))
    assert "schedule" not in workflow[True] and workflow["env"]["GDKIT_SPEC"] == "."
    assert workflow["env"]["GDKIT_CLASSROOM"] == "course-org/gd"
    # The linter really looks: an output of an unknown step, an unquoted variable and an old
    # action are each reported in a copy of the course workflow.
    broken = tmp_path / "broken"
    shutil.copytree(exported / "course", broken)
    path = broken / ".github" / "workflows" / f"gdkit-grade-{ASSIGNMENT}.yml"
    text = path.read_text()
    text = text.replace("${{ steps.collect.outputs.shards }}", "${{ steps.nothing.outputs.shards }}")
    text = text.replace('--out "shard-$SHARD"', "--out shard-$SHARD")
    text = text.replace("actions/checkout@v7", "actions/checkout@v2", 1)
    path.write_text(text)
    result = actionlint(broken)
    assert result.returncode == 1
    assert 'property "nothing" is not defined' in result.stdout
    assert "SC2086" in result.stdout  # shellcheck: double quote to prevent globbing
    assert "actions/checkout@v2" in result.stdout


def test_workflow_shapes(exported):
    student, course = load(student_workflow_path(exported)), load(course_workflow_path(exported))
    assert student["permissions"] == {"contents": "read"} == course["permissions"]
    assert student["concurrency"]["group"] == "gdkit-check-${{ github.ref }}"
    assert course["concurrency"] == {"group": f"gdkit-grade-{ASSIGNMENT}", "cancel-in-progress": False}
    on = course[True]  # PyYAML reads the bare key `on` as True
    assert set(on) == {"schedule", "workflow_dispatch", "repository_dispatch"}
    assert "deadline" in on["workflow_dispatch"]["inputs"]
    assert on["repository_dispatch"]["types"] == [f"gdkit-grade-{ASSIGNMENT}"]
    for workflow in (student, course):
        for job in workflow["jobs"].values():
            setup = [s for s in job["steps"] if s.get("uses", "").startswith("actions/setup-python@")]
            assert setup and setup[0]["with"]["cache"] == "pip"
            assert any('pip install --disable-pip-version-check "$GDKIT_SPEC"' in s.get("run", "") for s in job["steps"])
            for step in job["steps"]:  # one short command per step: the logic lives in gdkit
                assert len(step.get("run", "").strip().splitlines()) <= 1
    assert student["env"]["GDKIT_SPEC"] == course["env"]["GDKIT_SPEC"] == KIT_SPEC
    assert course["jobs"]["grade"]["strategy"]["matrix"]["shard"] == "${{ fromJSON(needs.collect.outputs.shards) }}"


# ---- the student workflow -----------------------------------------------------------------------

def run_student(exported: Path, tmp: Path, notebook: Path):
    repo = tmp / "starter"
    shutil.copytree(exported / "student", repo)
    shutil.copy(notebook, repo / f"{ASSIGNMENT}.ipynb")  # the student's pushed work
    # A student's runner has no course (no gdkit.toml above the workspace, none named by the environment).
    runner = Runner(load(student_workflow_path(exported)), repo, tmp, unset=("GDKIT_ROOT", "GDKIT_COURSE"))
    (job,) = runner.run()["check"]
    return job


@pytest.mark.slow
def test_student_workflow_runs_the_visible_checks(exported, tmp_path):
    job = run_student(exported, tmp_path / "carol", EXAMPLES / "carol.ipynb")  # update climbs the slope
    check = next(s for s in job.steps if s.name == "Check")
    assert check.proc.returncode == 1, check.proc.stdout + check.proc.stderr
    errors = [l for l in check.proc.stdout.splitlines() if l.startswith("::error ")]
    assert errors and all(l.startswith(f"::error file={ASSIGNMENT}.ipynb,title=") for l in errors)
    assert any("q4_update_synapses%3A a visible test fails" in l for l in errors)
    assert "## gdkit check: gradient_descent.ipynb:" in job.summary
    assert "| ❌ | q4_update_synapses |" in job.summary and "| ✅ | q1_sigmoid_derivative | pass |" in job.summary
    assert "hidden" in job.summary  # says that marks come from the hidden tests elsewhere

    job = run_student(exported, tmp_path / "alice", EXAMPLES / "alice.ipynb")
    check = next(s for s in job.steps if s.name == "Check")
    assert check.proc.returncode == 0, check.proc.stdout + check.proc.stderr
    assert "::error" not in check.proc.stdout and "❌" not in job.summary


def test_student_repository_holds_no_hidden_test_no_master_no_secret(exported):
    student = exported / "student"
    files = sorted(p for p in student.rglob("*") if p.is_file())
    names = {p.relative_to(student).as_posix() for p in files}
    assert names == {".github/workflows/gdkit-check.yml", f"{ASSIGNMENT}.ipynb"}
    release = REPO / "assignments" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    assert (student / f"{ASSIGNMENT}.ipynb").read_bytes() == release.read_bytes()
    hidden = [p for p in (REPO / "autograder" / ASSIGNMENT).rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    test_names = {line.split("(")[0][4:] for p in hidden if p.suffix == ".py"
                  for line in p.read_text().splitlines() if line.startswith("def test_")}
    assert len(test_names) > 10
    blobs = {p.read_bytes() for p in hidden}
    for path in files:
        data = path.read_bytes()
        assert data not in blobs
        text = data.decode("utf-8")
        for marker in ("BEGIN HIDDEN TESTS", "BEGIN SOLUTION", "grade_question("):
            assert marker not in text, f"{path}: {marker}"
        assert not [t for t in test_names if t in text], path
    workflow = (student / ".github/workflows/gdkit-check.yml").read_text()
    assert "secrets." not in workflow and "TOKEN" not in workflow
    runs = [s.get("run", "") for s in load(student / ".github/workflows/gdkit-check.yml")["jobs"]["check"]["steps"]]
    assert not [r for r in runs if any(w in r for w in ("git ", "curl", "wget", "http"))]


# ---- the course workflow ------------------------------------------------------------------------

def git(*args, cwd=None, date=None):
    env = {**os.environ, "GIT_AUTHOR_NAME": "s", "GIT_AUTHOR_EMAIL": "s@example.org",
           "GIT_COMMITTER_NAME": "s", "GIT_COMMITTER_EMAIL": "s@example.org"}
    if date:
        env.update(GIT_AUTHOR_DATE=date, GIT_COMMITTER_DATE=date)
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout.strip()


def student_repository(server: Path, full_name: str, commits: list[tuple[str, dict]]) -> list[str]:
    """A bare repository at server/<owner>/<name>.git with the given commits; returns their ids."""
    work = server.parent / "work" / full_name
    work.mkdir(parents=True)
    git("init", "-q", "-b", "main", cwd=work)
    ids = []
    for date, files in commits:
        for name, source in files.items():
            (work / name).parent.mkdir(parents=True, exist_ok=True)
            (work / name).write_bytes(Path(source).read_bytes())
        git("add", "-A", cwd=work)
        git("commit", "-q", "-m", f"work at {date}", cwd=work, date=date)
        ids.append(git("rev-parse", "HEAD", cwd=work))
    bare = server / f"{full_name}.git"
    bare.parent.mkdir(parents=True, exist_ok=True)
    git("clone", "-q", "--bare", str(work), str(bare))
    return ids


@pytest.fixture(scope="module")
def classroom(tmp_path_factory):
    """Four student repositories (file:// URLs under a stand-in for github.com)."""
    root = tmp_path_factory.mktemp("github")
    server = root / "server"
    ids = {
        # good work before the deadline, a bug pushed after it: the good commit is graded
        "ann": student_repository(server, "course-org/gd-ann", [(BEFORE, {f"{ASSIGNMENT}.ipynb": EXAMPLES / "alice.ipynb"}),
                                                               (AFTER, {f"{ASSIGNMENT}.ipynb": EXAMPLES / "carol.ipynb"})]),
        # the notebook renamed in a folder, next to a scratch notebook: found by its name, any case
        "ben": student_repository(server, "course-org/gd-ben", [(BEFORE, {"work/Gradient_Descent.ipynb": EXAMPLES / "carol.ipynb",
                                                                          "scratch.ipynb": EXAMPLES / "alice.ipynb"})]),
        # only worked after the deadline: not collected
        "cat": student_repository(server, "course-org/gd-cat", [(AFTER, {f"{ASSIGNMENT}.ipynb": EXAMPLES / "alice.ipynb"})]),
        "dan": student_repository(server, "course-org/gd-dan", [(BEFORE, {f"{ASSIGNMENT}.ipynb": EXAMPLES / "bob.ipynb"})]),
    }
    return server, ids


def course_repository(exported: Path, tmp: Path, roster_rows: list[str]) -> Path:
    repo = tmp / "course-repo"
    for part in ("autograder", "assignments"):
        shutil.copytree(REPO / part / ASSIGNMENT, repo / part / ASSIGNMENT,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copy(REPO / "gdkit.toml", repo / "gdkit.toml")
    shutil.copytree(exported / "course", repo, dirs_exist_ok=True)
    (repo / "roster" / f"{ASSIGNMENT}.csv").write_text("student,repository\n" + "".join(r + "\n" for r in roster_rows))
    return repo


def grades_of(path: Path) -> dict:
    with open(path) as f:
        return {row["student"]: row for row in csv.DictReader(f)}


@pytest.mark.slow
def test_course_workflow_grades_the_class_at_the_deadline(exported, classroom, tmp_path):
    server, ids = classroom
    repo = course_repository(exported, tmp_path, [f"{s},course-org/gd-{s}" for s in ("ann", "ben", "cat", "dan")])
    with FakeGitHub(token=TOKEN) as api:
        runner = Runner(load(course_workflow_path(exported)), repo, tmp_path,
                        env={"GITHUB_API_URL": api.url, "GITHUB_SERVER_URL": server.as_uri()},
                        secrets={"GDKIT_CLASSROOM_TOKEN": TOKEN, "GDKIT_PUBLISH_TOKEN": TOKEN},
                        unset=("GDKIT_ROOT", "GDKIT_COURSE"))
        jobs = runner.run()
        for name, runs in jobs.items():
            for job in runs:
                for step in job.steps:
                    if step.proc is not None:
                        assert step.proc.returncode == 0, f"{name}/{step.name}: {step.proc.stdout}{step.proc.stderr}"
        (collect_job,) = jobs["collect"]
        assert collect_job.outputs == {"students": "3", "shards": "[1, 2]", "shard_count": "2"}
        assert len(jobs["grade"]) == 2 and len(jobs["merge"]) == 1
        assert "| cat | course-org/gd-cat |" in collect_job.summary and "no-commit" in collect_job.summary

        manifest = json.loads((runner.artifacts["collected"] / "manifest.json").read_text())
        chosen = {s["student"]: s for s in manifest["students"]}
        assert chosen["ann"]["commit"] == ids["ann"][0]  # the last commit at or before the deadline
        assert chosen["ben"]["path"] == "work/Gradient_Descent.ipynb" and chosen["ben"]["ignored"] == ["scratch.ipynb"]
        assert chosen["cat"]["status"] == "no-commit" and chosen["dan"]["status"] == "ok"
        times = (runner.artifacts["collected"] / "times.csv").read_text().splitlines()
        assert times[0] == "student,submitted_at" and times[1] == f"ann,{BEFORE}" and len(times) == 4
        assert TOKEN not in json.dumps(manifest)

        # the merged grades equal one `gdkit grade` of the notebooks each commit held
        direct = tmp_path / "direct"
        direct.mkdir()
        for student, example in (("ann", "alice"), ("ben", "carol"), ("dan", "bob")):
            shutil.copy(EXAMPLES / f"{example}.ipynb", direct / f"{student}.ipynb")
        result = gdkit("grade", str(direct), "--assignment", ASSIGNMENT, "--out", str(tmp_path / "direct-out"), "--quiet")
        assert result.returncode == 0, result.stderr
        merged = grades_of(runner.artifacts["grades"] / "grades.csv")
        expected = grades_of(tmp_path / "direct-out" / "grades.csv")
        assert set(merged) == {"ann", "ben", "dan"}
        for student in merged:
            assert {k: v for k, v in merged[student].items() if k != "reason"} == \
                   {k: v for k, v in expected[student].items() if k != "reason"}
        assert merged["ann"]["total"] == "100" and merged["ben"]["total"] == "60"

        # feedback posted once per student, on the graded commit, with the publish token
        posts = [(m, p, h, b) for m, p, h, b in api.requests if m == "POST"]
        assert sorted(p for _, p, _, _ in posts) == sorted(
            f"/repos/course-org/gd-{s}/commits/{ids[s][0]}/comments" for s in ("ann", "ben", "dan"))
        assert all(h["Authorization"] == f"Bearer {TOKEN}" for _, _, h, _ in api.requests)
        ben = next(b["body"] for _, p, _, b in posts if "gd-ben" in p)
        assert "Score: 60 / 100" in ben and "q4_update_synapses" in ben and "data:image" not in ben

        # what left the course repository (artifacts, posts) holds no hidden test
        hidden = [p.read_text() for p in (REPO / "autograder" / ASSIGNMENT).glob("*.py")]
        for store in runner.artifacts.values():
            for path in store.rglob("*"):
                if path.is_file():
                    assert path.read_bytes().decode("utf-8", "replace") not in hidden
                    assert path.suffix != ".py"
        for _, _, _, body in posts:
            assert "def test_" not in body["body"] and "assignment.toml" not in body["body"]

        # a scheduled rerun that grades the same commits posts nothing new
        before = len(posts)
        publish = gdkit("publish", str(runner.artifacts["grades"]), "--manifest",
                        str(runner.artifacts["collected"] / "manifest.json"), "--to", "comment", "--api-url", api.url,
                        env={**os.environ, "GDKIT_GITHUB_TOKEN": TOKEN})
        assert publish.returncode == 0, publish.stderr
        assert publish.stdout.count(": unchanged ") == 3
        assert len([r for r in api.requests if r[0] == "POST"]) == before


def test_collect_prints_a_students_file_names_on_one_line(tmp_path, capsys):
    """A folder of the student's repository named "x\\n::error::..." must not become a line of the
    job log of its own (a workflow command, or a forged row of the collect summary)."""
    from gdkit.cli import main
    folder = "x\n::error title=forged::alice scored 100\ny"
    student_repository(tmp_path / "server", "course-org/gd-eve", [(BEFORE, {f"{folder}/{ASSIGNMENT}.ipynb":
                                                                             EXAMPLES / "alice.ipynb"})])
    roster = tmp_path / "roster.csv"
    roster.write_text(f"student,repository\neve,{(tmp_path / 'server' / 'course-org' / 'gd-eve.git').as_uri()}\n")
    assert main(["collect", "-a", ASSIGNMENT, "--roster", str(roster), "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "eve: ok" in out and not any(line.startswith("::error") for line in out.splitlines()), out


@pytest.mark.slow
def test_collect_by_classroom_prefix_over_the_api(classroom, tmp_path):
    server, ids = classroom
    with FakeGitHub(token=TOKEN, page_size=2) as api:
        def repo(name, **extra):
            return {"name": name, "full_name": f"course-org/{name}",
                    "clone_url": (server / "course-org" / f"{name}.git").as_uri(), **extra}
        api.repos["course-org"] = [repo("gd-ann"), repo("other-ann"), repo("gd", is_template=True), repo("gd-dan"),
                                   repo("gd-cat")]
        out = tmp_path / "collected"
        env = {**os.environ, "GDKIT_GITHUB_TOKEN": TOKEN, "GITHUB_OUTPUT": str(tmp_path / "output")}
        result = gdkit("collect", "--assignment", ASSIGNMENT, "--classroom", "course-org/gd", "--deadline",
                       DEADLINE, "--out", str(out), "--api-url", api.url, env=env)
        assert result.returncode == 0, result.stderr
        pages = [p for m, p, _, _ in api.requests if p.startswith("/orgs/course-org/repos")]
        assert len(pages) == 3  # followed the Link header through every page
    manifest = json.loads((out / "manifest.json").read_text())
    assert [s["student"] for s in manifest["students"]] == ["ann", "cat", "dan"]
    assert sorted(p.name for p in (out / "submissions").iterdir()) == ["ann.ipynb", "dan.ipynb"]
    assert (out / "submissions" / "ann.ipynb").read_bytes() == (EXAMPLES / "alice.ipynb").read_bytes()
    assert (tmp_path / "output").read_text() == "students=2\nshards=[1, 2]\nshard_count=2\n"
    assert "::warning title=gdkit collect::cat: no-commit" in result.stdout

    # a wrong token is one line that says what to do
    with FakeGitHub(token="another") as api:
        api.repos["course-org"] = []
        result = gdkit("collect", "-a", ASSIGNMENT, "--classroom", "course-org/gd", "--out", str(out),
                       "--api-url", api.url, env={**os.environ, "GDKIT_GITHUB_TOKEN": TOKEN})
    assert result.returncode == 2 and "HTTP 401" in result.stderr and "GDKIT_GITHUB_TOKEN" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and TOKEN not in result.stderr


@pytest.mark.slow
def test_publish_as_an_issue_is_edited_in_place(tmp_path):
    grades = tmp_path / "grades"
    result = gdkit("grade", str(EXAMPLES / "carol.ipynb"), "--assignment", ASSIGNMENT, "--out", str(grades), "--quiet")
    assert result.returncode == 0, result.stderr
    manifest = tmp_path / "manifest.json"

    def write_manifest(commit):
        manifest.write_text(json.dumps({"assignment": ASSIGNMENT, "students": [
            {"student": "carol", "repository": "course-org/gd-carol", "url": "", "status": "ok", "commit": commit},
            {"student": "zed", "repository": "course-org/gd-zed", "url": "", "status": "no-commit", "commit": ""}]}))

    env = {**os.environ, "GDKIT_GITHUB_TOKEN": TOKEN}
    with FakeGitHub(token=TOKEN) as api:
        api.issues["course-org/gd-carol"] = [{"number": 1, "title": "my question", "body": "unrelated", "state": "open"}]
        write_manifest("a" * 40)
        first = gdkit("publish", str(grades), "--manifest", str(manifest), "--to", "issue", "--api-url", api.url, env=env)
        again = gdkit("publish", str(grades), "--manifest", str(manifest), "--to", "issue", "--api-url", api.url, env=env)
        write_manifest("b" * 40)
        newer = gdkit("publish", str(grades), "--manifest", str(manifest), "--to", "issue", "--api-url", api.url, env=env)
        api.fail["/repos/course-org/gd-carol/issues"] = 403
        refused = gdkit("publish", str(grades), "--manifest", str(manifest), "--to", "issue", "--api-url", api.url,
                        env=env)
    assert first.returncode == 0 and "carol: opened course-org/gd-carol" in first.stdout, first.stderr
    assert "zed: skipped" in first.stdout
    assert "carol: unchanged" in again.stdout and "carol: updated" in newer.stdout
    issues = api.issues["course-org/gd-carol"]
    assert len(issues) == 2 and issues[0]["body"] == "unrelated"
    assert issues[1]["title"] == f"gdkit feedback: {ASSIGNMENT}" and f"commit={'b' * 40}" in issues[1]["body"]
    assert refused.returncode == 1 and "carol: failed" in refused.stdout and "HTTP 403" in refused.stdout


def test_bad_input_is_one_line(tmp_path, capsys, monkeypatch):
    from gdkit.cli import main

    def run(*args):
        status = main(list(args))
        return status, capsys.readouterr().err

    out = tmp_path / "x"
    base = ["export", "github-actions", "-a", ASSIGNMENT, "--out", str(out)]
    for args, words in [
        ([], "give --kit-spec"),
        (["--kit-spec", "gdkit"], "is a package name"),
        (["--kit-spec", "gdkit==0.1.0"], "is a package name"),
        (["--kit-spec", KIT_SPEC, "--deadline", "2026-12-01 23:59"], "no UTC offset"),
        (["--kit-spec", KIT_SPEC, "--deadline", "tomorrow"], "not an ISO 8601 time"),
        (["--kit-spec", KIT_SPEC, "--roster", "r.csv", "--classroom", "o/p"], "not both"),
        (["--kit-spec", KIT_SPEC, "--classroom", "just-an-org"], "ORG/PREFIX"),
        (["--kit-spec", KIT_SPEC, "--schedule", "daily"], "cron"),
        (["--kit-spec", KIT_SPEC, "--shards", "0"], "1 to 64"),
    ]:
        status, err = run(*base, *args)
        assert status == 2 and words in err and len(err.strip().splitlines()) == 1, (args, err)
    assert not out.exists()
    # collect: a roster that is not one
    roster = tmp_path / "roster.csv"
    for text, words in [("name,repo\nann,o/r\n", "student,repository"), ("student,repository\nann/x,o/r\n", "file name"),
                        ("student,repository\nann,not a repo\n", "neither owner/name nor a git URL"),
                        ("student,repository\nann,o/r\nann,o/s\n", "listed twice")]:
        roster.write_text(text)
        status, err = run("collect", "-a", ASSIGNMENT, "--roster", str(roster), "--out", str(out))
        assert status == 2 and words in err and len(err.strip().splitlines()) == 1, (text, err)
    status, err = run("collect", "-a", ASSIGNMENT, "--out", str(out))
    assert status == 2 and "exactly one of --roster" in err
    # the course's own repository is never the kit students install
    course = tmp_path / "course"
    for part in ("autograder", "assignments"):
        shutil.copytree(REPO / part / ASSIGNMENT, course / part / ASSIGNMENT)
    shutil.copy(REPO / "gdkit.toml", course / "gdkit.toml")
    git("init", "-q", "-b", "main", cwd=course)
    git("remote", "add", "origin", "https://github.com/course-org/private-course.git", cwd=course)
    monkeypatch.setenv("GDKIT_COURSE", str(course))
    status, err = run(*base, "--kit-spec", "git+https://github.com/course-org/private-course@main")
    assert status == 2 and "this course's repository" in err


# ---- the grade-folder report (ci-report) ---------------------------------------------------------

def test_escaping_of_workflow_commands():
    assert ci_report.escape_data("50%\r\nnext") == "50%25%0D%0Anext"
    assert ci_report.escape_property("q1: a, b") == "q1%3A a%2C b"


@pytest.mark.slow
def test_ci_report_of_a_grading_folder(tmp_path):
    out = tmp_path / "grades"
    assert gdkit("grade", str(EXAMPLES / "carol.ipynb"), "--out", str(out), "--quiet").returncode == 0
    summary, output = tmp_path / "summary.md", tmp_path / "output"
    env = {**os.environ, "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_OUTPUT": str(output),
           "GITHUB_WORKSPACE": str(EXAMPLES)}
    result = gdkit("ci-report", str(out), env=env)
    assert result.returncode == 0, result.stderr
    titles = sorted(l.split("title=")[1].split("::")[0] for l in result.stdout.splitlines() if l.startswith("::error"))
    assert titles == ["q4_update_synapses%3A 0 / 20 points", "q5_convergence%3A 0 / 20 points"]
    assert "score=60\nmax_score=100\n" == output.read_text()
    assert gdkit("ci-report", str(tmp_path / "nothing"), env=env).returncode == 1


def test_kit_ci_runs_the_ci_script():
    ci = yaml.safe_load((REPO / ".github" / "workflows" / "ci.yml").read_text())
    (job,) = ci["jobs"].values()
    assert [s["run"] for s in job["steps"] if "run" in s] == ["bash .ci/run"]
    assert any(s.get("uses", "").startswith("actions/checkout@") for s in job["steps"])
