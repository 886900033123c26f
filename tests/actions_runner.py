"""Runs an exported GitHub Actions workflow locally, the way a runner would, for the tests.

Each job gets a fresh workspace; its `run:` steps execute in order with bash (GitHub's own
invocation for `shell: bash`), with GitHub's variables (GITHUB_WORKSPACE, RUNNER_TEMP,
GITHUB_STEP_SUMMARY, GITHUB_OUTPUT, GITHUB_API_URL, GITHUB_SERVER_URL, CI) and the workflow's,
job's and step's `env:` evaluated. Step outputs become `steps.<id>.outputs`, job outputs
`needs.<job>.outputs`, and a `fromJSON` matrix runs the job once per value. `uses:` steps are
GitHub's own actions, stood in for: checkout copies the repository's files into the workspace,
upload/download-artifact copy folders to and from a local store; setup-python does nothing.
The pip step is skipped because the kit under test is installed already.

Only the expression forms the exported workflows use are understood; anything else fails the
test, so a new form cannot slip through unevaluated.
"""
from __future__ import annotations

import fnmatch
import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

_EXPR = re.compile(r"\$\{\{(.*?)\}\}")


def _split_or(text: str) -> list[str]:
    parts, depth, quoted, start = [], 0, False, 0
    i = 0
    while i < len(text):
        c = text[i]
        if c == "'":
            quoted = not quoted
        elif not quoted and c == "(":
            depth += 1
        elif not quoted and c == ")":
            depth -= 1
        elif not quoted and depth == 0 and text.startswith("||", i):
            parts.append(text[start:i])
            start = i + 2
            i += 1
        i += 1
    parts.append(text[start:])
    return [p.strip() for p in parts]


def evaluate(text: str, context: dict):
    """One expression: literals, dotted context paths, ||, ==/!=, fromJSON(), always()."""
    text = text.strip()
    alternatives = _split_or(text)
    if len(alternatives) > 1:
        value = ""
        for alternative in alternatives:
            value = evaluate(alternative, context)
            if value not in ("", None, False, 0):
                return value
        return value
    m = re.fullmatch(r"'((?:[^']|'')*)'", text)
    if m:
        return m.group(1).replace("''", "'")
    if text == "always()":
        return True
    m = re.fullmatch(r"fromJSON\((.*)\)", text)
    if m:
        return json.loads(evaluate(m.group(1), context))
    m = re.fullmatch(r"(.+?)\s*(==|!=)\s*(.+)", text)
    if m:
        left, right = evaluate(m.group(1), context), evaluate(m.group(3), context)
        return (str(left) == str(right)) == (m.group(2) == "==")
    if re.fullmatch(r"[A-Za-z_][\w-]*(\.[\w-]+)*", text):
        value = context
        for part in text.split("."):
            value = value.get(part, "") if isinstance(value, dict) else ""
        return value
    raise AssertionError(f"an expression form the test runner does not know: {text}")


def substitute(value, context: dict):
    """A YAML value with every ${{ }} evaluated (a whole-value expression keeps its type)."""
    if not isinstance(value, str):
        return value
    whole = _EXPR.fullmatch(value.strip())
    if whole:
        return evaluate(whole.group(1), context)
    return _EXPR.sub(lambda m: str(evaluate(m.group(1), context)), value)


@dataclass
class Step:
    name: str
    id: str | None
    proc: subprocess.CompletedProcess | None
    uses: str | None = None
    skipped: bool = False


@dataclass
class Job:
    name: str
    steps: list[Step] = field(default_factory=list)
    outputs: dict = field(default_factory=dict)
    summary: str = ""
    workspace: Path | None = None
    failed: bool = False


class Runner:
    def __init__(self, workflow: dict, repository: Path, tmp: Path, *, env: dict | None = None,
                 secrets: dict | None = None, inputs: dict | None = None, event: dict | None = None,
                 skip_pip: bool = True, unset: tuple[str, ...] = ()):
        self.workflow = workflow
        self.repository = repository
        self.tmp = tmp
        self.base_env = dict(env or {})
        self.context = {"secrets": secrets or {}, "inputs": inputs or {}, "vars": {},
                        "github": {"event": event or {}, "ref": "refs/heads/main"}, "needs": {}}
        self.artifacts: dict[str, Path] = {}
        self.skip_pip = skip_pip
        self.unset = unset  # variables of this machine a real runner would not have
        self.count = 0

    def _uses(self, step: dict, workspace: Path, context: dict) -> None:
        action = step["uses"].split("@")[0]
        given = {k: substitute(v, context) for k, v in (step.get("with") or {}).items()}
        if action == "actions/checkout":
            shutil.copytree(self.repository, workspace, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns(".git"))
        elif action == "actions/upload-artifact":
            source = workspace / given["path"]
            if not source.exists() or not any(source.rglob("*")):
                if given.get("if-no-files-found") == "error":
                    raise subprocess.CalledProcessError(1, f"upload-artifact {given['name']}: no files")
                return
            store = self.tmp / "artifacts" / given["name"]
            if store.exists():
                shutil.rmtree(store)
            shutil.copytree(source, store)
            self.artifacts[given["name"]] = store
        elif action == "actions/download-artifact":
            target = workspace / given.get("path", ".")
            if "name" in given:
                shutil.copytree(self.artifacts[given["name"]], target, dirs_exist_ok=True)
            else:
                for name, store in sorted(self.artifacts.items()):
                    if fnmatch.fnmatch(name, given["pattern"]):
                        shutil.copytree(store, target / name, dirs_exist_ok=True)
        elif action != "actions/setup-python":
            raise AssertionError(f"an action the test runner does not stand in for: {step['uses']}")

    def run_job(self, name: str, matrix: dict | None = None) -> Job:
        spec = self.workflow["jobs"][name]
        self.count += 1
        base = self.tmp / f"job-{self.count}-{name}"
        workspace, runner_temp = base / "workspace", base / "runner-temp"
        workspace.mkdir(parents=True)
        runner_temp.mkdir()
        summary = base / "summary.md"
        summary.touch()
        context = {**self.context, "matrix": matrix or {}, "steps": {}, "env": {}}
        env = {**os.environ, **self.base_env, "GITHUB_WORKSPACE": str(workspace), "RUNNER_TEMP": str(runner_temp),
               "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_ACTIONS": "true", "CI": "true"}
        for name in self.unset:
            env.pop(name, None)
        for level in (self.workflow.get("env") or {}, spec.get("env") or {}):
            for key, value in level.items():
                env[key] = str(substitute(value, context))
                context["env"][key] = env[key]
        job = Job(name, workspace=workspace)
        for step in spec["steps"]:
            condition = step.get("if")
            if job.failed and condition != "always()":
                job.steps.append(Step(step.get("name", ""), step.get("id"), None, step.get("uses"), True))
                continue
            if condition and not evaluate(condition, context):
                job.steps.append(Step(step.get("name", ""), step.get("id"), None, step.get("uses"), True))
                continue
            if "uses" in step:
                try:
                    self._uses(step, workspace, context)
                except subprocess.CalledProcessError:
                    job.failed = True
                job.steps.append(Step(step.get("name", step["uses"]), step.get("id"), None, step["uses"]))
                continue
            if self.skip_pip and "pip install" in step["run"]:
                job.steps.append(Step(step.get("name", ""), step.get("id"), None, skipped=True))
                continue
            output = base / f"output-{len(job.steps)}.txt"
            output.touch()
            step_env = {**env, "GITHUB_OUTPUT": str(output)}
            step_env.update({k: str(substitute(v, context)) for k, v in (step.get("env") or {}).items()})
            script = base / "step.sh"
            script.write_text(step["run"])
            proc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=workspace,
                                  env=step_env, capture_output=True, text=True, timeout=600)
            job.steps.append(Step(step.get("name", step["run"][:30]), step.get("id"), proc))
            if step.get("id"):
                values = dict(line.split("=", 1) for line in output.read_text().splitlines() if "=" in line)
                context["steps"][step["id"]] = {"outputs": values}
            if proc.returncode != 0:
                job.failed = True
        job.outputs = {k: substitute(v, context) for k, v in (spec.get("outputs") or {}).items()}
        job.summary = summary.read_text()
        return job

    def run(self) -> dict[str, list[Job]]:
        """Every job in dependency order (matrix jobs once per value); a skipped job gets []."""
        done: dict[str, list[Job]] = {}
        pending = list(self.workflow["jobs"])
        while pending:
            for name in pending:
                spec = self.workflow["jobs"][name]
                needs = spec.get("needs") or []
                needs = [needs] if isinstance(needs, str) else needs
                if all(n in done for n in needs):
                    break
            else:
                raise AssertionError(f"jobs with unmet needs: {pending}")
            pending.remove(name)
            if any(not done[n] or any(j.failed for j in done[n]) for n in needs):
                done[name] = []
                continue
            context = {**self.context}
            if spec.get("if") and not evaluate(spec["if"], context):
                done[name] = []
                continue
            matrix = (spec.get("strategy") or {}).get("matrix")
            if matrix:
                ((key, values),) = matrix.items()
                values = substitute(values, context)
                done[name] = [self.run_job(name, {key: value}) for value in values]
            else:
                done[name] = [self.run_job(name)]
            self.context["needs"][name] = {"outputs": done[name][0].outputs if done[name] else {},
                                           "result": "failure" if any(j.failed for j in done[name]) else "success"}
        return done
