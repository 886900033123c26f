"""`gdkit collect`: the class's notebooks from their GitHub repositories, as of a deadline.

The course workflow runs this in the instructor's private course repository. Its sources:

- a roster file (CSV with columns ``student,repository`` and optionally ``branch``; a
  repository is ``owner/name`` on ``$GITHUB_SERVER_URL`` or a full git URL), or
- a GitHub Classroom assignment: every repository of an organisation whose name starts with
  ``<prefix>-`` (Classroom names each student's copy ``<prefix>-<username>``); the student id
  is the rest of the name.

For each repository it takes the last commit on the branch (default: the repository's default
branch) whose committer date is not after the deadline, and copies the assignment's notebook
of that commit to ``OUT/submissions/<student>.ipynb``; ``OUT/manifest.json`` records for every
student the repository, commit, date and what happened (``ok``, ``no-commit``, ``no-notebook``,
``clone-failed``, ...), and ``OUT/times.csv`` each graded commit's time for the course's late
rule (``[late] source = "roster"``). Clones are bare (no checkout, no hooks run) and authenticate with
``$GDKIT_GITHUB_TOKEN`` through git's environment configuration, never the command line.

Committer dates are written by the student's machine: a student can backdate a commit. Running
the workflow at the deadline (its schedule) and taking each branch's head is tamper-proof; the
manifest keeps each commit's id so a later run can be compared.
"""
from __future__ import annotations

import base64
import csv
import io
import json
import os
import re
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from gdkit import assignments
from gdkit.errors import GdkitError
from gdkit.export import github_api
from gdkit.grading import outputs

MANIFEST = "manifest.json"
TIMES = "times.csv"
SUBMISSIONS = "submissions"
MAX_NOTEBOOK_BYTES = 20 << 20   # a larger file is not a notebook a student wrote by hand
CLONE_TIMEOUT = 300.0
_STUDENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}$")
_FULL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+$")


@dataclass(frozen=True)
class Source:
    """Where one student's work lives."""

    student: str
    repository: str     # owner/name (for publishing back), '' when the URL does not say
    url: str            # what git clones
    branch: str = ""    # '' = the repository's default branch


@dataclass
class Collected:
    """What happened to one student (a row of the manifest)."""

    student: str
    repository: str
    url: str
    status: str = "ok"
    reason: str = ""
    commit: str = ""
    committed_at: str = ""
    path: str = ""                      # the notebook's path inside the repository
    ignored: list[str] = field(default_factory=list)


def parse_deadline(text: str | None) -> datetime | None:
    """An ISO 8601 time with its UTC offset (``Z`` allowed) -> aware datetime; '' / None -> None."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
    except ValueError:
        raise GdkitError(f"deadline {text!r} is not an ISO 8601 time; "
                         "write it like 2026-12-01T23:59:00+01:00") from None
    if when.tzinfo is None:
        raise GdkitError(f"deadline {text!r} has no UTC offset; add one, e.g. {text}+00:00 or {text}Z")
    return when.astimezone(timezone.utc)


def _clean_url(url: str) -> str:
    """A URL without user:password@ (a token in a roster must not reach the manifest or logs)."""
    parts = urlsplit(url)
    if parts.username or parts.password:
        host = parts.hostname or ""
        if parts.port:
            host += f":{parts.port}"
        return parts._replace(netloc=host).geturl()
    return url


def _full_name_of(url: str) -> str:
    path = urlsplit(url).path.rstrip("/")
    parts = [p for p in path.split("/") if p]
    if len(parts) < 2:
        return ""
    name = parts[-1][:-4] if parts[-1].endswith(".git") else parts[-1]
    full = f"{parts[-2]}/{name}"
    return full if _FULL_NAME.match(full) else ""


def _check_student(student: str, where: str) -> str:
    if not _STUDENT.match(student) or student in (".", ".."):
        raise GdkitError(f"{where}: student id {student!r} must be letters, digits and . _ @ + - "
                         "(it becomes a file name); fix it")
    return student


def read_roster(path: Path, server: str | None = None) -> list[Source]:
    """The roster CSV: ``student,repository[,branch]`` with a header row."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise GdkitError(f"no roster {path}; write it with the header 'student,repository' "
                         "(one row per student, repository as owner/name)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise GdkitError(f"cannot read the roster {path} ({exc}); save it as UTF-8 CSV") from None
    rows = list(csv.DictReader(io.StringIO(text)))
    header = {h.strip().lower() for h in (csv.DictReader(io.StringIO(text)).fieldnames or [])}
    if not {"student", "repository"} <= header:
        raise GdkitError(f"{path} needs the header 'student,repository' (optionally ',branch'); "
                         f"found {', '.join(sorted(header)) or 'nothing'}")
    base = github_api.server_url(server)
    sources, seen = [], set()
    for number, row in enumerate(rows, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
        if not any(row.values()):
            continue
        where = f"{path} line {number}"
        student = _check_student(row.get("student", ""), where)
        repository = row.get("repository", "")
        if not repository:
            raise GdkitError(f"{where}: no repository for {student}; give owner/name or a git URL")
        if "://" in repository or repository.startswith("git@"):
            url, full = repository, _full_name_of(repository)
        elif _FULL_NAME.match(repository):
            url, full = f"{base}/{repository}.git", repository
        else:
            raise GdkitError(f"{where}: repository {repository!r} is neither owner/name nor a git URL")
        if student in seen:
            raise GdkitError(f"{where}: student {student} is listed twice; keep one row per student")
        seen.add(student)
        sources.append(Source(student, full, url, row.get("branch", "")))
    if not sources:
        raise GdkitError(f"{path} lists no students; add one row per student under the header")
    return sources


def classroom_sources(org_prefix: str, client: github_api.GitHubClient) -> list[Source]:
    """Every repository ``ORG/<prefix>-<student>`` (GitHub Classroom's naming), sorted by student."""
    org, _, prefix = org_prefix.partition("/")
    if not org or not prefix or "/" in prefix:
        raise GdkitError(f"--classroom {org_prefix!r}: give ORG/PREFIX, e.g. my-course-org/gradient-descent")
    repos = client.paginate(f"/orgs/{org}/repos?type=all")
    sources = []
    for repo in repos:
        name = str(repo.get("name", "")) if isinstance(repo, dict) else ""
        if not name.lower().startswith(prefix.lower() + "-") or repo.get("is_template"):
            continue
        student = name[len(prefix) + 1:]
        if not student or not _STUDENT.match(student):
            continue
        url = str(repo.get("clone_url") or "")
        full = str(repo.get("full_name") or f"{org}/{name}")
        if url:
            sources.append(Source(student, full, url, ""))
    if not sources:
        raise GdkitError(f"no repository named {prefix}-<student> in the organisation {org} "
                         f"({len(repos)} repositories seen); check the prefix and that the token can read them")
    sources.sort(key=lambda s: s.student)
    if len({s.student.lower() for s in sources}) != len(sources):
        raise GdkitError(f"two repositories of {org} differ only in case after {prefix}-; rename one")
    return sources


def _git_env(url: str, token: str) -> dict:
    """git's environment: no prompts, no user config, and the token as an HTTP header scoped to
    the repository's host (the way actions/checkout sends it), passed through the environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_TERMINAL_PROMPT="0", GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull,
               GCM_INTERACTIVE="never", GIT_ASKPASS="", SSH_ASKPASS="")
    parts = urlsplit(url)
    if token and parts.scheme in ("https", "http") and parts.hostname:
        basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
        env.update(GIT_CONFIG_COUNT="1", GIT_CONFIG_KEY_0=f"http.{parts.scheme}://{parts.netloc}/.extraheader",
                   GIT_CONFIG_VALUE_0=f"AUTHORIZATION: basic {basic}")
    return env


def _git(args: list[str], env: dict, timeout: float = 60.0) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], env=env, capture_output=True, timeout=timeout)


def _choose(paths: list[str], notebook: str) -> tuple[str | None, list[str]]:
    """(the notebook to grade, the other notebooks): the assignment's file name (any case), the
    shallowest first; else the only notebook; else none."""
    notebooks = [p for p in paths if p.lower().endswith(".ipynb")
                 and not any(part.startswith(".") or part == "__MACOSX" for part in PurePosixPath(p).parts)]
    named = sorted((p for p in notebooks if PurePosixPath(p).name.lower() == notebook.lower()),
                   key=lambda p: (p.count("/"), p != notebook, p))
    if named:
        return named[0], [p for p in notebooks if p != named[0]]
    if len(notebooks) == 1:
        return notebooks[0], []
    return None, notebooks


def fetch(source: Source, deadline: datetime | None, notebook: str, dest: Path, token: str,
          workdir: Path) -> Collected:
    """Clone one repository (bare), pick the commit and copy its notebook to ``dest``."""
    item = Collected(source.student, source.repository, _clean_url(source.url))
    env = _git_env(source.url, token)
    bare = workdir / f"{source.student}.git"
    try:
        clone = ["clone", "--bare", "--quiet", "--no-tags", "--single-branch"]
        if source.branch:
            clone += ["--branch", source.branch]
        done = _git([*clone, "--", source.url, str(bare)], env, CLONE_TIMEOUT)
        if done.returncode != 0:
            first = (done.stderr.decode("utf-8", "replace").strip().splitlines() or ["git clone failed"])[-1]
            item.status, item.reason = "clone-failed", first.replace(token, "***") if token else first
            return item
        rev = ["rev-list", "-1", "--first-parent"]
        if deadline is not None:
            rev.append(f"--before={deadline.strftime('%Y-%m-%dT%H:%M:%S+00:00')}")
        done = _git(["--git-dir", str(bare), *rev, "HEAD"], env)
        commit = done.stdout.decode().strip()
        if done.returncode != 0 or not commit:
            item.status = "no-commit"
            item.reason = ("no commit before the deadline" if deadline is not None and done.returncode == 0
                           else "the repository has no commits")
            return item
        item.commit = commit
        item.committed_at = _git(["--git-dir", str(bare), "show", "-s", "--format=%cI", commit],
                                 env).stdout.decode().strip()
        listing = _git(["--git-dir", str(bare), "ls-tree", "-r", "-z", "--name-only", commit], env)
        paths = [p for p in listing.stdout.decode("utf-8", "replace").split("\0") if p]
        chosen, ignored = _choose(paths, notebook)
        item.ignored = ignored[:20]
        if chosen is None:
            item.status = "no-notebook"
            item.reason = (f"no {notebook} in the commit" if not ignored
                           else f"{len(ignored)} notebooks and none named {notebook}")
            return item
        item.path = chosen
        size = _git(["--git-dir", str(bare), "cat-file", "-s", f"{commit}:{chosen}"], env).stdout.decode().strip()
        if not size.isdigit() or int(size) > MAX_NOTEBOOK_BYTES:
            item.status, item.reason = "too-large", f"{chosen} is larger than {MAX_NOTEBOOK_BYTES >> 20} MB"
            return item
        blob = _git(["--git-dir", str(bare), "cat-file", "blob", f"{commit}:{chosen}"], env)
        if blob.returncode != 0:
            item.status, item.reason = "clone-failed", f"cannot read {chosen} from {commit[:12]}"
            return item
        outputs.write_atomic(dest, blob.stdout)
        return item
    except subprocess.TimeoutExpired:
        item.status, item.reason = "clone-failed", f"git took longer than {CLONE_TIMEOUT:g} s"
        return item
    finally:
        shutil.rmtree(bare, ignore_errors=True)


def shard_list(count: int, shards: int) -> list[int]:
    """Shard numbers for the grading matrix: as many as asked, never more than students."""
    return list(range(1, max(0, min(shards, count)) + 1))


def collect(assignment_name: str, sources: list[Source], out: Path, deadline: datetime | None = None,
            token: str = "", jobs: int = 8, root: Path | None = None) -> list[Collected]:
    """Fetch every source into ``out/submissions`` and write ``out/manifest.json``."""
    assignment = assignments.load(assignment_name, root)
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise GdkitError(f"--out {out} is a file; give a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=out, prefix=".collect-"))
    except OSError as exc:
        raise GdkitError(f"cannot write to {out} ({exc.strerror}); choose a writable --out") from None
    try:
        (staging / SUBMISSIONS).mkdir()
        work = staging / "git"
        work.mkdir()
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            items = list(pool.map(lambda s: fetch(s, deadline, assignment.notebook,
                                                  staging / SUBMISSIONS / f"{s.student}.ipynb", token, work),
                                  sources))
        if sources and all(i.status == "clone-failed" for i in items):
            raise GdkitError(f"no repository could be cloned (first: {items[0].student}: {items[0].reason}); "
                             "check the token (GDKIT_GITHUB_TOKEN) and the repository names")
        manifest = {"assignment": assignment.name, "notebook": assignment.notebook,
                    "deadline": deadline.isoformat() if deadline else None,
                    "collected_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                    "students": [asdict(i) for i in items]}
        outputs.write_atomic(staging / MANIFEST, json.dumps(manifest, indent=1))
        # Each graded commit's time, in the form the course's late rule reads
        # ([late] source = "roster", roster = "<out>/times.csv").
        times = io.StringIO()
        writer = csv.writer(times, lineterminator="\n")
        writer.writerow(["student", "submitted_at"])
        writer.writerows([i.student, i.committed_at] for i in items if i.status == "ok")
        outputs.write_atomic(staging / TIMES, times.getvalue())
        shutil.rmtree(work)
        # Replace the previous collection whole: a student dropped from the roster leaves no file behind.
        old = out / SUBMISSIONS
        if old.exists():
            shutil.rmtree(old)
        os.replace(staging / SUBMISSIONS, old)
        os.replace(staging / MANIFEST, out / MANIFEST)
        os.replace(staging / TIMES, out / TIMES)
    except OSError as exc:
        raise GdkitError(f"cannot write to {out} ({exc.strerror or exc}); choose a writable --out") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return items


def read_manifest(path: Path) -> dict:
    """A manifest written by :func:`collect`; GdkitError when it is missing or not one."""
    path = Path(path)
    if path.is_dir():
        path = path / MANIFEST
    try:
        data = json.loads(path.read_text())
        students = data["students"]
        assert isinstance(students, list)
    except FileNotFoundError:
        raise GdkitError(f"no manifest {path}; give the manifest.json 'gdkit collect' wrote") from None
    except (OSError, ValueError, KeyError, TypeError, AssertionError):
        raise GdkitError(f"{path} is not a manifest written by 'gdkit collect'; collect again") from None
    return data


def summary(items: list[Collected], deadline: datetime | None) -> str:
    """Markdown for the job summary: who was collected at which commit."""
    when = deadline.isoformat() if deadline else "now (no deadline given)"
    lines = [f"## gdkit collect: {sum(i.status == 'ok' for i in items)} of {len(items)} notebooks", "",
             f"Last commit at or before: {when}", "",
             "| student | repository | commit | committed | status |", "|---|---|---|---|---|"]
    for i in items:
        status = i.status if i.status == "ok" else f"{i.status}: {i.reason}"
        lines.append(f"| {i.student} | {i.repository or i.url} | {i.commit[:12]} | {i.committed_at} | "
                     f"{' '.join(status.split()).replace('|', '/')} |")
    return "\n".join(lines) + "\n"


def github_outputs(items: list[Collected], shards: int) -> str:
    """Lines for ``$GITHUB_OUTPUT``: the grading matrix and how many notebooks there are."""
    count = sum(i.status == "ok" for i in items)
    numbers = shard_list(count, shards)
    return f"students={count}\nshards={json.dumps(numbers)}\nshard_count={len(numbers)}\n"
