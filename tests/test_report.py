"""`gdkit report`: the class report from real grading folders, read back as text and rendered by a
real headless Chromium (name resolution off: anything not inline would fail to load).

The bundled examples are graded for real once; bigger classes are made from those records
(other ids, perturbed training curves, a few statuses) the way a large run's folder looks.
Chromium must be installed (`.ci/run` installs it): without it the browser tests skip with the reason, and fail under CI=true.
"""
import copy
import json
import math
import os
import random
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from gdkit import report
from gdkit.grading import outputs
from gdkit.record import Record
from PIL import Image
from test_feedback_browser import chromium, where

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples" / "submissions"
HOSTILE = '<img src=x onerror=alert(1)>'
TEAL, HIST = (0x00, 0x79, 0x8c), (0x30, 0x63, 0x8e)     # reference curve, histogram bars
FULL, ZERO = (0x2e, 0x85, 0x40), (0xd1, 0x49, 0x5b)     # question bars: full marks, zero


def gdkit(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "gdkit.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=300, cwd=cwd)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """examples/submissions graded for real (alice..gina)."""
    out = tmp_path_factory.mktemp("graded") / "grades"
    done = gdkit("grade", EXAMPLES, "--out", out, "--quiet", "--jobs", "2")
    assert done.returncode == 0, done.stderr
    return out


def records_of(folder: Path) -> dict[str, dict]:
    return {p.parent.name: json.loads(p.read_text()) for p in folder.glob("*/record.json")}


def write_folder(folder: Path, records: list[dict]) -> Path:
    """A grading folder as gdkit grade leaves it: one record.json per student, grades.csv."""
    for r in records:
        outputs.write_atomic(folder / r["student"] / "record.json", json.dumps(r))
    ids = [q["id"] for q in records[0]["questions"]]
    outputs.write_atomic(folder / "grades.csv", outputs.grades_csv([Record.from_json(r) for r in records], ids))
    return folder


def big_class(templates: dict[str, dict], n: int, seed: int = 7) -> list[dict]:
    """n records cloned from real ones: new ids, curves scaled by a smooth random factor, and
    a few diverged runs (a curve that rises and overflows) and timeouts."""
    rng = random.Random(seed)
    names = ["alice", "bob", "carol", "dave", "erin", "frank", "gina"]
    weights = [30, 25, 12, 12, 12, 6, 3]
    out = []
    for i in range(n):
        r = copy.deepcopy(templates[rng.choices(names, weights)[0]])
        r["student"] = f"s{i:05d}"
        curve = (r.get("artifacts") or {}).get("training_curve")
        if curve:
            factor = math.exp(rng.gauss(0, 0.15))
            curve["student"] = [e * factor ** (k / len(curve["student"])) for k, e in enumerate(curve["student"])]
            if i % 97 == 5:  # a run that climbs, then overflows
                curve["student"] = [0.5 + 0.002 * k for k in range(100)] + [math.inf] + [math.nan] * 49
        if i % 151 == 3:
            r["status"], r["reason"] = "timeout", "a call into the notebook did not finish in 10 s"
        out.append(r)
    return out


class Page(HTMLParser):
    """Tags, ids, in-page links and external references of an HTML page."""

    def __init__(self):
        super().__init__()
        self.tags, self.ids, self.fragments, self.urls = [], set(), [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        attrs = dict(attrs)
        if attrs.get("id"):
            assert attrs["id"] not in self.ids, f"duplicate id {attrs['id']}"
            self.ids.add(attrs["id"])
        for key in ("href", "src", "srcset", "data", "poster", "action", "xlink:href"):
            value = attrs.get(key)
            if value and value.startswith("#"):
                self.fragments.append(value[1:])
            elif value:
                self.urls.append(value)


def screenshot(html: Path, png: Path, height: int = 5000) -> Image.Image:
    """The whole report as Chromium draws it (a tall window: no scrolling in a screenshot)."""
    proc = subprocess.run([chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                           "--disable-background-networking", "--disable-component-update", "--disable-sync",
                           "--host-resolver-rules=MAP * ~NOTFOUND", f"--user-data-dir={png.parent / 'profile'}",
                           f"--screenshot={png}", f"--window-size=1000,{height}", html.as_uri()],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and png.is_file(), proc.stderr[-2000:]
    return Image.open(png).convert("RGB")


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    return page


@pytest.mark.slow  # grades the examples for real
def test_report_of_the_examples(graded):
    done = gdkit("report", graded)
    assert done.returncode == 0, done.stderr
    assert "7 students" in done.stdout and "3 named mistake(s)" in done.stdout and "1 need a person" in done.stdout
    md = (graded / "report.md").read_text()
    html = (graded / "report.html").read_text()
    # the named mistakes with their question, hint and student, as the records say
    recs = records_of(graded)
    for student, qid in (("carol", "q4_update_synapses"), ("dave", "q1_sigmoid_derivative"),
                         ("erin", "q6_detect_divergence")):
        failed = [t for q in recs[student]["questions"] if q["id"] == qid for t in q["tests"] if t.get("mistake")]
        mistake, hint = failed[0]["mistake"], failed[0]["hint"]
        row = next(line for line in md.splitlines() if report.md_escape(mistake) in line)
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", row)[1:-1]]
        assert cells[0] == "1 (14%)" and cells[1] == report.md_escape(qid) and cells[3] == report.md_escape(hint)
        assert cells[4] == student
        assert mistake in html
    # gina's invalid file needs a person, with the record's reason
    assert report.md_escape(recs["gina"]["reason"][:60]) in md and "invalid-json" in md
    # per question: q4 is full for 4 of 7 (alice, bob, dave, erin)
    q4 = next(line for line in md.splitlines() if line.startswith("| q4_update_synapses"))
    assert [c.strip() for c in q4.split("|")[1:-1]] == ["q4_update_synapses", "20", "11.43", "57%", "0%", "43%"]
    # histogram: each tenth counts the records' totals in it (100% in the last); frank and gina at 0
    shares = [100 * r["total"] / r["max_total"] for r in recs.values()]
    for low in range(0, 100, 10):
        count = sum(low <= share < low + 10 or (low == 90 and share == 100) for share in shares)
        assert f"| {low}–{low + 10}% | {count} |" in md
    assert sum(share < 10 for share in shares) >= 2


@pytest.mark.slow  # grades the examples for real
def test_html_is_self_contained_escaped_and_linked(graded, tmp_path):
    recs = records_of(graded)
    hostile = copy.deepcopy(recs["carol"])
    hostile["student"] = HOSTILE + "x" * 200          # a folder name a student chose
    for q in hostile["questions"]:
        for t in q["tests"]:
            if t.get("mistake"):
                t["mistake"] = HOSTILE + " climbs"
                t["hint"] = "</td></tr></table><script>alert(2)</script>" + "h" * 5000
    hostile["status"], hostile["reason"] = "crashed", "<u>under</u> & " + "r" * 5000
    folder = write_folder(tmp_path / "hostile", [*recs.values(), hostile])
    report.write_report(folder)
    html = (folder / "report.html").read_text()
    page = parse(html)
    assert not [u for u in page.urls if u.strip().lower().startswith(("http:", "https:", "//", "file:", "data:"))]
    assert not set(page.tags) & {"script", "link", "iframe", "object", "embed", "img", "u"}
    assert "@import" not in html and "url(" not in html
    assert set(page.fragments) <= page.ids            # every in-page link lands on something
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "h" * (report.CAP["hint"]) not in html and "r" * report.CAP["reason"] not in html  # capped
    md = (folder / "report.md").read_text()
    assert not re.search(r"(?<!\\)<", md)            # every < escaped: no tag reaches a Markdown renderer
    assert "\\<img src=x onerror=alert(1)\\>" in md


@pytest.mark.slow  # grades the examples for real
def test_browser_renders_the_report(graded, tmp_path):
    report.write_report(graded)
    # the DOM Chromium builds: sections present, the hostile-free page has no parse surprises
    with_dom = subprocess.run([chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom",
                               "--host-resolver-rules=MAP * ~NOTFOUND", f"--user-data-dir={tmp_path / 'p'}",
                               (graded / "report.html").as_uri()], capture_output=True, text=True, timeout=120)
    assert with_dom.returncode == 0, with_dom.stderr[-2000:]
    dom = with_dom.stdout
    for section in ("scores", "mistakes", "failures", "attention", "curves", "students"):
        assert f'id="{section}"' in dom
    assert dom.count("<polyline") == 1 + 5             # the reference and the five students with a curve
    image = screenshot(graded / "report.html", tmp_path / "report.png")
    hist, teal = where(image, HIST), where(image, TEAL)
    full, zero = where(image, FULL), where(image, ZERO)
    assert len(hist) > 3000                            # the histogram's bars are drawn
    assert len(full) > 2000 and len(zero) > 1000       # the per-question bars
    xs = [x for x, _ in teal]
    assert len(teal) > 500 and max(xs) - min(xs) > 400  # the reference curve spans the plot
    # the curve sits below the histogram (page order: scores, ..., curves)
    assert min(y for _, y in teal) > max(y for _, y in hist)


@pytest.mark.slow  # grades the examples for real
def test_a_big_class_stays_small_and_samples_every_kind_of_run(graded, tmp_path):
    folder = write_folder(tmp_path / "big", big_class(records_of(graded), 2000))
    html_path, md_path, summary = report.write_report(folder)
    assert summary.n == 2000
    size = html_path.stat().st_size
    assert size < 1_500_000, size                      # aggregated first: no per-student detail but a row
    drawn = summary.curves.drawn
    assert len(drawn) == report.MAX_CURVES
    kinds = {c.category for c in drawn}
    assert {k for k, n in summary.curves.counts.items() if n} == kinds  # rare kinds are drawn too
    assert summary.curves.counts["diverged"] >= 20 and all(len(c.errors) <= report.CURVE_POINTS for c in drawn)
    assert sum(a.status == "timeout" for a in summary.attention) == len(range(3, 2000, 151))
    # a run that overflowed is drawn up to the top edge and stops there
    paths = report.curve_paths(summary.curves)
    overflowed = {c.student for c in drawn if not all(map(math.isfinite, c.errors))}
    top = [p for p in paths["curves"] if p["student"] in overflowed]
    assert top and all(p["category"] == "diverged" for p in top)
    assert all(p["points"].split()[-1].endswith(f",{paths['top']:.1f}") for p in top)
    assert all(len(p["points"].split()) < report.CURVE_POINTS for p in top)
    # the same students are drawn on every run
    again = report.summarize(report.load(folder))
    assert [c.student for c in again.curves.drawn] == [c.student for c in drawn]
    page = parse(html_path.read_text())
    assert set(page.fragments) <= page.ids
    assert page.tags.count("polyline") == report.MAX_CURVES + 1


@pytest.mark.slow  # grades the examples for real
def test_compare_with_a_regrade(graded, tmp_path):
    recs = records_of(graded)
    before = write_folder(tmp_path / "before", list(recs.values()))
    fixed = copy.deepcopy(recs)
    carol = Record.from_json(fixed["carol"])
    for t in carol.question("q4_update_synapses").tests:   # carol fixed her sign: q4 passes
        t.passed, t.kind, t.message, t.mistake, t.hint = True, "pass", "", None, None
    carol.rescore()
    fixed["carol"] = carol.to_json()
    after = write_folder(tmp_path / "after", list(fixed.values()))
    done = gdkit("report", after, "--compare", before)
    assert done.returncode == 0, done.stderr
    md = (after / "report.md").read_text()
    section = md.split("## Comparison with", 1)[1]
    q4 = next(line for line in section.splitlines() if line.startswith("| q4_update_synapses"))
    cells = [c.strip() for c in q4.split("|")[1:-1]]
    assert cells[1:4] == ["14.29", "11.43", "+2.86"]      # one student more with 20 of 20
    slope = next(line for line in section.splitlines() if "climbs the slope" in line)
    assert [c.strip() for c in slope.split("|")[1:-1]][2:] == ["0 (0%)", "1 (14%)", "−14 pts"]
    erin = next(line for line in section.splitlines() if "compared with the previous error" in line)
    assert erin.rstrip().endswith("| +0 pts |")
    assert 'id="compare"' in (after / "report.html").read_text()


@pytest.mark.slow  # grades the examples for real
def test_merged_shards_report_like_one_run(graded, tmp_path):
    shards = []
    for k in (1, 2):
        out = tmp_path / f"shard{k}"
        done = gdkit("grade", EXAMPLES, "--out", out, "--quiet", "--jobs", "1", "--shard", f"{k}/2")
        assert done.returncode == 0, done.stderr
        shards.append(out)
    merged = tmp_path / "merged"
    assert gdkit("merge", *shards, "--out", merged).returncode == 0
    report.write_report(merged)
    report.write_report(graded)
    strip = lambda text: text.split("\n", 3)[3]  # noqa: E731 - the folder line differs
    assert strip((merged / "report.md").read_text()) == strip((graded / "report.md").read_text())


@pytest.mark.slow  # grades the examples for real
def test_unreadable_and_unrecorded_students_need_a_person(graded, tmp_path):
    folder = tmp_path / "damaged"
    shutil.copytree(graded, folder)
    (folder / "bob" / "record.json").write_text("{ cut short")
    shutil.rmtree(folder / "dave")                       # grades.csv still lists dave
    _, md_path, summary = report.write_report(folder)
    rows = {a.student: a for a in summary.attention}
    assert rows["bob"].status == rows["dave"].status == "unreadable-record"
    assert "regrade" in rows["bob"].reason and "grades.csv" in rows["dave"].reason
    assert summary.n == 5 and "| bob | unreadable-record |" in md_path.read_text()


@pytest.mark.slow
def test_bad_folders_are_one_line_errors(tmp_path):
    for folder, words in ((tmp_path / "nowhere", "is not a folder"), (tmp_path, "holds no grading records")):
        done = gdkit("report", folder)
        assert done.returncode == 2 and done.stderr.startswith("gdkit: error: ") and words in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1


def test_md_escape_leaves_no_markup():
    text = "a|b *c* _d_ [e](f) <g> `h` \\ ~i~ & http://x.example"
    escaped = report.md_escape(text + "\nnext line")
    assert "\n" not in escaped and "|" not in escaped.replace("\\|", "")
    assert escaped == ("a\\|b \\*c\\* \\_d\\_ \\[e\\](f) \\<g\\> \\`h\\` \\\\ \\~i\\~ \\& "
                       "http:\\/\\/x.example next line")
    assert report.md_escape(3) == 3 and report.md_escape(None) == ""
    assert report.anchor("s-", "a.b c") != report.anchor("s-", "a.2e.b c")  # no two ids collide
    assert re.fullmatch(r"[A-Za-z0-9_.\-]+", report.anchor("s-", HOSTILE + "é"))


def _record(student: str, q1: float, mistake: str | None = None, curve=None, status: str = "ok") -> dict:
    from gdkit.record import QuestionResult, TestResult

    tests = [TestResult("test_a", "q1", 1.0, q1 >= 10, kind="pass" if q1 >= 10 else "fail",
                        message="" if q1 >= 10 else "wrong", mistake=mistake, hint=mistake and f"fix {mistake}"),
             TestResult("test_b", "q2", 1.0, False, description="b works", kind="raised", message="boom")]
    r = Record(student, "mini", status=status, reason="" if status == "ok" else "it hung",
               questions=[QuestionResult.scored("q1", 10, tests[:1]), QuestionResult.scored("q2", 5, tests[1:])],
               max_total=15, artifacts={"training_curve": {"student": curve, "reference": [0.5, 0.1, 0.01],
                                                           "label": "toy"}} if curve else {})
    return r.rescore().to_json()


def test_aggregates_of_a_small_class(tmp_path):
    folder = write_folder(tmp_path / "mini", [
        _record("ann", 10, curve=[0.5, 0.1, 0.012]), _record("ben", 0, "sign", [0.5, 0.5, 0.5]),
        _record("cy", 0, "sign", [0.5, 0.7, math.inf]), _record("dee", 0, "off by one", [0.5, 0.3, 0.2]),
        _record("eve", 0, status="timeout")])
    s = report.summarize(report.load(folder))
    assert [(g.mistake, g.students, g.hint) for g in s.mistakes] == [
        ("sign", ["ben", "cy"], "fix sign"), ("off by one", ["dee"], "fix off by one")]
    assert [(g.check, g.description, g.students, g.kinds) for g in s.failures] == [
        ("test_b", "b works", ["ann", "ben", "cy", "dee", "eve"], {"raised": 5}),
        ("test_a", "test_a", ["eve"], {"fail": 1})]
    q1, q2 = s.questions
    assert (q1.mean, q1.full, q1.zero, q2.zero) == (2, 0.2, 0.8, 1.0)
    assert s.histogram[0] == ("0–10%", 4) and s.histogram[6] == ("60–70%", 1)
    assert [(a.student, a.status) for a in s.attention] == [("eve", "timeout")]
    assert s.curves.of_student == {"ann": "converged", "ben": "stuck", "cy": "diverged", "dee": "slow"}
    assert s.curves.without == 1 and {c.student for c in s.curves.drawn} == {"ann", "ben", "cy", "dee"}


def test_load_reads_back_records_and_says_what_it_cannot(tmp_path):
    """load() on written records: a record that names another student, an unreadable one, a
    student grades.csv lists without a folder, hidden folders skipped; two assignments refused."""
    from gdkit.errors import GdkitError
    from gdkit.grading import outputs
    from gdkit.record import Record

    folder = tmp_path / "grades"
    for student, assignment in (("ann", "gd"), ("bo", "gd"), ("cy", "gd"), (".hidden", "gd")):
        outputs.write_atomic(folder / student / "record.json",
                             json.dumps(Record(student, assignment, total=5, max_total=10).to_json()))
    outputs.write_atomic(folder / "bo" / "record.json", json.dumps(Record("cy", "gd").to_json()))
    (folder / "cy" / "record.json").write_text("[1, 2")
    (folder / "empty").mkdir()
    rows = [Record(s, "gd") for s in ("ann", "bo", "dee")]
    outputs.write_atomic(folder / "grades.csv", outputs.grades_csv(rows, []))
    loaded = report.load(folder, progress=False)
    assert [r.student for r in loaded.records] == ["ann"]
    assert loaded.unreadable == {
        "bo": "record.json names another student (cy)",
        "cy": "record.json cannot be read (JSONDecodeError); regrade this student",
        "dee": "listed in grades.csv with no record: the grader failed on this student (see grader-errors.log); "
               "rerun gdkit grade"}
    outputs.write_atomic(folder / "eve" / "record.json", json.dumps(Record("eve", "tuning").to_json()))
    with pytest.raises(GdkitError, match=r"mixes assignments \(gd, tuning\); report on one assignment's folder"):
        report.load(folder, progress=False)
