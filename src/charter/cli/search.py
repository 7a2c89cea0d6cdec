"""`charter search QUERY`: matching entries and facet counts, as a table for people or JSON for machines."""

from __future__ import annotations

from typing import Annotated

import typer

from charter.cli.console import TableFormat, escape, out, print_json
from charter.cli.render import entry_table, kind_named

#: How many values of each facet the table shows (JSON has them all).
FACET_VALUES_SHOWN = 8


def run(
    ctx: typer.Context,
    query: Annotated[
        str,
        typer.Argument(metavar="QUERY",
                       help="The query, e.g. 'sepsis AND spec.metrics.auroc >= 0.8 AND env = production' "
                            "(see docs/query.md); '' matches everything."),
    ],
    kind_name: Annotated[
        str | None,
        typer.Option("--kind", help="Only this kind: a kind name or prefix, singular or plural "
                                    "(model, events, evaluation, ...)."),
    ] = None,
    output: Annotated[TableFormat, typer.Option("--format", help="Output format.")] = TableFormat.table,
    limit: Annotated[
        int, typer.Option("--limit", min=0, help="Show at most N entries (0: all); totals and facets count all.")
    ] = 50,
    facets: Annotated[
        bool, typer.Option("--facets/--no-facets", help="Count the matches by kind, owner, tag and status.")
    ] = True,
) -> None:
    """Find entries with a query: AND, OR, NOT, field comparisons, dates, environments and free text."""
    from charter.api import Registry

    result = Registry(ctx.obj).search(query, kind_named(kind_name), limit=limit, facets=facets)
    if output is TableFormat.json:
        print_json(result.to_dict())
        return
    if result.entries:
        out.print(entry_table(result.entries, kind=True, extra="description"))
    shown = len(result.entries)
    noun = "entry" if result.total == 1 else "entries"
    counted = f"{result.total} {noun}" if shown == result.total else f"{shown} of {result.total} {noun} (--limit)"
    out.print(f"[dim]{counted} match[/]" if result.total != 1 else f"[dim]{counted} matches[/]")
    for name, counts in result.facets.items():
        if not counts:
            continue
        values = ", ".join(f"{escape(value)} {count}" for value, count in counts[:FACET_VALUES_SHOWN])
        more = f", … {len(counts) - FACET_VALUES_SHOWN} more" if len(counts) > FACET_VALUES_SHOWN else ""
        out.print(f"[bold]{name}[/]: {values}{more}")
