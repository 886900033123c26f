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


@cli.command("release")
@click.argument("assignments", nargs=-1)
@click.option("--check", is_flag=True,
              help="Change nothing; exit 1 naming each release that differs from its master.")
@click.option("--root", type=click.Path(file_okay=False, exists=True), default=None,
              help="The repository holding solutions/ (default: the current folder or a parent).")
def release_command(assignments, check, root):
    """Regenerate assignments/ from the masters in solutions/ with nbgrader (default: all)."""
    from gdkit import release as release_mod

    if check:
        stale = release_mod.stale(assignments, root)
        for path in stale:
            click.echo(f"stale: {path} (run 'gdkit release' and commit the result)", err=True)
        if stale:
            click.get_current_context().exit(1)
        click.echo("assignments/ is up to date")
        return
    for path in release_mod.release(assignments, root):
        click.echo(f"wrote {path}")


@cli.command("grade")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--assignment", "-a", default="gradient_descent", show_default=True,
              help="Which assignment the submissions are for.")
@click.option("--out", "outdir", type=click.Path(path_type=Path), default=Path("grades"), show_default=True,
              help="Output folder (grades.csv, junit.xml, one folder per student).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=os.cpu_count() or 1, show_default=True,
              help="Grader processes running at once.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=10.0, show_default=True,
              help="Seconds a submission may take to load, and each call into it.")
@click.option("--force", is_flag=True, help="Regrade students who already have results in --out.")
@click.option("--shard", default=None, metavar="K/N", help="Grade only shard K of N (by student id).")
@click.option("--quiet", "-q", is_flag=True, help="No progress display and no table.")
def grade_command(paths, assignment, outdir, jobs, timeout, force, shard, quiet):
    """Grade notebooks, folders of notebooks or an nbgrader submitted/ tree.

    With no PATH, grades the bundled examples/submissions.
    """
    from gdkit import assignments as assignments_mod
    from gdkit.grading import runner

    records = runner.grade_submissions(assignment, list(paths), outdir=outdir, jobs=jobs, timeout=timeout,
                                       force=force, shard=runner.parse_shard(shard), quiet=quiet)
    if not quiet:
        ids = [q.id for q in assignments_mod.load(assignment).questions]
        click.echo(runner.summary_table(records, ids))
        click.echo(f"wrote {outdir / 'grades.csv'}, {outdir / 'junit.xml'} and {len(records)} student folder(s)")


def main(argv=None) -> int:
    """Entry point: run the command, turning user errors into one line and exit 2."""
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
    except BrokenPipeError:
        return 1
    return status if isinstance(status, int) else 0


def run():
    """Console-script entry point."""
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    run()
