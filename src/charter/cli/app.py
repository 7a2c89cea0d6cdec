"""The `charter` command: one Typer app, one error handler, each command loaded only when it is run."""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from charter._version import __version__
from charter.cli.console import err, print_error
from charter.errors import CharterError, storage_error

EXIT_INTERNAL = 3


@dataclass(frozen=True)
class CommandEntry:
    """Where a command lives: `attribute` of `module` is its function, or a Typer app for a group of commands."""

    module: str
    attribute: str
    epilog: str

    def load(self) -> Any:
        return getattr(importlib.import_module(self.module), self.attribute)


#: Every command, in the order help lists them. A run imports and builds only the command it invokes: building
#: all of them (typer reads every signature and type hint) cost 45 ms, and importing their modules 25 ms more.
COMMANDS: dict[str, CommandEntry] = {
    "init": CommandEntry("charter.cli.init", "run", "Example: charter init ./ml-registry"),
    "validate": CommandEntry("charter.cli.validate", "run",
                             "Example: charter validate --base origin/main --format github"),
    "show": CommandEntry("charter.cli.show", "run", "Example: charter show model:sepsis-risk@1.1.0"),
    "list": CommandEntry("charter.cli.listing", "run", "Example: charter list cohort --format json"),
    "search": CommandEntry("charter.cli.search", "run",
                           "Example: charter search 'sepsis AND spec.metrics.auroc >= 0.85 AND NOT status = retired'"),
    "schema": CommandEntry("charter.cli.schema", "run", "Example: charter schema Contract > contract.schema.json"),
    "register": CommandEntry("charter.cli.register", "run", "Example: charter register sepsis-risk "
                             "--artifact out/model.onnx --metrics out/metrics.json"),
    "promote": CommandEntry("charter.cli.promote", "promote_command",
                            "Example: charter promote model:sepsis-risk@1.1.0 --to production "
                            "--reason 'Better sensitivity at equal alert volume'"),
    "rollback": CommandEntry("charter.cli.promote", "rollback_command",
                             "Example: charter rollback sepsis-risk --env production"),
    "gate": CommandEntry("charter.cli.gate", "gate_command",
                         "Example: charter gate --base origin/main --format markdown"),
    "codeowners": CommandEntry("charter.cli.gate", "codeowners_command", "Example: charter codeowners --check"),
    "resolve": CommandEntry("charter.cli.resolve", "run",
                            "Example: charter resolve sepsis-risk --env production --format json"),
    "pull": CommandEntry("charter.cli.pull", "run", "Example: charter pull sepsis-risk --env production -o model.onnx"),
    "new": CommandEntry("charter.cli.new", "run",
                        "Example: charter new cohort icu-adults --from cohort:sepsis-adult-inpatients-eval@1.0.0"),
    "diff": CommandEntry("charter.cli.diff", "run", "Example: charter diff origin/main HEAD --format markdown"),
    "history": CommandEntry("charter.cli.history", "run", "Example: charter history model:sepsis-risk --format json"),
    "audit": CommandEntry("charter.cli.audit", "run",
                          "Example: charter audit --env production --since 2026-01-01 --format csv"),
    "monitor": CommandEntry("charter.cli.monitor", "app",
                            "Example: charter monitor history sepsis-risk --metric alertsPerDay"),
    "status": CommandEntry("charter.cli.status", "run", "Example: charter status --env production --format json"),
    "lineage": CommandEntry("charter.cli.lineage", "run",
                            "Example: charter lineage event:sepsis-onset@2.0.0 --impact --format mermaid"),
    "evaluate": CommandEntry("charter.cli.evaluate", "app",
                             "Example: charter evaluate compare model:sepsis-risk@1.1.0 model:sepsis-risk@1.2.0"),
    "report": CommandEntry("charter.cli.report", "run", "Example: charter report -o ../site --title 'ML registry'"),
    "import": CommandEntry("charter.cli.importing", "app",
                           "Example: charter import mlflow --tracking-uri https://mlflow.example.org --dry-run"),
    "sync": CommandEntry("charter.cli.sync", "app", "Example: charter sync mlflow --dry-run"),
}


def build_command(name: str, entry: CommandEntry) -> Any:
    """The click command typer makes of one entry, with the options the whole app uses."""
    from typer.main import get_command_from_info, get_group_from_info
    from typer.models import CommandInfo, TyperInfo

    target = entry.load()
    if isinstance(target, typer.Typer):
        return get_group_from_info(TyperInfo(target, name=name, epilog=entry.epilog),
                                   pretty_exceptions_short=False, suggest_commands=True, rich_markup_mode=None)
    return get_command_from_info(CommandInfo(name=name, callback=target, epilog=entry.epilog),
                                 pretty_exceptions_short=False, rich_markup_mode=None)


class LazyCommands(MutableMapping[str, Any]):
    """The group's commands by name: every name is known at once, a command is built when it is first looked up."""

    def __init__(self, entries: dict[str, CommandEntry]) -> None:
        self._entries = entries
        self._built: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        if name not in self._built:
            self._built[name] = build_command(name, self._entries[name])
        return self._built[name]

    def __setitem__(self, name: str, command: Any) -> None:
        self._built[name] = command

    def __delitem__(self, name: str) -> None:
        self._built.pop(name, None)
        self._entries = {key: entry for key, entry in self._entries.items() if key != name}

    def __iter__(self) -> Iterator[str]:
        yield from self._entries
        yield from (name for name in self._built if name not in self._entries)

    def __len__(self) -> int:
        return len(self._entries.keys() | self._built.keys())


class CharterGroup(TyperGroup):
    """Turns a CharterError into one line and its exit code (2; 1 for a refusal by a rule), a bug into a short report.

    Never a traceback.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.commands = LazyCommands(COMMANDS)

    def invoke(self, ctx: Any) -> Any:  # typer's vendored click Context is private
        try:
            try:
                result = super().invoke(ctx)
            except typer.Exit:
                _flush_stdout()  # the command's verdict (validate's 1) stands even if the reader went away
                raise
            sys.stdout.flush()  # what is still buffered breaks the pipe here, not at exit (where click exits 1)
            return result
        except CharterError as error:
            print_error(error)
            raise typer.Exit(error.exit_code) from None
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except BrokenPipeError:
            # The reader went away (`charter list | head -1`): it read what it wanted, so stop quietly with 0, as
            # other Unix tools do.
            _silence_stdout()
            raise typer.Exit(0) from None
        except KeyboardInterrupt:
            err.print("interrupted")
            raise typer.Exit(130) from None
        except Exception as error:
            # a full disk or a read-only file system met by a write the core does not map itself (promote, report)
            full = storage_error(Path.cwd(), error=error) if isinstance(error, OSError) else None
            if full is not None:
                print_error(full)
                raise typer.Exit(2) from None
            if os.environ.get("CHARTER_DEBUG"):
                raise
            err.print(f"[bold red]internal error:[/] {type(error).__name__}: {error}", markup=True)
            err.print("  this is a bug in charter: rerun with CHARTER_DEBUG=1 for the traceback and report it")
            raise typer.Exit(EXIT_INTERNAL) from None


def _silence_stdout() -> None:
    """Python's documented way out of a broken pipe: stdout pointed at devnull, so the exit's flush is silent."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def _flush_stdout() -> None:
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()


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


def main() -> None:
    app()
