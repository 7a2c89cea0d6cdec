"""`charter show REF`: one entry, its references and what refers to it."""

from __future__ import annotations

from typing import Annotated

import typer

from charter.cli.console import ReadFormat, escape, new_table, out, print_json
from charter.registry.untrusted import terminal_text


def run(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="The entry, as kind:name@version (model:NAME for a model family).")],
    output: Annotated[ReadFormat, typer.Option("--format", help="Output format.")] = ReadFormat.text,
) -> None:
    """Show one entry: its fields, the entries it refers to, and the entries that refer to it."""
    from rich.syntax import Syntax

    from charter.api import Registry
    from charter.registry.yamlio import dump_yaml

    detail = Registry(ctx.obj).show(ref)
    if output is ReadFormat.json:
        print_json(detail.to_dict())
        return
    s = detail.summary
    out.print(f"[bold]{escape(s.ref)}[/]  [dim]{escape(s.kind)} · {escape(s.status)} · {escape(s.owner)}[/]")
    out.print(f"[dim]{escape(s.path)}[/]")
    if s.description:
        out.print(escape(s.description, one_line=False))
    out.print()
    out.print(Syntax(terminal_text(dump_yaml({"spec": detail.data.get("spec")})), "yaml", theme="ansi_dark",
                     background_color="default"))
    if detail.versions:
        out.print(f"[bold]versions:[/] {escape(', '.join(detail.versions))}")
    _links("refers to", ["field", "reference"], detail.references)
    _links("used by", ["entry", "field"], detail.used_by)


def _links(title: str, columns: list[str], rows: list[tuple[str, str]]) -> None:
    if not rows:
        return
    table = new_table(title=title, title_justify="left", show_edge=False)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*(escape(cell) for cell in row))
    out.print(table)
