"""The `charter` command: one Typer app, one error handler, commands registered from their own modules."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from charter import __version__
from charter.cli import audit, gate, history, listing, new, promote, pull, register, resolve, schema, show, validate
from charter.cli import diff as diff_cmd
from charter.cli import evaluate as evaluate_cmd
from charter.cli import init as init_cmd
from charter.cli import lineage as lineage_cmd
from charter.cli import monitor as monitor_cmd
from charter.cli import report as report_cmd
from charter.cli import search as search_cmd
from charter.cli import status as status_cmd
from charter.cli.console import err, print_error
from charter.errors import CharterError

EXIT_INTERNAL = 3
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell reports for a tool killed by a closed pipe


class CharterGroup(TyperGroup):
    """Turns a CharterError into one line and exit 2, and a bug into a short report (never a traceback)."""

    def invoke(self, ctx: Any) -> Any:  # typer's vendored click Context is private
        try:
            return super().invoke(ctx)
        except CharterError as error:
            print_error(error)
            raise typer.Exit(2) from None
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except BrokenPipeError:
            # The reader went away (`charter list | head`): stop quietly, as other Unix tools do.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            raise typer.Exit(EXIT_BROKEN_PIPE) from None
        except KeyboardInterrupt:
            err.print("interrupted")
            raise typer.Exit(130) from None
        except Exception as error:
            if os.environ.get("CHARTER_DEBUG"):
                raise
            err.print(f"[bold red]internal error:[/] {type(error).__name__}: {error}", markup=True)
            err.print("  this is a bug in charter: rerun with CHARTER_DEBUG=1 for the traceback and report it")
            raise typer.Exit(EXIT_INTERNAL) from None


app = typer.Typer(
    cls=CharterGroup,
    name="charter",
    help="A git-native registry for machine-learning governance.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode=None,  # plain help: typer's rich help imports rich.markdown and markdown-it (70 ms per --help)
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"charter {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    directory: Annotated[
        Path | None,
        typer.Option("-C", help="Run as if charter was started in this folder (like git -C).",
                     file_okay=False, metavar="PATH"),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Charter keeps models, their evidence and what runs where as reviewed YAML in git."""
    ctx.obj = directory or Path.cwd()


app.command("init", epilog="Example: charter init ./ml-registry")(init_cmd.run)
app.command("validate", epilog="Example: charter validate --base origin/main --format github")(validate.run)
app.command("show", epilog="Example: charter show model:sepsis-risk@1.1.0")(show.run)
app.command("list", epilog="Example: charter list cohort --format json")(listing.run)
app.command("search", epilog="Example: charter search 'sepsis AND spec.metrics.auroc >= 0.85 AND NOT status = retired'"
            )(search_cmd.run)
app.command("schema", epilog="Example: charter schema Contract > contract.schema.json")(schema.run)
app.command("register", epilog="Example: charter register sepsis-risk --artifact out/model.onnx "
            "--metrics out/metrics.json")(register.run)
app.command("promote", epilog="Example: charter promote model:sepsis-risk@1.1.0 --to production "
            "--reason 'Better sensitivity at equal alert volume'")(promote.promote_command)
app.command("rollback", epilog="Example: charter rollback sepsis-risk --env production")(promote.rollback_command)
app.command("gate", epilog="Example: charter gate --base origin/main --format markdown")(gate.gate_command)
app.command("codeowners", epilog="Example: charter codeowners --check")(gate.codeowners_command)
app.command("resolve", epilog="Example: charter resolve sepsis-risk --env production --format json")(resolve.run)
app.command("pull", epilog="Example: charter pull sepsis-risk --env production -o model.onnx")(pull.run)
app.command("new", epilog="Example: charter new cohort icu-adults "
            "--from cohort:sepsis-adult-inpatients-eval@1.0.0")(new.run)
app.command("diff", epilog="Example: charter diff origin/main HEAD --format markdown")(diff_cmd.run)
app.command("history", epilog="Example: charter history model:sepsis-risk --format json")(history.run)
app.command("audit", epilog="Example: charter audit --env production --since 2026-01-01 --format csv")(audit.run)
app.add_typer(monitor_cmd.app, name="monitor")
app.command("status", epilog="Example: charter status --env production --format json")(status_cmd.run)
app.command("lineage", epilog="Example: charter lineage event:sepsis-onset@2.0.0 --impact --format mermaid")(
    lineage_cmd.run)
app.add_typer(evaluate_cmd.app, name="evaluate", epilog="Example: charter evaluate compare model:sepsis-risk@1.1.0 "
              "model:sepsis-risk@1.2.0")
app.command("report", epilog="Example: charter report -o site --title 'ML registry'")(report_cmd.run)


def main() -> None:
    app()
