"""`charter status`: what should run where against what deploy systems report, and the latest health figures held
against what the evaluation expected."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from charter.cli.console import TableFormat, escape, new_table, out, print_json

if TYPE_CHECKING:
    from charter.deployment.status import Figures, ModelStatus

#: Exit code when any model is out of sync or a monitored figure is outside expectation: a script can tell these
#: (1) from a usage error (2).
EXIT_DRIFT = 1
HEALTH_SHOWN = ("latencyP99Ms", "errorRate", "scoreDrift", "alertsPerDay")


def _figures(figures: Figures | None, keys: tuple[str, ...] | None = None) -> str:
    if figures is None:
        return "-"
    shown = [f"{k} {v:g}" for k, v in figures.values.items() if keys is None or k in keys]
    age = f" ({figures.age_days:g} d ago)" if figures.age_days is not None else ""
    return f"{', '.join(shown) or 'no figures'}{age}"


def _expectation_block(row: ModelStatus, what: str, figures: Figures) -> None:
    """A report's figures against the evaluation, one line each: observed [95% CI], counts, evaluated [95% CI].

    Plain aligned lines rather than a rich table: a table squeezed into 80 columns breaks every interval in two.
    """
    from charter.cli.render import FIGURE_NAMES, observed_counts, with_interval

    expectation = figures.expectation
    if expectation is None or not expectation.comparisons:
        return
    days = f" over {figures.period_days:.3g} d" if figures.period_days is not None else ""
    out.print(f"{escape(row.environment)}/{escape(row.model)} {what} of {escape(figures.version)}{days} against")
    if expectation.evaluation is None:
        out.print(f"  no evaluation of {escape(figures.version)} with an operating threshold: nothing to expect")
        return
    out.print(f"{escape(expectation.evaluation)} at threshold {expectation.threshold:g}:")
    lines: list[tuple[str | None, list[str]]] = []  # (subgroup heading, cells) in order
    for c in expectation.comparisons:
        o, e = c.observed, c.evaluated
        mark = "-" if e is None else "✗" if c.outside else "✓"
        lines.append((c.subgroup, [mark, FIGURE_NAMES.get(c.figure, c.figure),
                                   with_interval(o.value, o.lower, o.upper),
                                   observed_counts(o.numerator, o.denominator, o.of, short=True),
                                   with_interval(e.value, e.lower, e.upper) if e else "-"]))
    header = ["", "", "observed [95% CI]", "counts", "evaluated [95% CI]"]
    widths = [max(len(cells[i]) for cells in [header] + [c for _, c in lines]) for i in range(len(header))]

    def aligned(cells: list[str]) -> str:
        first = f"{cells[0]:1} {cells[1].ljust(widths[1])}"  # the mark beside the figure's name
        return "  " + "  ".join([first, *(c.ljust(w) for c, w in zip(cells[2:-1], widths[2:-1], strict=True)),
                                 cells[-1]])

    out.print(escape(aligned(header).rstrip()))
    heading: str | None = None
    for subgroup, cells in lines:
        if subgroup is not None and subgroup != heading:
            heading = subgroup
            out.print(f"  {escape(subgroup)}:")
        colour = "green" if cells[0] == "✓" else "red" if cells[0] == "✗" else "dim"
        text = escape(aligned(cells))
        out.print(f"[{colour}]{text[:3]}[/]{text[3:]}")


def run(
    ctx: typer.Context,
    env: Annotated[str | None, typer.Option("--env", help="Only this environment, e.g. production.")] = None,
    output: Annotated[TableFormat, typer.Option("--format", help="Output format.")] = TableFormat.table,
) -> None:
    """Compare what should run (environment files) with what deploy systems last reported (records/), and the
    latest monitored figures with what the version's evaluation expected.

    Exit 0 when everything runs as assigned and every monitored figure is within expectation, 1 when anything
    differs (not deployed yet, another version runs, rolled back, running but not assigned) or a figure is outside
    expectation, 2 on a usage error such as an unknown environment.
    """

    from charter.api import Registry
    from charter.deployment.status import compute_status

    registry = Registry(ctx.obj)
    report = compute_status(registry.index, registry.config, env)
    if output is TableFormat.json:
        print_json(report.to_dict())
    else:
        from charter.cli.render import print_outside

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
        for row, what, found in figures:
            if found.expectation is not None and found.expectation.comparisons:
                out.print()
                _expectation_block(row, what, found)
        drifted = [row for row in report.rows if not row.in_sync]
        outside = [(row, f.version, c) for row, _, f in figures if f.expectation is not None
                   for c in f.expectation.outside]
        compared = [f.expectation for _, _, f in figures if f.expectation is not None and f.expectation.comparisons]
        if drifted or outside or compared:
            out.print()
        for row in drifted:
            out.print(f"[red]✗[/] {escape(row.environment)}/{escape(row.model)}: {escape(row.detail)}")
        for row, version, comparison in outside:
            print_outside(row.environment, row.model, version, comparison)
        if not report.rows:
            out.print("nothing is assigned and nothing is reported")
        elif not drifted:
            out.print("[green]✓[/] everything runs as assigned")
        if not outside and any(e.evaluation is not None and any(c.evaluated is not None for c in e.comparisons)
                               for e in compared):
            out.print("[green]✓[/] every monitored figure is within expectation")
    if not report.ok:
        raise typer.Exit(EXIT_DRIFT)
