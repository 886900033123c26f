"""`gdkit publish`: each student's feedback posted back to their own repository.

Run by the course workflow after ``gdkit merge``, with a token held only by the course
repository (``$GDKIT_GITHUB_TOKEN``). For every student of the manifest that ``gdkit collect``
wrote and who has a record in the grading folder, the student-safe feedback (the same Markdown
as ``feedback.md``, at the course's detail level) goes to the graded repository as

- ``comment``: a comment on the graded commit, or
- ``issue``: one issue per assignment, created once and then edited in place.

A hidden marker ties a post to (assignment, commit): a scheduled rerun that graded the same
commit posts nothing new. A failure for one student is reported and the others still get theirs.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from gdkit.errors import GdkitError
from gdkit.export import collect as collect_mod
from gdkit.export import github_api
from gdkit.grading import outputs

MODES = ("comment", "issue")
MAX_BODY = 60_000            # GitHub refuses bodies over 65,536 characters
_DATA_IMAGE = re.compile(r"!\[[^\]]*\]\(data:[^)]*\)")


@dataclass
class Posted:
    student: str
    repository: str
    action: str          # "commented", "opened", "updated", "unchanged", "skipped", "failed"
    detail: str = ""


def marker(assignment: str, commit: str) -> str:
    return f"<!-- gdkit-feedback assignment={assignment} commit={commit} -->"


def _issue_marker(assignment: str) -> str:
    return f"<!-- gdkit-feedback assignment={assignment} "


def feedback_markdown(record, detail: str | None = None) -> str:
    """The student's feedback.md text without inline images (GitHub does not show data: images)."""
    from gdkit import feedback

    text = feedback.render_markdown(record, detail or "default")
    text = _DATA_IMAGE.sub("(the training curve is in feedback.html)", text)
    if len(text) > MAX_BODY:
        text = text[:MAX_BODY] + "\n\n(feedback cut here: it is longer than GitHub allows)\n"
    return text


def _body(record, assignment: str, commit: str, detail: str | None) -> str:
    return (f"{feedback_markdown(record, detail)}\n---\nGraded by gdkit at commit {commit[:12]}.\n"
            f"{marker(assignment, commit)}\n")


def _post_comment(client, repo: str, commit: str, body: str, assignment: str) -> str:
    existing = client.paginate(f"/repos/{repo}/commits/{commit}/comments")
    if any(marker(assignment, commit) in str(c.get("body", "")) for c in existing if isinstance(c, dict)):
        return "unchanged"
    client.post(f"/repos/{repo}/commits/{commit}/comments", {"body": body})
    return "commented"


def _post_issue(client, repo: str, commit: str, body: str, assignment: str) -> str:
    title = f"gdkit feedback: {assignment}"
    issues = client.paginate(f"/repos/{repo}/issues?state=all")
    mine = [i for i in issues if isinstance(i, dict) and "pull_request" not in i
            and _issue_marker(assignment) in str(i.get("body") or "")]
    if not mine:
        client.post(f"/repos/{repo}/issues", {"title": title, "body": body})
        return "opened"
    issue = mine[0]
    if marker(assignment, commit) in str(issue.get("body") or ""):
        return "unchanged"
    client.patch(f"/repos/{repo}/issues/{int(issue['number'])}", {"body": body, "state": "open"})
    return "updated"


def publish(grades: Path, manifest_path: Path, mode: str, client: github_api.GitHubClient | None = None,
            detail: str | None = None, dry_run: bool = False) -> list[Posted]:
    """Post every collected student's feedback; returns what happened to each."""
    if mode not in MODES:
        raise GdkitError(f"--to {mode!r}: choose one of {', '.join(MODES)}")
    grades = Path(grades)
    if not grades.is_dir():
        raise GdkitError(f"{grades} is not a folder; give the --out folder of 'gdkit merge' or 'gdkit grade'")
    manifest = collect_mod.read_manifest(manifest_path)
    assignment = str(manifest.get("assignment", ""))
    if client is None and not dry_run:
        client = github_api.GitHubClient()
        if not client.token:
            raise GdkitError(f"publishing needs a token in ${github_api.TOKEN_ENV} that may write to the "
                             "students' repositories (issues or contents); set it from a course secret")
    done = []
    for entry in manifest["students"]:
        student, repo, commit = entry.get("student", ""), entry.get("repository", ""), entry.get("commit", "")
        if entry.get("status") != "ok" or not commit:
            done.append(Posted(student, repo, "skipped", f"not collected ({entry.get('status')})"))
            continue
        if not repo:
            done.append(Posted(student, repo, "skipped", "the repository's owner/name is unknown"))
            continue
        record = outputs.read_record(grades, student)
        if record is None:
            done.append(Posted(student, repo, "skipped", "no record in the grading folder"))
            continue
        if record.assignment != assignment:
            done.append(Posted(student, repo, "skipped", f"graded for {record.assignment}, not {assignment}"))
            continue
        body = _body(record, assignment, commit, detail)
        if dry_run:
            done.append(Posted(student, repo, "skipped", f"dry run: {len(body)} characters"))
            continue
        try:
            action = (_post_comment if mode == "comment" else _post_issue)(client, repo, commit, body, assignment)
            done.append(Posted(student, repo, action))
        except github_api.GitHubError as exc:
            done.append(Posted(student, repo, "failed", str(exc)))
    return done

