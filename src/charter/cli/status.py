"""`charter status`: what should run where against what deploy systems report, and the latest health figures."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from charter.cli.console import TableFormat, escape, new_table, out, print_json

if TYPE_CHECKING:
    from charter.deployment.status import Figures

#: Exit code when any model is out of sync: a script can tell drift (1) from a usage error (2).
EXIT_DRIFT = 1
HEALTH_SHOWN = ("latencyP99Ms", "errorRate", "scoreDrift", "alertsPerDay")


def _figures(figures: Figures | None, keys: tuple[str, ...] | None = None) -> str:
    if figures is None:
        return "-"
    shown = [f"{k} {v:g}" for k, v in figures.values.items() if keys is None or k in keys]
    age = f" ({figures.age_days:g} d ago)" if figures.age_days is not None else ""
    return f"{', '.join(shown) or 'no figures'}{age}"


def run(
    ctx: typer.Context,
    env: Annotated[str | None, typer.Option("--env", help="Only this environment, e.g. production.")] = None,
    output: Annotated[TableFormat, typer.Option("--format", help="Output format.")] = TableFormat.table,
) -> None:
    """Compare what should run (environment files) with what deploy systems last reported (records/).

    Exit 0 when everything runs as assigned, 1 when anything differs (not deployed yet, another version runs,
    rolled back, running but not assigned), 2 on a usage error such as an unknown environment.
    """

    from charter.api import Registry
    from charter.deployment.status import compute_status

    registry = Registry(ctx.obj)
    report = compute_status(registry.index, registry.config, env)
    if output is TableFormat.json:
        print_json(report.to_dict())
    else:
        table = new_table("environment", "model", "should run", "runs (reported)", "state", "last event",
                          box=None, pad_edge=False)
        for row in report.rows:
            expected = ", ".join(f"{v} {row.expected_modes.get(v, 'full')}" for v in row.expected) or "-"
            colour = "green" if row.in_sync else "red"
            event = f"{row.last_event_type} {row.last_event_at[:10]}" if row.last_event_type and row.last_event_at \
                else "-"
            table.add_row(escape(row.environment), escape(row.model), escape(expected),
                          escape(", ".join(row.running) or "-"), f"[{colour}]{escape(row.state)}[/]", escape(event))
        if report.rows:
            out.print(table)
        figures = [(row, what, f) for row in report.rows
                   for what, f in (("health", row.health), ("outcome", row.outcome)) if f is not None]
        if figures:
            out.print()
        for row, what, found in figures:
            out.print(f"{escape(row.environment)}/{escape(row.model)} {what} of {escape(found.version)}: "
                      f"{escape(_figures(found, HEALTH_SHOWN if what == 'health' else None))}")
        drifted = [row for row in report.rows if not row.in_sync]
        if drifted:
            out.print()
        for row in drifted:
            out.print(f"[red]✗[/] {escape(row.environment)}/{escape(row.model)}: {escape(row.detail)}")
        if not report.rows:
            out.print("nothing is assigned and nothing is reported")
        elif not drifted:
            out.print("[green]✓[/] everything runs as assigned")
    if not report.in_sync:
        raise typer.Exit(EXIT_DRIFT)
