"""`charter lineage REF`: what an entry is built from, or with `--impact` what is built on it."""

from __future__ import annotations

from collections import defaultdict, deque
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from charter.cli.console import escape, out, print_json
from charter.errors import RecordsWithoutImpact

if TYPE_CHECKING:
    from rich.tree import Tree

    from charter.registry.lineage import LineageEdge, LineageGraph, LineageNode


class LineageFormat(StrEnum):
    tree = "tree"
    json = "json"
    mermaid = "mermaid"
    dot = "dot"


def _label(nodes: dict[str, LineageNode], ref: str) -> str:
    node = nodes.get(ref)
    kind = f" [dim]{escape(node.kind)}[/]" if node is not None else ""
    return f"{escape(node.label if node is not None else ref)}{kind}"


def build_tree(graph: LineageGraph) -> Tree:
    """The graph as a tree from its root; an entry reached twice is shown once, later mentions say so."""
    from rich.tree import Tree

    nodes = {n.ref: n for n in graph.nodes}
    touching: dict[str, list[LineageEdge]] = defaultdict(list)
    for edge in graph.edges:
        if edge.source != edge.target:
            touching[edge.source].append(edge)
            touching[edge.target].append(edge)
    root = Tree(f"[bold]{_label(nodes, graph.root)}[/]")
    shown = {graph.root}
    queue: deque[tuple[str, str | None, Tree]] = deque([(graph.root, None, root)])
    while queue:
        ref, parent, branch = queue.popleft()
        for edge in touching[ref]:
            other = edge.target if edge.source == ref else edge.source
            if other == parent:  # the edge this branch was reached by
                continue
            arrow = f"{escape(edge.relation)} →" if edge.source == ref else f"← {escape(edge.relation)}"
            if other in shown:
                if edge.source == ref:  # a second path to something already shown: name it, do not repeat it
                    branch.add(f"[dim]{arrow}[/] {escape(other)} [dim](see its branch)[/]")
                continue
            shown.add(other)
            queue.append((other, ref, branch.add(f"[dim]{arrow}[/] {_label(nodes, other)}")))
    return root


def run(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="An entry: model:NAME@VERSION, event:NAME@VERSION, cohort:..., ...")],
    impact: Annotated[
        bool, typer.Option("--impact", help="Show what depends on REF instead of what REF is built from.")
    ] = False,
    records: Annotated[
        bool, typer.Option("--records", help="With --impact, include deployment and monitoring records.")
    ] = False,
    output: Annotated[
        LineageFormat, typer.Option("--format", help="Output format: a tree, JSON, or Mermaid or Graphviz DOT text.")
    ] = LineageFormat.tree,
) -> None:
    """Show lineage: a version's event definition, cohorts, contract, datasets, code commit, parent and evaluations,
    transitively; with `--impact`, every version, evaluation, contract and environment that uses REF."""
    from charter.api import Registry
    from charter.registry.lineage import impact as impact_graph
    from charter.registry.lineage import upstream

    if records and not impact:
        raise RecordsWithoutImpact()
    index = Registry(ctx.obj).index
    graph = impact_graph(index, ref, records=records) if impact else upstream(index, ref)
    if output is LineageFormat.json:
        print_json({"direction": "impact" if impact else "upstream", **graph.to_dict()})
    elif output is LineageFormat.mermaid:
        print(to_mermaid(graph), end="")
    elif output is LineageFormat.dot:
        print(to_dot(graph), end="")
    else:
        out.print(build_tree(graph))
        what = "depend on it" if impact else "upstream (and its evaluations)"
        out.print(f"[dim]{len(graph.nodes) - 1} entries {what}; edges read: source → refers to → target[/]")


# -- text formats for other tools (Mermaid in Markdown, Graphviz) -------------------------------------------------


def _mermaid_text(text: str) -> str:
    """Mermaid's entity codes for the characters that would end or break a quoted label."""
    replacements = {"#": "#35;", '"': "#quot;", "<": "#lt;", ">": "#gt;", "`": "#96;", "\n": " ", "\r": " "}
    return "".join(replacements.get(ch, ch) for ch in text)


def to_mermaid(graph: LineageGraph) -> str:
    """A Mermaid flowchart. Node ids are generated (`n0`, `n1`, ...) so no reference syntax can break them."""
    ids = {node.ref: f"n{i}" for i, node in enumerate(graph.nodes)}
    lines = ["flowchart LR"]
    for node in graph.nodes:
        lines.append(f'    {ids[node.ref]}["{_mermaid_text(node.label)}"]')
    for edge in graph.edges:
        lines.append(f'    {ids[edge.source]} -->|"{_mermaid_text(edge.relation)}"| {ids[edge.target]}')
    if graph.root in ids:
        lines.append("    classDef root stroke-width:3px")
        lines.append(f"    class {ids[graph.root]} root")
    return "\n".join(lines) + "\n"


def _dot_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "")
    return f'"{escaped}"'


_DOT_SHAPES = {"commit": "note", "dataset": "cylinder", "missing": "octagon", "Environment": "component"}


def to_dot(graph: LineageGraph) -> str:
    """A Graphviz digraph; ids are the quoted references, labels quoted and escaped."""
    lines = ["digraph lineage {", "    rankdir=LR;", "    node [shape=box];"]
    for node in graph.nodes:
        attributes = [f"label={_dot_string(node.label)}", f"tooltip={_dot_string(node.kind)}"]
        shape = _DOT_SHAPES.get(node.kind)
        if shape:
            attributes.append(f"shape={shape}")
        if node.ref == graph.root:
            attributes.append("penwidth=2")
        lines.append(f"    {_dot_string(node.ref)} [{', '.join(attributes)}];")
    for edge in graph.edges:
        lines.append(f"    {_dot_string(edge.source)} -> {_dot_string(edge.target)} "
                     f"[label={_dot_string(edge.relation)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"
