"""What more than one command shows or reads the same way: history cells, findings, refusals, kind arguments.

Commands import these from here, never from each other, so loading one command never loads another.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from charter.cli.console import display_path, escape, out, print_json, print_line
from charter.errors import UnknownKind
from charter.registry.findings import Finding, Severity
from charter.registry.kinds import KINDS, Kind, find_kind

if TYPE_CHECKING:
    from charter.errors import FindingsError
    from charter.history.environment_items import Assignment

NOTHING = "-"


def when(iso: str | None) -> str:
    """`2026-03-01 09:30` from an ISO timestamp: minutes are enough to tell changes apart when reading."""
    return iso[:16].replace("T", " ") if iso else NOTHING


def short(commit: str | None) -> str:
    return commit[:7] if commit else NOTHING


def pr_cell(number: int | None) -> str:
    return f"#{number}" if number is not None else NOTHING


def side(assignment: Assignment | None, *, version_only: bool = False) -> str:
    if assignment is None:
        return NOTHING
    return assignment.version if version_only else f"{assignment.version} {assignment.rollout()}"


def refuse_entry(root: Path, error: FindingsError, as_json: bool, done_key: str) -> typer.Exit:
    """Report an entry a command would not write (its findings, then why) and the exit to raise: 1."""
    if as_json:
        print_json({done_key: False, "message": error.message, "findings": [f.to_dict() for f in error.findings]})
    else:
        print_findings(root, error.findings)
        out.print(f"[red]✗[/] {escape(error.message)}")
    return typer.Exit(1)


def print_findings(root: Path, findings: list[Finding]) -> None:
    """Findings as `file:line:col: severity CODE message` with the hint below: the one text form everywhere."""
    for f in findings:
        colour = "red" if f.severity is Severity.ERROR else "yellow"
        print_line(f"{display_path(root, f.path)}:{f.line}:{f.column}: ", (f.severity.value, colour), " ",
                   (f.code, "bold"), f" {f.message}")
        if f.hint:
            print_line(("    hint: " + f.hint, "dim"))
    if findings:
        print_line()


def kind_named(kind_name: str | None) -> Kind | None:
    """The kind a `--kind`/KIND argument names (None when not given); an unknown one is a usage error."""
    if kind_name is None:
        return None
    kind = find_kind(kind_name)
    if kind is None:
        raise UnknownKind(kind=kind_name, known=", ".join(KINDS))
    return kind
