"""The hostile corpus (tests/hostile/corpus.py) graded in ONE run, then judged case by case.

One ``grade_submissions`` call (jobs=2, 2 s timeout) grades every case plus a victim student
graded earlier into the same output folder, with the attacks ordered so that honest bystanders
are graded after them by the same grader session and zygote. The whole corpus is graded twice:
with the workers' audit hook, and without it (``GDKIT_TEST_NO_AUDIT_HOOK=1``), where only the
kernel stands in the way; both runs must give every case the same outcome. The kit's grading
files are a private copy so that a vandal that got through would show up in its hashes, not
damage the checkout. The victim's own run stands in for a kernel without Landlock, to see the
warning such a run prints.
"""
import contextlib
import csv
import io
import hashlib
import html
import json
import os
import re
import resource
import fcntl
import math
import shutil
import socket
import sys
import tempfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from hostile import corpus  # noqa: E402

from gdkit.grading import outputs, runner  # noqa: E402
from gdkit.grading.student import NO_AUDIT_HOOK_ENV  # noqa: E402
from gdkit.sandbox import cleanup, protections  # noqa: E402

pytestmark = pytest.mark.slow
MODES = ("hook", "kernel")  # with the audit hook, and with the kernel's protections alone
JOBS = 2

KIT = Path(__file__).resolve().parents[1]
PACKAGE = KIT / "src" / "gdkit"
MEMORY_MB = 256
# The grader's own sessions must stay small whatever the students print or embed (a 400 MB flood
# or an 18 MB notebook): measured 86 MB here, so a flood held in the grader fails this bound.
GRADER_BOUND_MB = 250
# A worker may add MEMORY_MB to what it starts with (the zygote's pages it shares, <= ~300 MB
# here) plus the group's slack for kernel memory; any process of the run stays under this.
RSS_BOUND_MB = MEMORY_MB + 300 + 64
CASES = {c.name: c for c in corpus.build(None, root=KIT, victim_notebook=Path("/v"), outdir=Path("/o"))}


def _hashes(paths):
    return {str(p): hashlib.sha256(Path(p).read_bytes()).hexdigest() for p in paths if Path(p).is_file()}


def _marked_processes(marker):
    """Processes whose command line carries the corpus marker (wherever they were reparented)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                cmd = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if marker in cmd and "pytest" not in cmd:
                found.append((int(entry), cmd))
    return found


def _descendants(pid):
    parent = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                parent[int(entry)] = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                pass
    out, frontier = set(), {pid}
    while frontier:
        frontier = {p for p, pp in parent.items() if pp in frontier} - out
        out |= frontier
    return out


def _in_order(cases, subs: Path) -> list[Path]:
    """The case files in grading order: each grader session grades its attacks, then bystanders.

    ``grade_submissions`` keeps the order of files it is given and splits the students into
    ``JOBS`` consecutive chunks (at most runner.CHUNK each), one grader session and zygote each.
    """
    first = [c for c in cases if c.order == "first"]
    attacks = first + [c for c in cases if c.order == "attack"]
    last = [c for c in cases if c.order == "last"]
    size = max(1, min(runner.CHUNK, math.ceil(len(cases) / JOBS)))
    chunks = math.ceil(len(cases) / size)  # JOBS sessions at a time, more when a chunk would exceed CHUNK
    assert len(last) >= 2 * chunks, "re-balance the corpus: two bystanders for every grader session"
    order, share = [], len(last) // chunks
    for k in range(chunks):
        mine = last[k * share:(k + 1) * share] if k < chunks - 1 else last[k * share:]
        take = size - len(mine) if k < chunks - 1 else len(attacks)
        order += attacks[:take] + mine
        attacks = attacks[take:]
    assert len(order) == len(cases) and all(order[min(len(order), (k + 1) * size) - 1].order == "last"
                                            for k in range(chunks))
    return [subs / f"{c.name}.ipynb" for c in order]


def _stale_worker_folders(base: str) -> list[str]:
    """Worker folders under ``base`` whose run is over (their lock is free): left behind."""
    left = []
    for entry in os.scandir(base):
        if entry.name.startswith(cleanup.PREFIX):
            try:
                fd = os.open(os.path.join(entry.path, cleanup.LOCK), os.O_RDWR)
            except OSError:
                continue  # no lock: not a run folder of this version of the kit
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                left.append(entry.path)
            except OSError:
                pass  # a live run's (another grader on this machine)
            finally:
                os.close(fd)
    return left


def _grade_corpus(base: Path, mode: str) -> dict:
    root = base / "kit"
    for folder in ("autograder", "assignments", "solutions"):
        shutil.copytree(KIT / folder, root / folder, ignore=shutil.ignore_patterns("__pycache__"))
    subs, victims, out = base / "subs", base / "victims", base / "out"
    subs.mkdir()
    victims.mkdir()
    victim = victims / "victim.ipynb"
    listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listener.bind(("127.0.0.1", 0))
    listener.setblocking(False)
    cases = corpus.build(subs, root=root, victim_notebook=victim, outdir=out, udp_port=listener.getsockname()[1])
    shutil.copy(subs / "base_master.ipynb", victim)
    victim_stderr = io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        if mode == "kernel":
            patch.setenv(NO_AUDIT_HOOK_ENV, "1")  # read by the grader, handed to each zygote
        with contextlib.redirect_stderr(victim_stderr):
            patch.setattr(protections, "probe", lambda: {"seccomp": True, "landlock": 0})
            runner.grade_submissions(corpus.ASSIGNMENT, [victim], outdir=out, timeout=2.0, memory_mb=MEMORY_MB,
                                     quiet=True, root=root)
            patch.undo()
        if mode == "kernel":
            patch.setenv(NO_AUDIT_HOOK_ENV, "1")

        watched = ([p for p in root.rglob("*") if p.is_file()] + list(subs.iterdir()) + [victim]
                   + list((out / "victim").iterdir()) + [p for p in PACKAGE.rglob("*.py")]
                   + [Path(json.__file__), Path(os.__file__)])
        before = _hashes(watched)
        children_before = _descendants(os.getpid())
        folders_before = set(_stale_worker_folders(tempfile.gettempdir()))
        ipc_before = corpus.ipc_objects()
        run_stderr = io.StringIO()
        with contextlib.redirect_stderr(run_stderr):
            records = runner.grade_submissions(corpus.ASSIGNMENT, _in_order(cases, subs) + [victim], outdir=out,
                                               jobs=JOBS, timeout=2.0, memory_mb=MEMORY_MB, quiet=True, root=root)
    ipc_left = sorted(corpus.ipc_objects() - ipc_before)
    corpus.remove_ipc(ipc_left)  # a leak would outlive the test run: remove it, then fail
    planted = [p for p in corpus.planted(root, out) if p.exists()]
    for path in planted:  # a .pth in site-packages would outlive the test: remove it, then fail
        path.unlink()
    rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    datagrams = []
    while True:
        try:
            datagrams.append(listener.recv(4096))
        except BlockingIOError:
            break
    listener.close()
    with open(out / "grades.csv") as f:  # (an id that starts like a formula is written with a leading ')
        rows = {outputs.csv_value(r["student"]): r for r in csv.DictReader(f)}
    return {"cases": {c.name: c for c in cases}, "rows": rows, "records": {r.student: r for r in records},
            "out": out, "root": root, "subs": subs, "before": before, "after": _hashes(watched),
            "rss_mb": rss_mb, "planted": planted, "stderr": (victim_stderr.getvalue(), run_stderr.getvalue()),
            "survivors": _marked_processes(corpus.MARKER), "datagrams": datagrams,
            "left_behind": sorted(set(_stale_worker_folders(tempfile.gettempdir())) - folders_before),
            "ipc_left": ipc_left,
            "new_children": _descendants(os.getpid()) - children_before}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    return {mode: _grade_corpus(tmp_path_factory.mktemp(f"hostile-{mode}"), mode) for mode in MODES}


@pytest.fixture(params=MODES)
def graded(runs, request):
    return runs[request.param]


def test_corpus_is_large_and_covers_every_kind():
    kinds = {c.kind for c in CASES.values()}
    assert len(CASES) >= 30 and kinds >= {"process", "forgery", "stolen", "vandalism", "broken"}


def _scores(row):
    return {k: float(v) for k, v in row.items() if k.startswith("q")}


@pytest.mark.parametrize("name", sorted(CASES))
def test_case_outcome(graded, name):
    case = graded["cases"][name]
    row = graded["rows"][name]
    assert row["status"] in case.statuses, (row["status"], row["reason"])
    reason = row["reason"]
    assert "\n" not in reason and "Traceback" not in reason and len(reason) <= 300
    if row["status"] != "ok":
        assert reason, "a submission that was not graded normally needs a reason"
    if case.reason:
        assert case.reason in reason
    scores = _scores(row)
    if case.relation == "zero":
        assert float(row["total"]) == 0 and not any(scores.values())
    elif case.baseline:
        honest = _scores(graded["rows"][f"base_{case.baseline}"])
        if case.relation == "same":
            assert scores == honest
        else:
            assert all(scores[q] <= honest[q] for q in scores), (scores, honest)
    for q in case.zero_questions:
        assert scores[q] == 0, q
    for q in case.kept_questions:
        assert scores[q] == _scores(graded["rows"][f"base_{case.baseline}"])[q], q
    # the row and the student's own results.json agree
    results = json.loads((graded["out"] / name / "results.json").read_text())
    assert results["score"] == pytest.approx(float(row["total"]))


def test_baselines_are_what_they_claim(graded):
    rows = graded["rows"]
    assert float(rows["base_master"]["total"]) == 100
    # the comparisons above only mean something if the wrong baselines lose points
    assert float(rows["base_wrong"]["q1_sigmoid_derivative"]) < 10
    assert float(rows["base_zeros"]["total"]) < float(rows["base_wrong"]["total"]) < 100


def test_load_errors_are_recorded_not_fatal(graded):
    errors = {c["error"] for c in graded["records"]["sys_exit_at_import"].cells}
    assert "SystemExit" in errors
    assert "SyntaxError" in {c["error"] for c in graded["records"]["syntax_error_one_cell"].cells}
    assert "MemoryError" in {c["error"] for c in graded["records"]["memory_at_import"].cells}


def test_every_submission_has_a_row(graded):
    assert set(graded["rows"]) == set(CASES) | {"victim"}


def test_nothing_outside_the_own_folder_changed(graded):
    changed = [p for p, h in graded["before"].items() if graded["after"].get(p) != h]
    assert changed == []
    # the victim graded earlier was skipped, not overwritten, and kept its full marks
    assert graded["rows"]["victim"]["total"] == "100"
    assert not (graded["out"] / "pwned").exists() and not (graded["out"] / "victim" / "pwned").exists()
    assert graded["planted"] == []  # no conftest.py, .pth or database appeared anywhere


def test_missing_protection_is_one_warning_line(graded):
    """A run on a kernel without Landlock says so once; this kernel's run says what it lacks, if anything."""
    without_landlock, this_kernel = graded["stderr"]
    assert without_landlock.count("\n") == 1 and "Landlock" in without_landlock
    expected = protections.warning(protections.probe())
    assert this_kernel == (expected + "\n" if expected else "")


def test_no_process_survives(graded):
    assert graded["survivors"] == []
    assert graded["new_children"] == set()


def test_grader_memory_stays_bounded(graded):
    """The grader sessions' peak (their own VmHWM, not their workers'), and any process of the run."""
    grader_mb = max(r.grader_max_rss_kb for r in graded["records"].values()) / 1024
    assert 0 < grader_mb < GRADER_BOUND_MB, grader_mb
    assert graded["rss_mb"] < RSS_BOUND_MB, graded["rss_mb"]


def _secret_lines(extra_public: str):
    """Code lines of the hidden suites and the reference that a submission does not contain itself."""
    sources = list((KIT / "autograder" / corpus.ASSIGNMENT).glob("test_*.py")) + [PACKAGE / "network.py"]
    lines = set()
    for path in sources:
        in_doc = False
        for line in path.read_text().splitlines():
            text = line.strip()
            if text.count('"""') == 1:
                in_doc = not in_doc
                continue
            if in_doc or text.startswith(("#", '"""', "@")) or len(text) < 25 or text in extra_public:
                continue
            lines.add(text)
    return lines


def test_hidden_code_never_reaches_a_student(graded):
    public = "\n".join(p.read_bytes().decode("utf-8", "replace") for p in graded["subs"].iterdir()
                       if p.stat().st_size < (1 << 20))
    secrets = _secret_lines(public)
    assert len(secrets) > 100
    for name in graded["rows"]:
        folder = graded["out"] / name
        shown = [json.dumps(json.loads((folder / "results.json").read_text()), ensure_ascii=False)]
        shown += [(folder / "feedback.md").read_text(), html.unescape((folder / "feedback.html").read_text())]
        shown = "\n".join(s.replace('\\"', '"').replace("\\n", "\n") for s in shown)
        leaked = [line for line in secrets if line in shown]
        assert leaked == [], (name, leaked[:3])
        assert not re.search(r"File \"[^\"]*(autograder|gdkit)/", shown), name
        assert len(shown) < 200_000, (name, len(shown))  # floods do not reach the feedback


def test_stolen_reads_were_refused(graded):
    """The stealers fell back to their own wrong code: the reads themselves failed."""
    for name in ("import_reference", "load_reference_by_path", "read_solutions_absolute",
                 "read_solutions_relative", "read_autograder_dir_fd", "list_autograder",
                 "readline_read_solutions", "gc_walk_paths"):
        assert graded["rows"][name]["q1_sigmoid_derivative"] == graded["rows"]["base_wrong"]["q1_sigmoid_derivative"]



def test_bystanders_after_the_attacks_score_full_marks(graded):
    for name, case in graded["cases"].items():
        if case.order == "last":
            assert float(graded["rows"][name]["total"]) == 100, name


def test_both_runs_give_every_case_the_same_outcome(runs):
    """What the audit hook refuses, the kernel refuses too: switching it off changes no grade."""
    hook, kernel = (runs[m]["rows"] for m in MODES)
    cases = runs[MODES[0]]["cases"]
    # A case whose truthful outcome depends on timing (a flood that may run out of time) lists
    # several statuses; every other case must come out exactly the same.
    fixed = [name for name in hook if name not in cases or len(cases[name].statuses) == 1]
    assert len(fixed) > 60
    differ = {name: (hook[name]["status"], _scores(hook[name]), kernel[name]["status"], _scores(kernel[name]))
              for name in fixed if (hook[name]["status"], _scores(hook[name])) != (kernel[name]["status"],
                                                                                  _scores(kernel[name]))}
    assert differ == {}


def test_no_datagram_left_the_workers(graded):
    assert graded["datagrams"] == []


def test_nothing_is_left_in_tmp(graded):
    assert graded["left_behind"] == []


def test_no_ipc_object_outlives_its_worker(graded):
    """SysV memory, queues and semaphores, POSIX queues, /dev/shm: nothing a worker made stays."""
    assert graded["ipc_left"] == []


def test_budget_bounds_a_submission_answering_just_in_time(graded):
    record = graded["records"]["budget_hog"]
    # 2 s per call, 8 s for all of a submission's calls (and 8 s for its public examples)
    assert record.seconds < 30, record.seconds
    messages = [t.message for q in record.questions for t in q.tests]
    assert any("time allowed for all its checks" in m for m in messages), messages


def test_load_errors_are_bounded(graded):
    record = graded["records"]["load_error_flood"]
    listed, more = record.cells[:-1], record.cells[-1]
    assert 0 < len(listed) <= 50 and all(len(c.get("message", "")) <= 500 for c in listed)
    assert more["error"] == "MoreErrors" and f"{300 - len(listed)} more" in more["message"]
    assert (graded["out"] / "load_error_flood" / "record.json").stat().st_size < 300_000


def test_a_slow_untagged_cell_is_skipped_with_a_notice(graded):
    record = graded["records"]["slow_untagged_cell"]
    assert record.total == 100
    skipped = [c for c in record.cells if c.get("error") == "Skipped"]
    assert len(skipped) == 1 and "ran past the 2 s limit" in skipped[0]["message"]
    assert "ran past the 2 s limit" in (graded["out"] / "slow_untagged_cell" / "feedback.md").read_text()


def test_a_slow_solution_cell_keeps_its_function(graded):
    record = graded["records"]["sleep_at_import"]
    assert record.total == 100
    skipped = [c for c in record.cells if c.get("error") == "Skipped"]
    assert len(skipped) == 1 and "skipped but for its def, class and import statements" in skipped[0]["message"]


def test_grader_peak_memory_is_reported(graded, capsys):
    """The grader sessions' own peak (each record's ``grader_max_rss_kb``), whatever students did."""
    peak_mb = max(r.grader_max_rss_kb for r in graded["records"].values()) / 1024
    assert 0 < peak_mb < GRADER_BOUND_MB
    with capsys.disabled():
        print(f"\nhostile corpus: grader session peak RSS {peak_mb:.0f} MB; "
              f"any process of the run {graded['rss_mb']:.0f} MB")
