"""`charter resolve`: what should run in an environment, with its artifact and contract."""

from __future__ import annotations

from typing import Annotated

import typer

from charter.cli.console import MODEL_HELP, ReadFormat, escape, out, print_json


def run(
    ctx: typer.Context,
    model: Annotated[str, typer.Argument(help=MODEL_HELP)],
    env: Annotated[str | None, typer.Option("--env", help="The environment, e.g. production.")] = None,
    output: Annotated[ReadFormat, typer.Option("--format", help="Output format.")] = ReadFormat.text,
) -> None:
    """Say what should run: version, rollout, artifact path and hash, contract. The first row is the primary."""
    from charter.api import Registry

    resolutions = Registry(ctx.obj).resolve(model, env)
    if output is ReadFormat.json:
        primary = resolutions[0].to_dict()
        print_json({**primary, "assignments": [r.to_dict() for r in resolutions]})
        return
    first = resolutions[0]
    where = f" in {first.environment}" if first.environment else ""
    out.print(f"[bold]{escape(first.version.name or '')}[/]{escape(where)}")
    for r in resolutions:
        rollout = f"{r.mode} {r.percent:g}%" if r.percent is not None else r.mode
        artifact = r.artifact
        out.print(f"  [bold]{escape(r.ref)}[/]  {escape(rollout)}  [dim]{escape(r.version.status)}[/]")
        out.print(f"    artifact  {escape(str(artifact.get('path', '-')))}  "
                  f"[dim]({escape(str(artifact.get('format', '?')))}, {artifact.get('size', '?')} bytes)[/]")
        out.print(f"    md5       {escape(str(artifact.get('hash', '-')))}")
        out.print(f"    contract  {escape(r.contract or '-')}")
