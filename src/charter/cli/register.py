"""`charter register`: a training run's artifact and metrics become a new model version, in one commit."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from charter.cli.console import ReadFormat, escape, out, print_json


def run(
    ctx: typer.Context,
    model: Annotated[str, typer.Argument(help="The model (family) the new version belongs to.")],
    artifact: Annotated[
        Path | None, typer.Option("--artifact", help="The trained model: a file or a folder.")
    ] = None,
    version: Annotated[
        str | None, typer.Option("--version", help="Semver; default: next minor after the latest.")
    ] = None,
    metrics: Annotated[
        list[Path] | None, typer.Option("--metrics", help="Metrics file (JSON/YAML, nested ok); repeatable.")
    ] = None,
    params: Annotated[
        list[Path] | None,
        typer.Option("--params", help="Params file (JSON/YAML); repeatable. Default: dvc.yaml's params."),
    ] = None,
    event: Annotated[str | None, typer.Option("--event", help="Label event definition, event:NAME@VERSION.")] = None,
    cohort: Annotated[
        list[str] | None, typer.Option("--cohort", help="Training cohort, cohort:NAME@VERSION; repeatable.")
    ] = None,
    validation_cohort: Annotated[
        list[str] | None, typer.Option("--validation-cohort", help="Validation cohort; repeatable.")
    ] = None,
    contract: Annotated[str | None, typer.Option("--contract", help="Serving contract, contract:NAME@VERSION.")] = None,
    parent: Annotated[
        str | None, typer.Option("--parent", help="Parent version; default: the latest released one.")
    ] = None,
    message: Annotated[
        str | None, typer.Option("--message", "-m", help="What changed and why (notes and commit message).")
    ] = None,
    code_repo: Annotated[
        Path | None, typer.Option("--code-repo", help="The training code's git repository; default: the current one.")
    ] = None,
    entry_point: Annotated[
        str | None, typer.Option("--entry-point", help="The command that trained the model.")
    ] = None,
    started_at: Annotated[
        str | None, typer.Option("--started-at", help="When training started (ISO 8601 with zone).")
    ] = None,
    finished_at: Annotated[
        str | None, typer.Option("--finished-at", help="When training finished (ISO 8601 with zone).")
    ] = None,
    artifact_format: Annotated[
        str | None, typer.Option("--artifact-format", help="onnx, pickle, ...; default: from the file name.")
    ] = None,
    draft: Annotated[
        bool, typer.Option("--draft", help="Register as a draft (not assignable until released).")
    ] = False,
    push: Annotated[bool, typer.Option("--push/--no-push", help="Push the artifact to the DVC remote.")] = True,
    mlflow_run: Annotated[
        str | None,
        typer.Option("--mlflow-run", help="Register the model an MLflow run logged (instead of --artifact)."),
    ] = None,
    tracking_uri: Annotated[
        str | None, typer.Option("--tracking-uri", help="MLflow tracking URI; default: $MLFLOW_TRACKING_URI.")
    ] = None,
    mlflow_model: Annotated[
        str | None, typer.Option("--mlflow-model", help="Which logged model, when the run logged several.")
    ] = None,
    contract_from_signature: Annotated[
        bool,
        typer.Option("--contract-from-signature",
                     help="Draft the contract's input from the model's signature, if none carries over."),
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars or messages.")] = False,
    output: Annotated[ReadFormat, typer.Option("--format", help="Output format.")] = ReadFormat.text,
) -> None:
    """Register a trained model as a new version: artifact through DVC, provenance captured, one git commit.

    From an MLflow run (--mlflow-run), the logged model is downloaded through MLflow and its params, metrics, source
    and datasets recorded. References not given (event, cohorts, contract) carry over from the parent version.
    Paths (artifact, metrics, params, code repository) are read from where the command runs; `-C` only says where
    the registry is.
    """
    from charter.api import Registry
    from charter.authoring.register import Registration
    from charter.cli.render import refuse_entry
    from charter.errors import InvalidEntry

    here = Path.cwd()  # training output and code are where the command runs; -C only finds the registry
    registry = Registry(ctx.obj)
    request = Registration(
        model=model,
        artifact=None if artifact is None else here / artifact,
        version=version,
        metrics=[here / m for m in metrics or []],
        params=[here / p for p in params or []],
        event=event,
        cohorts=cohort or [],
        validation_cohorts=validation_cohort or [],
        contract=contract,
        parent=parent,
        message=message,
        code_repo=None if code_repo is None else here / code_repo,
        entry_point=entry_point,
        started_at=started_at,
        finished_at=finished_at,
        artifact_format=artifact_format,
        draft=draft,
        push=push,
        quiet=quiet or not out.is_terminal,
        mlflow_run=mlflow_run,
        tracking_uri=tracking_uri,
        mlflow_model=mlflow_model,
        contract_from_signature=contract_from_signature,
    )
    try:
        ref = registry.register_request(request)
    except InvalidEntry as error:
        raise refuse_entry(registry.root, error, output is ReadFormat.json, "registered") from None
    detail = registry.show(str(ref))
    if output is ReadFormat.json:
        print_json(detail.to_dict())
    elif not quiet:
        artifact_info = detail.data["spec"]["artifact"]
        out.print(f"[green]✓[/] registered {escape(str(ref))} ({escape(detail.summary.path)})")
        out.print(
            f"  artifact {escape(artifact_info['path'])} md5 {escape(artifact_info['hash'])}"
            f"{'' if push else ' (not pushed)'}"
        )
