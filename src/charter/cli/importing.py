"""`charter import`: bring what another registry holds into Charter, as entries and a reviewed proposal."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from charter.cli.console import ReadFormat, escape, new_table, out, print_json
from charter.cli.render import print_pull_request
from charter.errors import RenameMalformed

if TYPE_CHECKING:
    from charter.authoring.import_mlflow import ImportPlan

app = typer.Typer(
    help="Bring models, versions and their deployment state from another registry into Charter.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode="rich",
)


@app.command("mlflow", epilog="Example: charter import mlflow --tracking-uri https://mlflow.example.org "
             "--model sepsis-risk --dry-run")
def mlflow_command(
    ctx: typer.Context,
    tracking_uri: Annotated[
        str | None, typer.Option("--tracking-uri", help="MLflow tracking URI; default: $MLFLOW_TRACKING_URI.")
    ] = None,
    model: Annotated[
        list[str] | None, typer.Option("--model", help="A registered model to import; repeatable. Default: all.")
    ] = None,
    rename: Annotated[
        list[str] | None,
        typer.Option("--rename", metavar="MLFLOW=CHARTER", help="Import a registered model under another name."),
    ] = None,
    owner: Annotated[
        str | None, typer.Option("--owner", help="Owner of models Charter does not have yet; default: the registry's.")
    ] = None,
    risk_tier: Annotated[
        str, typer.Option("--risk-tier", help="Risk tier of models Charter does not have yet (low ... critical).")
    ] = "low",
    task: Annotated[str, typer.Option("--task", help="Task of models Charter does not have yet.")] = "other",
    event: Annotated[
        str | None, typer.Option("--event", help="Label event of versions of models Charter does not have yet.")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the plan; change nothing.")] = False,
    push: Annotated[bool, typer.Option("--push/--no-push", help="Push artifacts and the proposal branch.")] = True,
    output: Annotated[ReadFormat, typer.Option("--format", help="Output format.")] = ReadFormat.text,
) -> None:
    """Import an MLflow model registry: versions registered from their runs, aliases proposed as a pull request.

    Versions already in Charter (same registered version, same run and model, or tagged by `sync mlflow`) are
    recognised, so a re-run imports only what is new. What can be checked is checked before the first write; then
    models and versions are committed one at a time, so a failure part-way keeps them and a re-run goes on. Exit
    codes: 0 done, 1 a name the naming rules refuse or an entry that would not be valid, 2 usage or environment
    error.
    """
    from charter.api import Registry
    from charter.authoring.import_mlflow import ImportRequest, import_mlflow
    from charter.cli.render import refuse_entry
    from charter.errors import InvalidEntry

    renames = {}
    for item in rename or []:
        old, sep, new = item.partition("=")
        if not sep or not old or not new:
            raise RenameMalformed(given=item)
        renames[old] = new
    registry = Registry(ctx.obj)
    request = ImportRequest(tracking_uri=tracking_uri, models=model or [], renames=renames, dry_run=dry_run,
                            owner=owner, risk_tier=risk_tier, task=task, event=event, push=push,
                            quiet=not out.is_terminal)
    forge, note = (None, None) if dry_run else registry.forge()
    try:
        plan = import_mlflow(registry.root, request, forge=forge, forge_note=note)
    except InvalidEntry as error:
        raise refuse_entry(registry.root, error, output is ReadFormat.json, "imported") from None
    if output is ReadFormat.json:
        print_json(plan.to_dict())
        return
    _print_plan(plan, dry_run)


def _print_plan(plan: ImportPlan, dry_run: bool) -> None:
    out.print(f"MLflow at {escape(plan.tracking_uri)}: {len(plan.versions)} version(s) of "
              f"{len({v.mlflow_name for v in plan.versions})} registered model(s)")
    if plan.new_models:
        out.print(f"  new models: {escape(', '.join(plan.new_models))}")
    # References are never cut short (they are what a reader copies): at 80 columns a cell folds instead.
    versions = new_table("MLflow version", "action", "Charter version")
    for v in plan.versions:
        action = f"{v.action} ({v.note})" if v.note else v.action
        versions.add_row(escape(f"{v.mlflow_name} v{v.mlflow_version}"), action, escape(v.ref or "-"))
    assignments = new_table("environment", "MLflow", "Charter version", "assigned now")
    for a in plan.assignments:
        assignments.add_row(a.environment, escape(f"{a.model} {a.source} → v{a.mlflow_version}"),
                            escape(a.ref or "-"), escape(a.current or "-"))
    for table, rows in ((versions, plan.versions), (assignments, plan.assignments)):
        for column in table.columns:
            column.overflow = "fold"
        if rows:
            out.print(table)
    registered = sum(1 for v in plan.versions if v.action == "register")
    if dry_run:
        out.print(f"would register {registered} version(s) and propose {len(plan.changes)} assignment(s)")
    else:
        out.print(f"registered {registered} version(s); proposed {len(plan.changes)} assignment(s)")
    if plan.pending_branch:
        out.print(f"  the aliases were proposed today already, on branch {escape(plan.pending_branch)}: merge or "
                  "close it, then run the import again to propose what changed since")
    if plan.proposal is not None:
        print_pull_request(plan.proposal)
