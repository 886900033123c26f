"""The ``gdkit`` command. Each subcommand is a thin shell around a library module.

Heavy imports happen inside the commands so ``gdkit --help`` and bad-argument errors are fast.
Every user error (bad arguments, missing files, a missing assignment) becomes one line on
stderr and exit status 2, never a traceback.
"""
from __future__ import annotations

import sys

import click

from gdkit.errors import GdkitError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="gdkit")
def cli():
    """gdkit: gradient-descent exercises, released with nbgrader and graded safely."""


@cli.group()
def experiment():
    """Reproduce the tutorial's experiments (figures printed, optional --plot FILE.png)."""


def main(argv=None) -> int:
    """Entry point: run the command, turning user errors into one line and exit 2."""
    try:
        cli.main(args=argv, prog_name="gdkit", standalone_mode=False)
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
    return 0


def run():
    """Console-script entry point."""
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    run()
