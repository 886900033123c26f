"""The ``gdkit`` command. Each subcommand is a thin shell around a library module.

Heavy imports happen inside the commands so ``gdkit --help`` and bad-argument errors are fast.
Every user error (bad arguments, missing files, a missing assignment) becomes one line on
stderr and exit status 2, never a traceback.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from gdkit.errors import GdkitError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="gdkit")
def cli():
    """gdkit: gradient-descent exercises, released with nbgrader and graded safely."""


@cli.group()
def experiment():
    """Reproduce the tutorial's experiments (figures printed, optional --plot FILE.png)."""


def _parse_numbers(ctx, param, value, count=None, positive=True):
    """Click callback: 'a,b,...' -> tuple of finite floats (> 0 when ``positive``)."""
    if value is None or isinstance(value, tuple):
        return value
    import math

    numbers = []
    for text in value.split(","):
        try:
            number = float(text)
        except ValueError:
            raise click.BadParameter(f"{text.strip()!r} is not a number; give comma-separated "
                                     "numbers like 0.1,1,10") from None
        if not math.isfinite(number) or (positive and number <= 0):
            raise click.BadParameter(f"{text.strip()} must be a finite number"
                                     + (" > 0" if positive else ""))
        numbers.append(number)
    if count is not None and len(numbers) != count:
        raise click.BadParameter(f"give exactly {count} comma-separated numbers, got {len(numbers)}")
    return tuple(numbers)


def _plot_option(function):
    return click.option("--plot", type=click.Path(path_type=Path), default=None, metavar="FILE.png",
                        help="Also write the figure as a PNG file.")(function)


# Every field of gdkit.sandbox.limits.Limits as an option (None: the default, kept in Limits).
_LIMIT_OPTIONS = (
    ("--timeout", "timeout", click.FloatRange(min=0, min_open=True),
     "Seconds each call into the student's code (and each notebook cell at load) may take."),
    ("--cpu-seconds", "cpu_seconds", click.FloatRange(min=0, min_open=True),
     "CPU seconds per worker process (default: 6 x timeout, at least 10)."),
    ("--memory-mb", "memory_mb", click.IntRange(min=1), "Memory (MB) a worker may use on top of its start."),
    ("--output-kb", "output_kb", click.IntRange(min=1), "Largest file (KB) a worker may write, its output included."),
    ("--files", "files", click.IntRange(min=1), "Open files per worker."),
    ("--budget", "budget", click.FloatRange(min=0, min_open=True),
     "Wall seconds for all of one submission's calls together (default: 4 x timeout)."),
    ("--disk-mb", "disk_mb", click.IntRange(min=1), "Total size (MB) of a worker's private directory."),
    ("--tasks", "tasks", click.IntRange(min=1), "Threads per worker, its own included."),
)


def _limit_options(function):
    """Add one option per limit; the command receives them as ``limits`` (a Limits)."""
    for flag, name, kind, help_text in reversed(_LIMIT_OPTIONS):
        function = click.option(flag, name, type=kind, default=None, help=help_text)(function)
    return function


def _limits(options: dict, course=None):
    """The Limits of a command: the course's (else the kit's defaults), changed by the options given."""
    from gdkit.sandbox.limits import DEFAULT

    given = {name: options.pop(name, None) for _, name, _, _ in _LIMIT_OPTIONS}
    try:
        return (course.limits if course is not None else DEFAULT).replace(**given)
    except ValueError as exc:
        raise GdkitError(f"bad limit: {exc}") from None


def _experiment_failed(exc: ValueError):
    return GdkitError(f"{exc}; see 'gdkit experiment --help'")


@experiment.command("alpha-sweep")
@click.option("--alphas", default="0.001,0.01,0.1,1,10,100,1000", show_default=True,
              callback=_parse_numbers, help="Learning rates, comma-separated.")
@click.option("--hidden", type=click.IntRange(min=1, max=4096), default=4, show_default=True,
              help="Hidden units (32 gives the tutorial's hidden-size experiment).")
@click.option("--iterations", type=click.IntRange(min=1, max=10_000_000), default=60000,
              show_default=True, help="Training iterations per alpha.")
@click.option("--seed", type=click.IntRange(min=0, max=2**32 - 1), default=1, show_default=True)
@_plot_option
def alpha_sweep_command(alphas, hidden, iterations, seed, plot):
    """The tutorial's alpha sweep (and hidden size).

    For each alpha, the error every 10,000 iterations in the tutorial's format.
    """
    from gdkit import experiments, network, plots

    plot = plots.check_plot_path(plot) if plot else None
    try:
        # A finer record only when drawing, so the curves are smooth; printing is unchanged.
        result = experiments.train_alphas(network.X, network.y, alphas, hidden, iterations, seed,
                                          record_every=100 if plot else experiments.PRINT_EVERY)
        for line in experiments.sweep_lines(result):
            click.echo(line)
    except ValueError as exc:
        raise _experiment_failed(exc) from None
    if plot:
        click.echo(f"\nwrote {plots.plot_error_curves(result, plot)}")


@experiment.command("direction-changes")
@click.option("--alpha", default=None, callback=_parse_numbers, metavar="A[,B...]",
              help="Learning rate(s); default the tutorial's seven.")
@click.option("--hidden", type=click.IntRange(min=1, max=4096), default=4, show_default=True)
@click.option("--iterations", type=click.IntRange(min=1, max=10_000_000), default=60000,
              show_default=True)
@_plot_option
def direction_changes_command(alpha, hidden, iterations, plot):
    """Per weight, how often its update flipped.

    The tutorial's second listing: errors, final synapses and direction-change counts per alpha.
    """
    from gdkit import experiments, network, plots

    plot = plots.check_plot_path(plot) if plot else None
    alphas = alpha or experiments.TUTORIAL_ALPHAS
    try:
        result = experiments.train_alphas(network.X, network.y, alphas, hidden, iterations, 1,
                                          count_directions=True)
        for line in experiments.direction_lines(result):
            click.echo(line)
    except ValueError as exc:
        raise _experiment_failed(exc) from None
    if plot:
        click.echo(f"\nwrote {plots.plot_direction_changes(result, plot)}")


@experiment.command("error-surface")
@click.option("--grid", type=click.IntRange(min=2, max=1001), default=101, show_default=True,
              help="Grid points per axis over [-10, 10].")
@click.option("--start", default="-4,2", show_default=True, metavar="W0,W1",
              callback=lambda ctx, param, value: _parse_numbers(ctx, param, value, 2, False),
              help="Starting weights of the gradient-descent path.")
@click.option("--alpha", type=click.FloatRange(min=0, min_open=True, max=1e6), default=1.0,
              show_default=True)
@click.option("--iterations", type=click.IntRange(min=0, max=1_000_000), default=200,
              show_default=True)
@_plot_option
def error_surface_command(grid, start, alpha, iterations, plot):
    """2-weight error surface and a descent path.

    Error of the tutorial's 2-weight network over [-10, 10]^2, and gradient descent on it.
    """
    from gdkit import experiments, plots

    plot = plots.check_plot_path(plot) if plot else None
    try:
        surface = experiments.surface_grid(grid)
        path = experiments.descend_two_weights(start, alpha, iterations)
    except ValueError as exc:
        raise _experiment_failed(exc) from None
    w0, w1, lowest = surface.argmin()
    path_errors = experiments.path_errors(path)
    click.echo(f"2-weight network X={experiments.SURFACE_X.tolist()} y={experiments.SURFACE_y.tolist()}")
    click.echo(f"grid: {grid} x {grid} weight pairs over [-10, 10]^2")
    click.echo(f"error: min {lowest!r} at w0={w0:g}, w1={w1:g}; max {float(surface.errors.max())!r}")
    click.echo(f"gradient descent from ({start[0]:g}, {start[1]:g}), alpha {alpha:g}, "
               f"{iterations} steps: error {float(path_errors[0])!r} -> {float(path_errors[-1])!r} "
               f"at ({path[-1, 0]:.6g}, {path[-1, 1]:.6g})")
    if plot:
        click.echo(f"wrote {plots.plot_error_surface(surface, path, plot, alpha)}")


def _course_option(function):
    """``--course DIR``: the course folder (default: $GDKIT_COURSE, else the one holding the
    current folder, found by its gdkit.toml)."""
    return click.option("--course", "course_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
                        metavar="DIR", help="The course folder holding gdkit.toml (default: $GDKIT_COURSE, "
                                            "else the current folder or a parent).")(function)


def _course(course_dir):
    from gdkit.course import Course

    return Course.find(course_dir)


@cli.command("init")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--example", is_flag=True, help="Also copy the bundled gradient-descent assignments into it.")
@click.option("--name", default=None, help="The course's name (default: the folder's name).")
def init_command(folder, example, name):
    """Make a new course in FOLDER: gdkit.toml, nbgrader_config.py, solutions/, assignments/, autograder/."""
    from gdkit import scaffold

    written = scaffold.init(folder, name=name, example=example)
    click.echo(f"made the course {folder} ({len(written)} files). Next, inside it: 'gdkit new NAME' "
               "to scaffold an assignment" + (", or 'gdkit grade' to grade the sample submissions" if example else ""))


@cli.command("new")
@click.argument("name")
@click.option("--title", default=None, help="The notebook's title (default: made from NAME).")
@_course_option
def new_command(name, title, course_dir):
    """Scaffold assignment NAME: a master with one example question, its grading definition,
    hidden suite, bug zoo and styles. Then: gdkit release NAME; gdkit validate NAME."""
    from gdkit import scaffold

    course = _course(course_dir)
    for path in scaffold.new(name, course, title=title):
        click.echo(f"wrote {path}")
    click.echo(f"next: edit solutions/{name}/{name}.ipynb (or its twin {name}.master.py), then "
               f"'gdkit release {name}' and 'gdkit validate {name}'")


@cli.command("release")
@click.argument("assignments", nargs=-1)
@click.option("--check", is_flag=True,
              help="Change nothing; exit 1 naming each release that differs from its master.")
@_course_option
@click.option("--root", "course_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              hidden=True, help="Old name of --course.")
def release_command(assignments, check, course_dir):
    """Regenerate assignments/ from the masters in solutions/ with nbgrader (default: all)."""
    from gdkit import release as release_mod

    root = _course(course_dir)
    if check:
        stale = release_mod.stale(assignments, root)
        problems = [p for name in (assignments or root.masters()) for p in release_mod.master_problems(name, root)]
        for path in stale:
            click.echo(f"stale: {path} (run 'gdkit release' and commit the result)", err=True)
        for problem in problems:
            click.echo(f"problem: {problem}", err=True)
        if stale or problems:
            click.get_current_context().exit(1)
        click.echo("assignments/ is up to date")
        return
    for path in release_mod.release(assignments, root):
        click.echo(f"wrote {path}")


@cli.command("grade")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--assignment", "-a", default=None,
              help="Which assignment the submissions are for (default: the course's default_assignment, "
                   "or its only one).")
@click.option("--out", "outdir", type=click.Path(path_type=Path), default=Path("grades"), show_default=True,
              help="Output folder (grades.csv, junit.xml, one folder per student).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=os.cpu_count() or 1, show_default=True,
              help="Grader processes running at once.")
@_limit_options
@click.option("--force", is_flag=True, help="Regrade students who already have results in --out.")
@click.option("--student", "students", multiple=True, metavar="ID",
              help="Regrade only this student (repeatable) in an --out folder already graded; every other "
                   "row of grades.csv and junit.xml is kept as it is.")
@click.option("--shard", default=None, metavar="K/N", help="Grade only shard K of N (by student id).")
@click.option("--seed", type=int, default=None,
              help="Seed of the hidden tests' random inputs (default: $GDKIT_SEED, else fixed per assignment).")
@click.option("--quiet", "-q", is_flag=True, help="No progress display and no table.")
@click.option("--nbgrader-gradebook", "nbgrader_gradebook", default=None, metavar="DB",
              help="Also write the per-question scores into this nbgrader gradebook.db (or course folder).")
@_course_option
def grade_command(paths, assignment, outdir, jobs, force, students, shard, seed, quiet, course_dir,
                  nbgrader_gradebook=None, **options):
    """Grade notebooks, folders of notebooks, an nbgrader submitted/ tree, an LMS's download
    (Canvas, Moodle, Blackboard) or a .zip of any of them.

    With no PATH, grades the course's examples/submissions.
    """
    from gdkit.grading import runner

    course = _course(course_dir)
    assignment = assignment or course.default_assignment()
    if nbgrader_gradebook:
        from gdkit import gradebook

        gradebook.db_url(nbgrader_gradebook)  # a missing gradebook is said before grading, not after
    records = runner.grade_submissions(assignment, list(paths), outdir=outdir, jobs=jobs,
                                       limits=_limits(options, course), force=force,
                                       shard=runner.parse_shard(shard), quiet=quiet, seed=seed, root=course.root,
                                       students=list(students) or None)
    if not quiet:
        ids = [q.id for q in course.assignment(assignment).questions]
        click.echo(runner.summary_table(records, ids))
        click.echo(f"wrote {outdir / 'grades.csv'}, {outdir / 'junit.xml'} and {len(records)} student folder(s)")
    late = [r for r in records if r.extra.get("penalty")]
    if late and not quiet:
        click.echo(f"late penalty ([late] in gdkit.toml): {len(late)} student(s), e.g. "
                   + ", ".join(f"{r.student} -{r.extra['penalty']:g}" for r in late[:5]))
    unknown = [r.student for r in records if r.extra.get("late_unknown")]
    if unknown:
        click.echo(f"gdkit: warning: no submission time for {len(unknown)} student(s) ({', '.join(unknown[:5])}"
                   f"{', ...' if len(unknown) > 5 else ''}): no late penalty applied; see [late] source", err=True)
    if nbgrader_gradebook:
        from gdkit import gradebook

        written = gradebook.write(records, nbgrader_gradebook,
                                  notebook=Path(course.assignment(assignment).notebook).stem)
        _gradebook_lines(written, quiet)
    broken = sum(not r.graded for r in records)
    if broken:  # the kit itself failed, not the students: make CI notice
        click.echo(f"gdkit: error: {broken} submission(s) not graded because the grader failed; "
                   f"see {outdir / 'grader-errors.log'} and run again", err=True)
        click.get_current_context().exit(1)


def _gradebook_lines(written, quiet: bool) -> None:
    for note in written.notes:
        if not quiet:
            click.echo(f"note: {note}")
    for problem in written.problems:
        click.echo(f"gdkit: {problem}", err=True)
    if not quiet:
        click.echo(f"wrote {len(written.students)} student(s) of {written.assignment} into the nbgrader gradebook "
                   f"{written.db_url}")


@cli.command("validate")
@click.argument("assignment_names", nargs=-1, metavar="[ASSIGNMENT]...")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=os.cpu_count() or 1, show_default=True,
              help="Grader processes running at once.")
@_limit_options
@_course_option
def validate_command(assignment_names, jobs, course_dir, **options):
    """Grade master (100), blank release (0), other correct styles (100) and the bug zoo.

    Each bug must lose points on its own question only. Exit 1 below 100% catch or on any
    false failure. Default: every assignment.
    """
    from gdkit import validate as validate_mod

    course = _course(course_dir)
    names = list(assignment_names) or course.available()
    if not names:
        raise GdkitError(f"no assignments in {course.suite_dir}; make one with 'gdkit new NAME'")
    limits = _limits(options, course)
    reports = [validate_mod.validate(name, jobs=jobs, limits=limits, root=course.root) for name in names]
    for report in reports:
        click.echo(validate_mod.render(report))
    if not all(report.passed for report in reports):
        click.get_current_context().exit(1)


@cli.command("check")
@click.argument("notebook", type=click.Path(path_type=Path))
@click.option("--assignment", "-a", default=None, help="Which assignment (default: guessed from the notebook).")
@_limit_options
@_course_option
@click.option("--no-sandbox", is_flag=True,
              help="Run your notebook in a plain child Python with a time limit (the default off Linux).")
def check_command(notebook, assignment, course_dir, no_sandbox, **options):
    """Run the visible tests on your notebook (exit 1 when one fails)."""
    import platform

    from gdkit import check
    from gdkit.course import Course, locate

    if course_dir is not None:
        course = _course(course_dir)
    else:  # a student may have no course at all: then the notebook's own test cells are used
        found = locate()
        course = Course.at(found, marker=False) if found else None
    limits = _limits(options, course)
    sandbox = check.sandboxed_by_default() and not no_sandbox
    if not sandbox:
        system = "asked for" if no_sandbox else f"{platform.system() or sys.platform} has none"
        click.echo(f"gdkit check: no sandbox ({system}): your notebook runs in a plain child Python, "
                   f"{limits.timeout:g} s per cell; the grader runs it in its sandbox", err=True)
    results = check.check_notebook(notebook, assignment, limits, course=course, sandbox=sandbox)
    click.echo(check.report(results))
    if not all(r.passed for r in results):
        click.get_current_context().exit(1)


@cli.group()
def export():
    """Package grading for another platform (Gradescope, GitHub Actions)."""


@export.command("gradescope")
@click.option("--assignment", "-a", required=True, help="Which assignment the bundle grades.")
@click.option("--out", type=click.Path(path_type=Path), required=True, metavar="FILE.zip",
              help="Where to write the autograder zip.")
@click.option("--seed", type=click.IntRange(min=0), default=None,
              help="Seed of the hidden inputs, as given to gdkit grade (default: $GDKIT_SEED, else fixed).")
@click.option("--visibility", type=click.Choice(["hidden", "after_due_date", "after_published", "visible"]),
              default=None, help="When students see each hidden check's name and outcome "
                                 "[default: the course's [gradescope] checks, else after_published].")
@click.option("--feedback", type=click.Choice(["default", "full"]), default=None,
              help="'full' also names hidden sizes, alphas and thresholds [default: the course's [feedback]].")
@click.option("--per-student/--per-course", "per_student", default=None,
              help="Draw hidden inputs per (seed, Gradescope student) [default: the course's [seed] per_student].")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Seconds each call into the student's code may take [default: the course's [gradescope]/[limits]].")
@_course_option
def export_gradescope_command(assignment, out, seed, visibility, feedback, per_student, timeout, course_dir):
    """Write a Gradescope autograder zip (setup.sh, run_autograder, the kit, the hidden suite)."""
    from gdkit.export import gradescope

    path = gradescope.export(assignment, out, root=_course(course_dir).root, seed=seed, visibility=visibility,
                             feedback=feedback, per_student=per_student, timeout=timeout)
    click.echo(f"wrote {path}: upload it as the programming assignment's autograder on Gradescope")


@export.command("student-kit")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), required=True, metavar="DIR",
              help="Folder to write the wheel into.")
def export_student_kit_command(out_dir):
    """Build the wheel students install: the kit without any course's masters or hidden suites."""
    from gdkit.export import student_kit

    path = student_kit.build(out_dir)
    click.echo(f"wrote {path}: students install it with 'pip install {path.name}' and run 'gdkit check'")


@export.command("grades")
@click.argument("outdir", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["canvas", "moodle", "blackboard", "csv", "nbgrader"]),
              required=True, help="The LMS whose grade-import CSV to write (nbgrader: into a gradebook.db).")
@click.option("--out", type=click.Path(path_type=Path), required=True, metavar="FILE",
              help="Where to write it (nbgrader: the course's gradebook.db or the course folder).")
@click.option("--roster", type=click.Path(path_type=Path), default=None, metavar="FILE",
              help="The class list exported from the LMS (its gradebook export): ids are matched through it.")
@click.option("--column", default=None, metavar="NAME",
              help="The LMS's assignment (column) name; default the gdkit assignment's name.")
@click.option("--match", "match_column", default=None, metavar="COLUMN",
              help="The roster column holding gdkit's student ids (default: the one matching the most).")
@click.option("--missing", type=click.Choice(["blank", "zero"]), default="blank", show_default=True,
              help="Roster students without a submission: left out (the LMS keeps their grade) or 0.")
@click.option("--points", type=float, default=None, metavar="P",
              help="Scale scores to P points (the LMS column's points possible).")
def export_grades_command(outdir, fmt, out, roster, column, match_column, missing, points):
    """Write a grading folder's final scores as an LMS grade-import CSV.

    Students that cannot be matched to the roster (or whose grading failed) are listed on
    stderr and the command exits 1; the file holds everyone else.
    """
    from gdkit import lms

    if fmt == "nbgrader":
        from gdkit import gradebook, report

        loaded = report.load(outdir, progress=False)
        written = gradebook.write(loaded.records, out)
        written.problems += [f"{s}: not written ({why})" for s, why in sorted(loaded.unreadable.items())]
        _gradebook_lines(written, False)
        if written.problems:
            click.get_current_context().exit(1)
        return
    result = lms.export(outdir, fmt, out, roster_path=roster, column=column, match_column=match_column,
                        missing=missing, points=points)
    for note in result.notes:
        click.echo(f"note: {note}")
    for problem in result.problems:
        click.echo(f"gdkit: {problem}", err=True)
    how = f", matched by {result.matched_by!r}" if result.matched_by else ""
    click.echo(f"wrote {result.path}: {result.written} grade(s) in column {result.column!r} ({fmt}{how})")
    if result.problems:
        click.echo(f"gdkit: error: {len(result.problems)} student(s) whose grade the LMS will not get from this file "
                   "(see above)", err=True)
        click.get_current_context().exit(1)


@export.command("github-actions")
@click.option("--assignment", "-a", required=True, help="Which assignment.")
@click.option("--out", "outdir", type=click.Path(path_type=Path), required=True, metavar="DIR",
              help="Writes DIR/student/ (the starter repository) and DIR/course/ (for the course repository).")
@click.option("--kit-spec", default=None, metavar="SPEC",
              help="What the workflows pip-install the kit from: a wheel URL, a git+https URL or a path (required).")
@click.option("--course-kit-spec", default=None, metavar="SPEC",
              help="The course workflow's own kit spec (default: --kit-spec), e.g. '.' when the course "
                   "repository is the kit.")
@click.option("--roster", default=None, metavar="PATH",
              help="The class roster inside the course repository (CSV: student,repository) "
                   "[default: roster/NAME.csv].")
@click.option("--classroom", default=None, metavar="ORG/PREFIX",
              help="Instead of a roster: every repository ORG/PREFIX-<student> (GitHub Classroom).")
@click.option("--deadline", default="", metavar="TIME",
              help="Default deadline, ISO 8601 with offset (the dispatch input overrides it) [default: now].")
@click.option("--schedule", default=None, metavar="CRON",
              help="When the course workflow runs by itself ('' for never) [default: daily 05:30 UTC].")
@click.option("--shards", type=int, default=4, show_default=True, help="Parallel grading jobs.")
@click.option("--publish", type=click.Choice(["none", "comment", "issue"]), default="none", show_default=True,
              help="Post each student's feedback to their repository as a commit comment or an issue.")
@_course_option
def export_github_actions_command(assignment, outdir, kit_spec, course_kit_spec, roster, classroom, deadline,
                                  schedule, shards, publish, course_dir):
    """Write the student workflow (visible checks) and the course workflow (grading for marks)."""
    from gdkit.export import github_actions

    options = github_actions.CourseOptions(
        roster=roster or "", classroom=classroom or "", deadline=deadline,
        schedule=github_actions.SCHEDULE if schedule is None else schedule, shards=shards, publish=publish,
        kit_spec=course_kit_spec or "")
    written = github_actions.export(assignment, outdir, kit_spec, options, root=_course(course_dir).root)
    for path in written.values():
        click.echo(f"wrote {path}")
    click.echo(f"push {outdir / 'student'} as the starter repository and copy {outdir / 'course'} into the "
               "course repository; see docs/instructor-guide.md")


@cli.command("collect")
@click.option("--assignment", "-a", required=True, help="Which assignment the notebooks are for.")
@click.option("--roster", type=click.Path(path_type=Path), default=None,
              help="CSV with the header student,repository[,branch] (repository: owner/name or a git URL).")
@click.option("--classroom", default=None, metavar="ORG/PREFIX",
              help="Every repository ORG/PREFIX-<student> (GitHub Classroom's naming).")
@click.option("--deadline", default="", metavar="TIME",
              help="Take the last commit at or before this time (ISO 8601 with offset); empty: the newest.")
@click.option("--out", "outdir", type=click.Path(path_type=Path), required=True,
              help="Writes OUT/submissions/<student>.ipynb and OUT/manifest.json.")
@click.option("--shards", type=click.IntRange(min=1, max=64), default=4, show_default=True,
              help="How many grading shards the GitHub output 'shards' lists (never more than students).")
@click.option("--api-url", default=None, help="GitHub's REST API [default: $GITHUB_API_URL, else api.github.com].")
@_course_option
def collect_command(assignment, roster, classroom, deadline, outdir, shards, api_url, course_dir):
    """Fetch the class's notebooks from their repositories (token: $GDKIT_GITHUB_TOKEN)."""
    from gdkit.export import ci_report, collect, github_api
    from gdkit.grading import sanitize

    if bool(roster) == bool(classroom):
        raise GdkitError("give exactly one of --roster FILE or --classroom ORG/PREFIX")
    when = collect.parse_deadline(deadline)
    token = github_api.token_from_env()
    sources = (collect.read_roster(roster) if roster
               else collect.classroom_sources(classroom, github_api.GitHubClient(api_url, token)))
    items = collect.collect(assignment, sources, outdir, when, token, root=_course(course_dir).root)
    text = collect.summary(items, when)
    for item in items:
        # The path and the reason name files of the student's repository: one printable line each,
        # or a folder named "x\n::error::..." would write lines (workflow commands) of its own.
        path, reason = sanitize.line(item.path, 300), sanitize.line(item.reason, 300)
        line = f"{item.student}: {item.status}" + (f" {item.commit[:12]} {path}" if item.commit else "")
        click.echo(line + (f" ({reason})" if reason else ""))
        if item.status != "ok":
            click.echo("::warning title=gdkit collect::"
                       + ci_report.escape_data(f"{item.student}: {item.status} {reason}".rstrip()))
    ok = sum(i.status == "ok" for i in items)
    click.echo(f"collected {ok} of {len(items)} notebooks into {outdir / collect.SUBMISSIONS}")
    for name, data in (("GITHUB_STEP_SUMMARY", text), ("GITHUB_OUTPUT", collect.github_outputs(items, shards))):
        if os.environ.get(name):
            with open(os.environ[name], "a", encoding="utf-8") as f:
                f.write(data)


@cli.command("publish")
@click.argument("grades", type=click.Path(path_type=Path))
@click.option("--manifest", type=click.Path(path_type=Path), required=True,
              help="The manifest.json 'gdkit collect' wrote (which repository and commit each student's is).")
@click.option("--to", "mode", type=click.Choice(["comment", "issue"]), required=True,
              help="A comment on the graded commit, or one issue per assignment (edited in place).")
@click.option("--api-url", default=None, help="GitHub's REST API [default: $GITHUB_API_URL, else api.github.com].")
@click.option("--dry-run", is_flag=True, help="Say what would be posted; post nothing.")
@_course_option
def publish_command(grades, manifest, mode, api_url, dry_run, course_dir):
    """Post each student's feedback to their repository (token: $GDKIT_GITHUB_TOKEN).

    Exit 1 when a post failed (the others are still made).
    """
    from gdkit.export import github_api, publish, settings

    client = None if dry_run else github_api.GitHubClient(api_url)
    detail = settings.for_assignment(_manifest_assignment(manifest), root=_course(course_dir).root).feedback
    done = publish.publish(grades, manifest, mode, client, detail=detail, dry_run=dry_run)
    for item in done:
        click.echo(f"{item.student}: {item.action} {item.repository}" + (f" ({item.detail})" if item.detail else ""))
    if any(item.action == "failed" for item in done):
        click.get_current_context().exit(1)


def _manifest_assignment(path: Path) -> str:
    from gdkit.export import collect

    return str(collect.read_manifest(path).get("assignment", ""))


@cli.command("merge")
@click.argument("shards", nargs=-1, required=True, type=click.Path(path_type=Path), metavar="OUTDIR...")
@click.option("--out", "outdir", type=click.Path(path_type=Path), required=True,
              help="The merged folder (grades.csv, junit.xml, one folder per student).")
@click.option("--expect", multiple=True, type=click.Path(path_type=Path), metavar="PATH",
              help="The submissions that were graded (repeatable): refuse if a student has no record.")
@click.option("--force", is_flag=True, help="Replace students already merged into --out.")
def merge_command(shards, outdir, expect, force):
    """Join the --out folders of 'gdkit grade --shard K/N' runs into one."""
    from gdkit import merge
    from gdkit.grading import runner

    records = merge.merge(list(shards), outdir, list(expect), force)
    click.echo(runner.summary_table(records, [q.id for q in records[0].questions]))
    click.echo(f"wrote {outdir / 'grades.csv'}, {outdir / 'junit.xml'} and {len(records)} student folder(s) "
               f"from {len(shards)} shard(s)")


@cli.command("report")
@click.argument("outdir", type=click.Path(path_type=Path))
@click.option("--compare", "other", type=click.Path(path_type=Path), default=None, metavar="OTHER",
              help="Another run's folder (last term, before a regrade): per question and per mistake.")
@click.option("--curves", type=click.IntRange(min=0, max=2000), default=150, show_default=True,
              help="Training curves drawn at most (sampled; every kind of run keeps a share).")
def report_command(outdir, other, curves):
    """Class report of a 'gdkit grade' or 'gdkit merge' folder: OUTDIR/report.html and report.md.

    Score histogram, per-question shares, the named mistakes and who made them, other failed
    checks, submissions that need a person, the class's training curves.
    """
    from gdkit import report

    html, markdown, summary = report.write_report(outdir, other, curves=curves)
    click.echo(f"{summary.n} students, mean {report._num(summary.mean)} / {report._num(summary.max_total)}, "
               f"{len(summary.mistakes)} named mistake(s), {len(summary.attention)} need a person")
    click.echo(f"wrote {html} and {markdown}")


@cli.command("ci-report")
@click.argument("outdir", type=click.Path(path_type=Path), required=False)
@click.option("--check", "notebook", type=click.Path(path_type=Path), default=None, metavar="NOTEBOOK",
              help="Instead: run the visible checks on NOTEBOOK and report them (exit 1 when one fails).")
@click.option("--assignment", "-a", default=None, help="With --check: which assignment (default: guessed).")
@_course_option
def ci_report_command(outdir, notebook, assignment, course_dir):
    """GitHub Actions report of a 'gdkit grade' folder: job summary, annotations, outputs.

    Exit 1 when the folder holds no grading results.
    """
    from gdkit.export import ci_report

    if notebook is not None:
        from gdkit.export import check_report

        results, text, lines = check_report.report(notebook, assignment, course=course_dir)
        if not os.environ.get("GITHUB_STEP_SUMMARY"):
            click.echo(text)
        for line in lines:
            click.echo(line)
        if not all(r.passed for r in results):
            click.get_current_context().exit(1)
        return
    if outdir is None:
        raise GdkitError("give the 'gdkit grade' --out folder, or --check NOTEBOOK")

    records, text, lines = ci_report.report(outdir)
    if not os.environ.get("GITHUB_STEP_SUMMARY"):
        click.echo(text)
    for line in lines:
        click.echo(line)
    if not records:
        click.get_current_context().exit(1)


def main(argv=None) -> int:
    """Entry point: run the command, turning user errors into one line and exit 2."""
    from gdkit import startup

    startup.skip_unused_imports()  # before anything imports nbformat (see gdkit.startup)
    try:
        # Without standalone mode click returns the code of `ctx.exit(code)` instead of exiting.
        status = cli.main(args=argv, prog_name="gdkit", standalone_mode=False)
    except getattr(click.exceptions, "NoArgsIsHelpError", ()) as exc:  # click >= 8.2
        click.echo(exc.ctx.get_help() if exc.ctx else str(exc))
        return 2
    except click.UsageError as exc:
        cmd = exc.ctx.command_path if exc.ctx else "gdkit"
        click.echo(f"{cmd}: error: {exc.format_message()} (see '{cmd} --help')", err=True)
        return 2
    except click.Abort:
        click.echo("gdkit: interrupted", err=True)
        return 130
    except click.ClickException as exc:
        click.echo(f"gdkit: error: {exc.format_message()}", err=True)
        return exc.exit_code
    except GdkitError as exc:
        click.echo(f"gdkit: error: {exc}", err=True)
        return 2
    except ImportError as exc:  # a lean install (pip install gdkit) running an instructor command
        if (getattr(exc, "name", None) or "").split(".")[0] == "gdkit":
            from gdkit import packaging

            if packaging.is_student_kit():  # it holds what `gdkit check` needs, nothing more
                click.echo("gdkit: error: this is the student kit, which runs `gdkit check` only; the other "
                           "commands are the instructor's (pip install 'gdkit[instructor]')", err=True)
                return 2
            raise  # the kit's own module: a bug, not a missing extra
        missing = getattr(exc, "name", None) or str(exc).split("\n")[0]
        click.echo(f"gdkit: error: this command needs a package that is not installed ({missing}); "
                   "install the instructor tools with: pip install 'gdkit[instructor]'", err=True)
        return 2
    except BrokenPipeError:
        return 1
    return status if isinstance(status, int) else 0


def run():
    """Console-script entry point."""
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    run()
