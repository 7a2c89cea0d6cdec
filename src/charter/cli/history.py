"""`charter history REF`: an entry's versions, evaluations and assignment changes over time, from git."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from charter.cli.console import ReadFormat, escape, out, print_json
from charter.cli.render import NOTHING, pr_cell, short, side, when

if TYPE_CHECKING:
    from charter.history.assignments import AssignmentChange
    from charter.history.entry import EntryHistory, VersionHistory


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
    from charter.history.entry import entry_history
    from charter.registry.config import find_registry_root

    history = entry_history(find_registry_root(ctx.obj), ref)
    if output is ReadFormat.json:
        print_json(history.to_dict())
        return
    print_history(history)


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


def print_columns(title: str, headers: list[str], rows: list[list[str]]) -> None:
    """A titled table as aligned columns of plain text (cells are data, never markup).

    Not a rich Table: laying one out measures every cell and takes about a second per 2,000 rows, and a model's
    assignment timeline reaches that. Lines longer than the terminal wrap as the terminal does.
    """
    from rich.cells import cell_len
    from rich.text import Text

    widths = [max([cell_len(h), *(cell_len(r[i]) for r in rows)]) for i, h in enumerate(headers)]

    def line(cells: list[str]) -> str:
        return "  ".join(c + " " * (w - cell_len(c)) for c, w in zip(cells, widths, strict=True)).rstrip()

    out.print()
    out.print(f"[bold]{escape(title)}[/]")
    out.print(Text(line(headers), style="dim"))
    out.print(Text("\n".join(line(r) for r in rows)))


def _versions_table(versions: list[VersionHistory]) -> None:
    if not versions:
        return
    rows = []
    for v in versions:
        first = v.registered
        rows.append([v.version or NOTHING, v.status, when(first.date if first else None),
                     first.author if first else "uncommitted", short(first.commit if first else None),
                     pr_cell(first.pr if first else None)])
    print_columns("versions", ["version", "status", "registered", "by", "commit", "PR"], rows)


def _evaluations_table(history: EntryHistory) -> None:
    if not history.evaluations:
        return
    rows = [[e.model.split("@", 1)[1], e.ref, e.method or NOTHING, e.cohort or NOTHING, e.date or NOTHING,
             ", ".join(f"{name} {value:.10g}" for name, value in e.metrics.items()) or NOTHING]
            for e in history.evaluations]
    print_columns("evaluations", ["version", "evaluation", "method", "cohort", "date", "metrics"], rows)


def _commits_table(versions: list[VersionHistory]) -> None:
    names = {"A": "added", "M": "modified", "D": "deleted", "T": "type changed"}
    rows = []
    for v in versions:
        if not v.commits:
            rows.append([v.version or NOTHING, v.status, NOTHING, "uncommitted", NOTHING, NOTHING, NOTHING, NOTHING])
        rows.extend([v.version or NOTHING, v.status, when(c.date), names.get(c.status, c.status), c.author,
                     short(c.commit), pr_cell(c.pr), c.subject] for c in v.commits)
    print_columns("commits", ["version", "status", "date", "change", "author", "commit", "PR", "subject"], rows)


def _changes_table(changes: list[AssignmentChange], *, with_model: bool) -> None:
    rows = []
    for c in changes:
        change = f"{side(c.old, version_only=True)} → {side(c.new, version_only=True)}"
        rollout = f"{c.old.rollout() if c.old else NOTHING} → {c.new.rollout() if c.new else NOTHING}"
        rows.append([when(c.landed_at), c.environment, *([c.model] if with_model else []), change, rollout,
                     c.author, short(c.commit), pr_cell(c.pr), c.merged_by or NOTHING])
    headers = ["landed", "environment", *(["model"] if with_model else []), "change", "rollout", "author",
               "commit", "PR", "merged by"]
    print_columns("assignments (in the order they landed)", headers, rows)
