"""`charter monitor`: deploy events and health/outcome reports as records, and a model's performance over time."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from charter.cli.console import ReadFormat, TableFormat, display_path, escape, new_table, out, print_json

app = typer.Typer(
    help="Record what deploy and monitoring systems report, and read a model's performance over time.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode="rich",
)

TYPES_HELP = "deployed, canary-started, rolled-back, incident, health or outcome; default: the file's `type`."


@app.command("record", epilog="Example: charter monitor record model:sepsis-risk@1.0.0 --env production "
             "--file weekly-health.yaml")
def record(
    ctx: typer.Context,
    model: Annotated[str, typer.Argument(help="The model version the record is about: model:NAME@VERSION.")],
    env: Annotated[str, typer.Option("--env", help="The environment the event happened in, e.g. production.")],
    file: Annotated[
        Path, typer.Option("--file", help="YAML or JSON with type, at, reporter and details, health or "
                           "outcomes (with counts: docs/monitoring.md).")
    ],
    record_type: Annotated[str | None, typer.Option("--type", help=TYPES_HELP)] = None,
    reporter: Annotated[
        str | None, typer.Option("--reporter", help="System or person reporting, when the file does not say.")
    ] = None,
    commit: Annotated[
        bool, typer.Option("--commit/--no-commit", help="Commit the record (default) or only write the file.")
    ] = True,
    output: Annotated[ReadFormat, typer.Option("--format", help="Output format.")] = ReadFormat.text,
) -> None:
    """Record a deployment event or a periodic health/outcome report as `records/NAME.yaml`, checked and committed.

    The file may hold the record's `spec` fields alone (model and environment come from the command line; `at`
    defaults to now) or a whole DeploymentRecord. Names sort by time and never collide between parallel writers.
    """
    from charter.authoring.record_deployment import MonitorRequest, record_event
    from charter.cli.render import print_findings
    from charter.errors import InvalidRecord
    from charter.registry.config import find_registry_root

    root = find_registry_root(ctx.obj)
    request = MonitorRequest(model=model, environment=env, file=(Path.cwd() / file).resolve(),
                             record_type=record_type, reporter=reporter, commit=commit)
    try:
        recorded = record_event(root, request)
    except InvalidRecord as error:
        if output is ReadFormat.json:
            print_json({"recorded": False, "message": error.message,
                        "findings": [f.to_dict() for f in error.findings]})
        else:
            print_findings(root, error.findings)
            out.print(f"[red]✗[/] {escape(display_path(root, str(request.file)))}: {escape(error.message)}")
        raise typer.Exit(1) from None
    if output is ReadFormat.json:
        print_json({"recorded": True, "ref": recorded.ref, "path": recorded.path, "commit": recorded.commit,
                    "document": recorded.document, "findings": [f.to_dict() for f in recorded.warnings]})
        return
    print_findings(root, recorded.warnings)
    spec = recorded.document["spec"]
    committed = f" (commit {recorded.commit[:7]})" if recorded.commit else " (not committed)"
    out.print(f"[green]✓[/] recorded {escape(str(spec['type']))} of {escape(str(spec['model']))} in "
              f"{escape(str(spec['environment']))} at {escape(str(spec['at']))}")
    out.print(f"  {escape(recorded.path)}{escape(committed)}")


@app.command("history", epilog="Example: charter monitor history sepsis-risk --metric alertsPerDay")
def history(
    ctx: typer.Context,
    model: Annotated[str, typer.Argument(help="The model family: NAME or model:NAME.")],
    metric: Annotated[
        list[str] | None, typer.Option("--metric", help="Only these metrics (repeatable), e.g. auroc.")
    ] = None,
    env: Annotated[
        str | None, typer.Option("--env", help="Only records from this environment (evaluations are kept).")
    ] = None,
    output: Annotated[TableFormat, typer.Option("--format", help="Output format.")] = TableFormat.table,
) -> None:
    """Show a model's performance across versions and time: evaluation estimates and monitored figures, by date.

    A monitored figure with counts shows them and, beside it, what the version's evaluation expected (✗: outside
    expectation). Exit 1 when the latest report in an environment is outside expectation, as `charter status`.
    """

    from charter.api import Registry
    from charter.cli.render import number, observed_counts, print_outside
    from charter.deployment.expectation import Expectations
    from charter.deployment.model_performance import of_metrics, performance_history
    from charter.deployment.status import compute_status

    registry = Registry(ctx.obj)
    name = model.removeprefix("model:").split("@", 1)[0]
    registry.get(f"model:{name}")  # an unknown model is an error, not an empty history
    index, config = registry.index, registry.config
    points = performance_history(index, name, expectations=Expectations(index, config), subgroups=True)
    points = [p for p in (of_metrics(points, metric, f"model:{name}") if metric else points)
              if env is None or p.environment in (None, env)]
    # the exit code says what status says of this model now: its latest reports, not every past one
    latest = [(row, f.version, c) for row in compute_status(index, config, env).rows if row.model == name
              for f in (row.health, row.outcome) if f is not None and f.expectation is not None
              for c in f.expectation.outside]
    if output is TableFormat.json:
        print_json({"model": f"model:{name}", "withinExpectation": not latest,
                    "points": [p.to_dict() for p in points]})
    elif not points:
        out.print(f"no evaluations or health/outcome records for model:{escape(name)}")
    else:
        table = new_table("date", "version", "metric", "value [95% CI]", "counts", "evaluated", "where", "entry",
                          box=None, pad_edge=False)
        for p in points:
            value = f"{p.value:g}"
            if p.ci_lower is not None and p.ci_upper is not None:
                value += f" [{number(p.ci_lower)}, {number(p.ci_upper)}]"
            where = p.environment or (p.cohort or "").removeprefix("cohort:")
            counts = observed_counts(p.counts.numerator, p.counts.denominator, p.counts.of, short=True) \
                if p.counts else ""
            e = p.expected.evaluated if p.expected is not None else None
            evaluated = "" if p.expected is None else "-" if e is None else \
                f"{number(e.value)} " + ("[red]✗[/]" if p.expected.outside else "✓")
            shown = f"{p.metric} ({p.subgroup})" if p.subgroup else p.metric
            table.add_row(p.date[:16].replace("T", " "), p.version, escape(shown), value, counts, evaluated,
                          escape(where), escape(p.entry))
        out.print(table)
        if latest:
            out.print()
        for row, version, comparison in latest:
            print_outside(row.environment, row.model, version, comparison)
    if latest:
        raise typer.Exit(1)
