"""`charter history REF`: an entry's versions, evaluations and assignment changes over time, from git."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from charter.cli.console import ReadFormat, out, print_json

if TYPE_CHECKING:
    from charter.assignments_history import Assignment, AssignmentChange, EntryHistory, VersionHistory

NOTHING = "-"


def run(
    ctx: typer.Context,
    ref: Annotated[
        str,
        typer.Argument(help="A model family (model:NAME or NAME), a model version (model:NAME@VERSION), or any "
                            "other entry (event:NAME@VERSION, environment:production)."),
    ],
    output: Annotated[ReadFormat, typer.Option("--format", help="Output format.")] = ReadFormat.text,
) -> None:
    """Show how an entry came to be: versions (who registered them and when), evaluations, and every assignment
    change with the date it landed, environment, author, commit and pull request, in the order they landed."""
    from charter.assignments_history import entry_history
    from charter.config import find_registry_root

    history = entry_history(find_registry_root(ctx.obj), ref)
    if output is ReadFormat.json:
        print_json(history.to_dict())
        return
    print_history(history)


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


def print_history(history: EntryHistory) -> None:
    counts = [f"{len(history.versions)} version{'s' * (len(history.versions) != 1)}"]
    if history.kind in ("Model", "ModelVersion"):
        counts.append(f"{len(history.evaluations)} evaluation{'s' * (len(history.evaluations) != 1)}")
    if history.changes or history.kind in ("Model", "ModelVersion", "Environment"):
        counts.append(f"{len(history.changes)} assignment change{'s' * (len(history.changes) != 1)}")
    out.print(f"[bold]{escape(history.ref)}[/]  [dim]{escape(history.kind)} · {' · '.join(counts)}[/]")
    if history.kind in ("Model", "ModelVersion"):
        _versions_table(history.versions)
        _evaluations_table(history)
    else:
        _commits_table(history.versions)
    if history.changes:
        _changes_table(history.changes, with_model=history.kind not in ("Model", "ModelVersion"))


_KEEP_WHOLE = {"version", "status", "date", "landed", "change", "environment", "model", "rollout", "commit", "PR"}


def _table(title: str) -> Table:
    return Table(title=title, title_justify="left", show_edge=False, title_style="bold")


def _versions_table(versions: list[VersionHistory]) -> None:
    if not versions:
        return
    table = _table("versions")
    for column in ("version", "status", "registered", "by", "commit", "PR"):
        table.add_column(column, no_wrap=column != "by")
    for v in versions:
        first = v.registered
        table.add_row(escape(v.version or NOTHING), escape(v.status), when(first.date if first else None),
                      escape(first.author if first else "uncommitted"), short(first.commit if first else None),
                      pr_cell(first.pr if first else None))
    out.print()
    out.print(table)


def _evaluations_table(history: EntryHistory) -> None:
    if not history.evaluations:
        return
    table = _table("evaluations")
    for column in ("version", "evaluation", "method", "cohort", "date", "metrics"):
        table.add_column(column, overflow="fold", no_wrap=column in ("version", "date"))
    for e in history.evaluations:
        metrics = ", ".join(f"{name} {value:.10g}" for name, value in e.metrics.items())
        table.add_row(escape(e.model.split("@", 1)[1]), escape(e.ref), escape(e.method or NOTHING),
                      escape(e.cohort or NOTHING), escape(e.date or NOTHING), escape(metrics or NOTHING))
    out.print()
    out.print(table)


def _commits_table(versions: list[VersionHistory]) -> None:
    table = _table("commits")
    for column in ("version", "status", "date", "change", "author", "commit", "PR", "subject"):
        table.add_column(column, overflow="fold", no_wrap=column in _KEEP_WHOLE)
    names = {"A": "added", "M": "modified", "D": "deleted", "T": "type changed"}
    for v in versions:
        if not v.commits:
            table.add_row(escape(v.version or NOTHING), escape(v.status), NOTHING, "uncommitted", NOTHING,
                          NOTHING, NOTHING, NOTHING)
        for c in v.commits:
            table.add_row(escape(v.version or NOTHING), escape(v.status), when(c.date),
                          names.get(c.status, c.status), escape(c.author), short(c.commit), pr_cell(c.pr),
                          escape(c.subject))
    out.print()
    out.print(table)


def _changes_table(changes: list[AssignmentChange], *, with_model: bool) -> None:
    table = _table("assignments (oldest first)")
    columns = ["landed", "environment", *(["model"] if with_model else []), "change", "rollout", "author",
               "commit", "PR", "merged by"]
    for column in columns:
        table.add_column(column, overflow="fold", no_wrap=column in _KEEP_WHOLE)
    for c in changes:
        change = f"{side(c.old, version_only=True)} → {side(c.new, version_only=True)}"
        rollout = f"{c.old.rollout() if c.old else NOTHING} → {c.new.rollout() if c.new else NOTHING}"
        table.add_row(when(c.landed_at), escape(c.environment), *([escape(c.model)] if with_model else []),
                      escape(change), escape(rollout), escape(c.author), short(c.commit), pr_cell(c.pr),
                      escape(c.merged_by or NOTHING))
    out.print()
    out.print(table)
