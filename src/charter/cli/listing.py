"""`charter list [KIND]`: a table for people, an array of objects for machines."""

from __future__ import annotations

from typing import Annotated

import typer

from charter.cli.console import TableFormat, escape, new_table, out, print_json
from charter.cli.render import kind_named
from charter.errors import UnknownStatus
from charter.registry.kinds import STATUSES


def run(
    ctx: typer.Context,
    kind_name: Annotated[
        str | None,
        typer.Argument(metavar="[KIND]", help="Only this kind: a kind name or prefix, singular or plural "
                                              "(models, events, cohort, ...)."),
    ] = None,
    status: Annotated[
        str | None, typer.Option("--status", help=f"Only entries with this status ({', '.join(STATUSES)}).")
    ] = None,
    output: Annotated[TableFormat, typer.Option("--format", help="Output format.")] = TableFormat.table,
    where: Annotated[
        str | None,
        typer.Option("--where", metavar="EXPR",
                     help="Only entries matching this query, e.g. 'metadata.tags contains sepsis' (docs/query.md)."),
    ] = None,
) -> None:
    """List the registry's entries."""
    from charter.api import Registry

    kind = kind_named(kind_name)
    if status is not None and status not in STATUSES:
        raise UnknownStatus(status=status, known=", ".join(STATUSES))
    rows = Registry(ctx.obj).list(kind, status, where)
    if output is TableFormat.json:
        print_json([r.to_dict() for r in rows])
        return
    table = new_table(show_edge=False)
    table.add_column("reference", no_wrap=True)
    if kind is None:
        table.add_column("kind")
    table.add_column("status")
    table.add_column("owner", overflow="fold")
    table.add_column("path", overflow="fold")
    for r in rows:
        style = {"retired": "dim", "deprecated": "yellow", "draft": "cyan"}.get(r.status, "")
        cells = [escape(r.ref), *([r.kind] if kind is None else []),
                 f"[{style}]{r.status}[/]" if style else r.status, escape(r.owner), escape(r.path)]
        table.add_row(*cells)
    out.print(table)
    out.print(f"[dim]{len(rows)} entr{'y' if len(rows) == 1 else 'ies'}[/]")
