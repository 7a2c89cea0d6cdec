"""`charter new`: write a draft entry, open it in the editor when a person is at the terminal, then validate it."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from charter.cli.console import ReadFormat, display_path, escape, out, print_json
from charter.errors import DraftRemoved, EditorCommandInvalid, EditorDidNotStart, EditorFailed

if TYPE_CHECKING:
    from charter.authoring.new_entry import NewEntry
    from charter.validation.runner import ValidationReport


class BumpPart(StrEnum):
    major = "major"
    minor = "minor"
    patch = "patch"


def is_interactive() -> bool:
    """A person is at the terminal: both stdin and stdout are a TTY (tests replace this function)."""
    return sys.stdin.isatty() and sys.stdout.isatty()


def editor_command() -> list[str] | None:
    """$VISUAL, else $EDITOR, split as a shell would (`code --wait`); None when neither is set."""
    for variable in ("VISUAL", "EDITOR"):
        value = os.environ.get(variable, "").strip()
        if value:
            try:
                words = shlex.split(value)
            except ValueError as exc:
                raise EditorCommandInvalid(variable=variable, error=exc) from None
            if words:
                return words
    return None


def open_editor(command: list[str], path: Path) -> None:
    """Run the editor on the file and wait for it; it inherits the terminal."""
    shown = shlex.join(command)
    try:
        completed = subprocess.run([*command, str(path)], check=False)
    except OSError as exc:
        raise EditorDidNotStart(editor=shown, error=exc.strerror or exc, path=path) from None
    if completed.returncode != 0:
        raise EditorFailed(editor=shown, code=completed.returncode, path=path)


def run(
    ctx: typer.Context,
    kind: Annotated[
        str,
        typer.Argument(help="What to create: model (a model family), event, cohort, contract or evaluation.",
                       show_default=False),
    ],
    name: Annotated[
        str,
        typer.Argument(help="The entry's name: lower-case letters, digits and '-' (e.g. icu-adults).",
                       show_default=False),
    ],
    source: Annotated[
        str | None,
        typer.Option("--from", help="Copy this entry (kind:name@version), comments included: the same NAME makes "
                                    "its next version, another NAME a new entry.", metavar="REF"),
    ] = None,
    bump: Annotated[
        BumpPart | None,
        typer.Option("--bump", help="With --from and the same NAME: the part of the version to raise "
                                    "(default: minor).", show_default=False),
    ] = None,
    version: Annotated[
        str | None,
        typer.Option("--version", help="The new version (semver); default 0.1.0, or the source's version bumped.",
                     metavar="V"),
    ] = None,
    owner: Annotated[
        str | None,
        typer.Option("--owner", help="The accountable team or person; default: the example's or the source's.",
                     metavar="O"),
    ] = None,
    no_edit: Annotated[
        bool, typer.Option("--no-edit", help="Do not open $VISUAL or $EDITOR, even at a terminal.")
    ] = False,
    output: Annotated[
        ReadFormat, typer.Option("--format", help="Output format; json never opens an editor.")
    ] = ReadFormat.text,
) -> None:
    """Create a draft entry from its kind's schema example, or as a copy of an existing one, then validate it.

    At a terminal with $VISUAL or $EDITOR set, the file opens in the editor and is validated when the editor
    closes, until it is valid or you stop. The file is kept either way: it is a draft.

    Exit codes: 0 written and valid, 1 written with errors to fix, 2 nothing written (a usage error) or the editor
    could not run (the draft is kept).
    """
    from charter.authoring.new_entry import scaffold_entry
    from charter.registry.config import find_registry_root
    from charter.validation.runner import validate_registry

    root = find_registry_root(ctx.obj)
    entry = scaffold_entry(root, kind, name, source=source, bump=bump.value if bump is not None else None,
                           version=version, owner=owner)
    if output is ReadFormat.json:
        report = validate_registry(root, [entry.path])
        print_json({**entry.to_dict(), "validation": report.to_dict()})
        raise typer.Exit(0 if report.ok else 1)

    shown = display_path(root, entry.relpath)
    origin = f"copy of {entry.source}" if entry.source else f"the {entry.kind.name} schema's example"
    out.print(f"[green]✓[/] wrote {escape(shown)}: {escape(entry.ref)}, draft, {escape(origin)}")
    command = None if no_edit else editor_command()
    if command is not None and is_interactive():
        report, shown_already = _edit_until_valid(root, entry, command)
    else:
        report, shown_already = validate_registry(root, [entry.path]), False
    _print_outcome(report, entry, shown, findings_shown=shown_already)
    raise typer.Exit(0 if report.ok else 1)


def _edit_until_valid(root: Path, entry: NewEntry, command: list[str]) -> tuple[ValidationReport, bool]:
    """Editor, validation, and the question whether to edit again, until the file is valid or the person stops."""
    from charter.cli.render import print_findings
    from charter.validation.runner import validate_registry

    while True:
        open_editor(command, entry.path)
        if not entry.path.exists():
            raise DraftRemoved(path=entry.relpath)
        report = validate_registry(root, [entry.path])
        if report.ok:
            return report, False
        print_findings(root, report.findings)
        if not typer.confirm(f"{entry.relpath} has {_count(report.errors, 'error')}. Edit again?", default=True):
            return report, True


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'s' * (number != 1)}"


def _print_outcome(report: ValidationReport, entry: NewEntry, shown: str, *, findings_shown: bool) -> None:
    from charter.cli.render import print_findings

    if not findings_shown:
        print_findings(report.root, report.findings)
    if report.ok:
        warnings = f" ({_count(report.warnings, 'warning')})" if report.warnings else ""
        out.print(f"[green]✓[/] {escape(shown)} is valid{warnings}. It stays a draft until you set "
                  "metadata.status to active in a reviewed change.")
    else:
        out.print(f"[red]✗[/] {escape(shown)} was written with {_count(report.errors, 'error')} to fix"
                  f"{' and ' + _count(report.warnings, 'warning') if report.warnings else ''}: edit the file, "
                  f"then run `charter validate {escape(shown)}`.")
    if entry.source is None:
        out.print(f"  [dim]its values are the {escape(entry.kind.name)} schema's example: replace them with "
                  "this entry's own, and point its references at entries of this registry.[/]")
