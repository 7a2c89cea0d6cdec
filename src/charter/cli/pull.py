"""`charter pull`: the approved artifact, fetched through DVC and hash-checked, or nothing."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from charter.cli.console import MODEL_HELP, escape, out


def run(
    ctx: typer.Context,
    model: Annotated[str, typer.Argument(help=MODEL_HELP)],
    output: Annotated[str, typer.Option(
        "-o", "--output", help="Where to write the artifact: a file, or a folder (existing, or ending in /).")],
    env: Annotated[str | None, typer.Option("--env", help="Pull what should run in this environment.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file at the output path.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars or messages.")] = False,
) -> None:
    """Fetch a version's artifact from the DVC remote, verify its hash, and write it to the output path."""
    from charter.api import Registry

    registry = Registry(ctx.obj)
    primary = registry.resolve(model, env)[0]
    # a trailing slash means a folder (`-o deploy/`); Path would drop it, so it is passed on as a string
    target = Path(output) if Path(output).is_absolute() else ctx.obj / output
    folder = output.endswith(("/", os.sep))
    written = registry.pull(model, f"{target}{os.sep}" if folder else target, env, force=force,
                            quiet=quiet or not out.is_terminal)
    if not quiet:
        out.print(f"[green]✓[/] {escape(primary.ref)} → {escape(str(written))} "
                  f"(md5 {escape(str(primary.artifact.get('hash', '')))} verified)")
