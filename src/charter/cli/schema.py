"""`charter schema [KIND]`: the self-contained JSON Schema of a kind, or the list of kinds."""

from __future__ import annotations

from typing import Annotated

import typer

from charter.cli.console import TableFormat, new_table, out, print_json
from charter.errors import UnknownKind
from charter.registry.kinds import REGISTRY_KIND, find_kind


def run(
    kind_name: Annotated[
        str | None, typer.Argument(metavar="[KIND]", help="The kind whose schema to print (e.g. Contract).")
    ] = None,
    output: Annotated[TableFormat, typer.Option("--format", help="Format of the kind list.")] = TableFormat.table,
) -> None:
    """Print a kind's JSON Schema (shared definitions bundled), usable as is by other tools and editors."""
    from charter.registry.schemas import bundled_schema, schema_kinds
    if kind_name is None:
        rows = [{"kind": k.name, "prefix": k.prefix, "versioned": k.versioned,
                 "path": k.relative_path("NAME", "VERSION") if k is not REGISTRY_KIND else "registry.yaml",
                 "schema": k.schema_file} for k in schema_kinds()]
        if output is TableFormat.json:
            print_json(rows)
            return
        table = new_table(show_edge=False)
        for column in ("kind", "prefix", "versioned", "path"):
            table.add_column(column)
        for row in rows:
            table.add_row(str(row["kind"]), str(row["prefix"]), "yes" if row["versioned"] else "no",
                          str(row["path"]))
        out.print(table)
        return
    kind = REGISTRY_KIND if kind_name.lower() == "registry" else find_kind(kind_name)
    if kind is None:
        raise UnknownKind(kind=kind_name, known=", ".join(k.name for k in schema_kinds()))
    print_json(bundled_schema(kind))
