"""`charter init PATH`: a new registry, committed, with a worked example unless --empty."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from charter.cli.console import escape, out


def run(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="Folder to create (must not exist, or be empty).")],
    empty: Annotated[bool, typer.Option("--empty", help="No worked example: configuration only.")] = False,
    remote: Annotated[
        str | None,
        typer.Option("--remote", metavar="URL",
                     help="DVC remote for artifacts (a folder, s3://, gs://, ...); default: a folder beside the "
                          "registry, charter-artifacts/. A relative folder is taken from the current folder and "
                          "written relative to the registry, so clones with the folder beside them find it."),
    ] = None,
    artifacts: Annotated[
        bool, typer.Option("--artifacts/--no-artifacts", help="Set up DVC and push the example's artifacts.")
    ] = True,
) -> None:
    """Create a registry: git repository, registry.yaml, hooks, CI workflows and a worked example."""
    from charter.authoring.create_registry import create_registry
    target = path if path.is_absolute() else ctx.obj / path
    commit = create_registry(target, empty=empty, remote=remote, remote_from=ctx.obj, artifacts=artifacts)
    out.print(f"[green]✓[/] created registry at {escape(str(target))} (commit {commit[:10]})")
    out.print(f"  next: cd {escape(str(path))} && charter validate && charter list")
