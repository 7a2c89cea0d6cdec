"""`charter report -o DIR`: write the registry as a static HTML site."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from charter.cli.console import ReadFormat, escape, out, print_json


def run(
    ctx: typer.Context,
    output: Annotated[
        Path,
        typer.Option("-o", "--output", help="Folder to write the site to, outside the registry; created, or "
                                            "replaced if it holds an earlier report.", metavar="DIR"),
    ],
    title: Annotated[
        str | None, typer.Option("--title", help="Title shown on every page (default: the registry's name).")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace DIR even if it is not empty and holds no earlier report.")
    ] = False,
    fmt: Annotated[ReadFormat, typer.Option("--format", help="Output format of the summary.")] = ReadFormat.text,
) -> None:
    """Write a self-contained HTML site of the registry: a catalog with filters, a page per model (versions,
    where each runs, performance over versions and time, threshold curves, subgroups, lineage, evaluations,
    promotion history) and a page per contract, event definition, cohort, evaluation, environment and record.
    It needs no server and makes no network request: open DIR/index.html or publish DIR as pages."""
    from charter.registry.config import find_registry_root
    from charter.report import build_report

    root = find_registry_root(ctx.obj)
    target = output if output.is_absolute() else Path(ctx.obj) / output
    summary = build_report(root, target, title=title, force=force)
    if fmt is ReadFormat.json:
        print_json(summary.to_dict())
        return
    count = len(summary.pages)
    out.print(f"wrote {count} page{'s' * (count != 1)} to {escape(str(output))}")
    out.print(f"open {escape(str(output / 'index.html'))}")
