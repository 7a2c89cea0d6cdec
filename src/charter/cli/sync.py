"""`charter sync`: make serving systems serve what the registry decided (MLflow aliases)."""

from __future__ import annotations

from typing import Annotated

import typer

from charter.cli.console import TableFormat, escape, new_table, out, print_json

app = typer.Typer(
    help="Make serving systems serve what the registry decided.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode="rich",
)


@app.command("mlflow", epilog="Example: MLFLOW_TRACKING_URI=https://mlflow.example.org charter sync mlflow --dry-run")
def mlflow(
    ctx: typer.Context,
    tracking_uri: Annotated[str | None, typer.Option(
        "--tracking-uri", help="The MLflow tracking server or store; default MLFLOW_TRACKING_URI, then "
        "spec.mlflow.trackingUri. The token goes in MLFLOW_TRACKING_TOKEN, never here.")] = None,
    model: Annotated[str | None, typer.Option("--model", help="Only this model (NAME).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the changes; change nothing in MLflow.")] = False,
    output: Annotated[TableFormat, typer.Option("--format", help="Output format.")] = TableFormat.table,
) -> None:
    """Point each MLflow alias of spec.mlflow.aliases at the version its environment resolves to.

    A version MLflow lacks is registered from its DVC artifact (hash-verified) and tagged charter.ref; aliases
    Charter did not decide are removed from governed models unless listed in spec.mlflow.unmanagedAliases.
    Running it again changes nothing. Errors (MLflow unreachable, an artifact that cannot be fetched) exit 2.
    """
    from charter.api import Registry

    plan = Registry(ctx.obj).sync_mlflow(tracking_uri, dry_run=dry_run, model=model)
    if output is TableFormat.json:
        print_json(plan.to_dict())
        return
    verb = "would make" if dry_run else "made"
    if plan.aliases:
        table = new_table("model", "environment", "alias", "from", "to", "action", box=None, pad_edge=False)
        for a in plan.aliases:
            before = _version(a.before, a.before_ref)
            after = _version(a.after, a.after_ref) if a.after_ref else "-"
            action = a.action if not dry_run or a.action == "unchanged" else f"{a.action} (dry run)"
            table.add_row(escape(a.model), escape(a.environment or "-"), escape(a.alias), escape(before),
                          escape(after), action)
        out.print(table)
    for step in plan.versions:
        if step.how == "register":
            done = f"registered as version {step.mlflow_version}" if plan.applied else "to register from DVC"
            out.print(f"  {escape(step.ref)}: {escape(done)}")
        elif step.tag:
            out.print(f"  {escape(step.ref)}: version {step.mlflow_version} of its training run, tagged charter.ref")
    if plan.changes == 0:
        out.print(f"[green]✓[/] MLflow at {escape(plan.tracking_uri)} already serves what was decided: no changes")
    else:
        changes = f"{plan.changes} change{'' if plan.changes == 1 else 's'}"
        out.print(f"[green]✓[/] {verb} {changes} in MLflow at {escape(plan.tracking_uri)}")


def _version(number: str | None, ref: str | None) -> str:
    """`3 (1.1.0)`: the MLflow version and, when known, the Charter version it is."""
    if number is None and ref is None:
        return "-"
    charter = ref.partition("@")[2] if ref else ""
    if number is None:
        return f"new ({charter})"
    return f"{number} ({charter})" if charter else number
