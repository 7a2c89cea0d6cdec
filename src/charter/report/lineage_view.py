"""A lineage graph drawn as SVG: the entry in the first column, then what it uses, one column per step away.

Drawn here rather than by Mermaid because Mermaid is a JavaScript bundle from npm, and the report must install from
PyPI alone and render with scripts blocked. Nodes that have a page are links to it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from html import escape
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from charter.registry.lineage import LineageGraph

BOX_W, BOX_H, COLUMN_GAP, ROW_GAP, PAD = 220, 38, 60, 12, 10
#: Kind names (and the outside things lineage adds) to a CSS class and the word shown above the label.
KIND_STYLES = {
    "Model": ("model", "model"), "ModelVersion": ("model", "model version"),
    "EventDefinition": ("event", "event definition"), "Cohort": ("cohort", "cohort"),
    "Contract": ("contract", "contract"), "Evaluation": ("evaluation", "evaluation"),
    "Environment": ("environment", "environment"), "DeploymentRecord": ("record", "deployment record"),
    "commit": ("outside", "code commit"), "dataset": ("outside", "dataset"), "missing": ("missing", "missing"),
}


def _esc(value: object) -> str:
    return escape(str(value), quote=True)


def _short(text: str, limit: int = 32) -> str:
    """Long labels lose their middle: the start says what it is, the end which version or commit."""
    return text if len(text) <= limit else text[: limit // 2 - 1] + "…" + text[-(limit // 2):]


def _layers(graph: LineageGraph) -> dict[str, int]:
    """A column per node: every edge points right (a node sits right of everything that refers to it).

    Longest-path layering from the root along edges; nodes that refer to the root (an evaluation of the version)
    sit left of it. The relaxation stops after as many rounds as there are nodes, so a cycle cannot hang it.
    """
    layer = {graph.root: 0}
    for _ in range(len(graph.nodes) + 1):
        changed = False
        for edge in graph.edges:
            if edge.source in layer and layer.get(edge.target, -1) < layer[edge.source] + 1 \
                    and edge.target != graph.root:
                layer[edge.target] = layer[edge.source] + 1
                changed = True
            elif edge.target in layer and edge.source not in layer:
                layer[edge.source] = layer[edge.target] - 1
                changed = True
        if not changed:
            break
    for node in graph.nodes:
        layer.setdefault(node.ref, max(layer.values(), default=0) + 1)
    lowest = min(layer.values())
    return {ref: value - lowest for ref, value in layer.items()}


def _columns(graph: LineageGraph) -> list[list[str]]:
    """Nodes by column, each column ordered by where its neighbours sit (fewer crossing edges)."""
    layer = _layers(graph)
    kinds = {n.ref: n.kind for n in graph.nodes}
    columns: list[list[str]] = [[] for _ in range(max(layer.values()) + 1)]
    for ref in sorted(layer, key=lambda r: (kinds.get(r, ""), r)):
        columns[layer[ref]].append(ref)
    neighbours: dict[str, list[str]] = defaultdict(list)
    for edge in graph.edges:
        neighbours[edge.source].append(edge.target)
        neighbours[edge.target].append(edge.source)
    position = {ref: i for column in columns for i, ref in enumerate(column)}

    def centre(ref: str) -> float:
        placed = [position[n] for n in neighbours[ref] if layer.get(n) == layer[ref] - 1]
        return sum(placed) / len(placed) if placed else position[ref]

    for _ in range(2):
        for column in columns[1:]:
            column.sort(key=centre)
            position.update({ref: j for j, ref in enumerate(column)})
    return columns


def lineage_svg(graph: LineageGraph, href: Callable[[str], str | None], graph_id: str) -> str:
    """The graph as SVG markup; `href` gives the page of a reference (None: no page), `graph_id` keeps ids unique."""
    columns = _columns(graph)
    nodes = {n.ref: n for n in graph.nodes}
    rows = max(len(c) for c in columns)
    width = PAD * 2 + len(columns) * BOX_W + (len(columns) - 1) * COLUMN_GAP
    height = PAD * 2 + rows * BOX_H + (rows - 1) * ROW_GAP
    place: dict[str, tuple[float, float]] = {}
    for i, column in enumerate(columns):
        offset = (height - (len(column) * BOX_H + (len(column) - 1) * ROW_GAP)) / 2
        for j, ref in enumerate(column):
            place[ref] = (PAD + i * (BOX_W + COLUMN_GAP), offset + j * (BOX_H + ROW_GAP))
    arrow = f"arrow-{_esc(graph_id)}"
    body = [f'<defs><marker id="{arrow}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
            f'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="arrowhead"/></marker></defs>']
    for edge in graph.edges:
        if edge.source not in place or edge.target not in place:
            continue
        (sx, sy), (tx, ty) = place[edge.source], place[edge.target]
        if sx < tx:
            x1, x2 = sx + BOX_W, tx
        elif sx > tx:
            x1, x2 = sx, tx + BOX_W
        else:
            x1, x2 = sx + BOX_W, tx + BOX_W
        y1, y2 = sy + BOX_H / 2, ty + BOX_H / 2
        bend = (x2 - x1) / 2 if x1 != x2 else 40
        body.append(f'<path class="edge" d="M{x1:.0f},{y1:.0f} C{x1 + bend:.0f},{y1:.0f} {x2 - bend:.0f},{y2:.0f} '
                    f'{x2:.0f},{y2:.0f}" marker-end="url(#{arrow})"><title>{_esc(edge.source)} '
                    f"{_esc(edge.relation)} {_esc(edge.target)}</title></path>")
    for ref, (x, y) in place.items():
        node = nodes.get(ref)
        kind = node.kind if node is not None else ""
        label = node.label if node is not None and node.label else ref
        prefix = ref.split(":", 1)[0] + ":"
        shown = label.removeprefix(prefix)  # the kind is written above the label
        css, word = KIND_STYLES.get(kind, ("other", kind))
        root = " root" if ref == graph.root else ""
        box = (f'<g class="node {css}{root}"><rect x="{x:.0f}" y="{y:.0f}" width="{BOX_W}" height="{BOX_H}" rx="5"/>'
               f'<text x="{x + 8:.0f}" y="{y + 15:.0f}" class="node-kind">{_esc(word)}</text>'
               f'<text x="{x + 8:.0f}" y="{y + 30:.0f}" class="node-label">{_esc(_short(shown))}</text>'
               f"<title>{_esc(label)}</title></g>")
        target = href(ref)
        body.append(f'<a href="{_esc(target)}">{box}</a>' if target else box)
    return (f'<svg class="lineage" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height:.0f}" '
            f'width="{width}" height="{height:.0f}" role="img" aria-label="lineage of {_esc(graph.root)}">'
            f"{''.join(body)}</svg>")
