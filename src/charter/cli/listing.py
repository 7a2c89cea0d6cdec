"""`charter list [KIND]`: a table for people, an array of objects for machines."""

from __future__ import annotations

from typing import Annotated

import typer

from charter.cli.console import TableFormat, out, print_json
from charter.cli.render import entry_table, kind_named
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
    out.print(entry_table(rows, kind=kind is None, extra="path"))
    out.print(f"[dim]{len(rows)} entr{'y' if len(rows) == 1 else 'ies'}[/]")
