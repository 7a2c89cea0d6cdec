"""Lineage: what an entry is built from (upstream) and what is built on it (impact), as a small graph.

Every edge reads "source refers to target": a model version refers to its label event, an evaluation to the
model version it evaluates, an environment to the versions it assigns. Upstream and impact graphs share that
direction, so renderers and readers never have to ask which way an arrow points. Entries come from the
`RegistryIndex`; things outside the registry that a version names (its code commit, its datasets, an
evaluation's data snapshot) become nodes of their own so a reviewer sees the whole chain.
"""

from __future__ import annotations

import difflib
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

from charter.errors import UnknownEntry, UnknownEntryDidYouMean
from charter.registry.documents import Document
from charter.registry.fields import JsonPath, value_at
from charter.registry.index import RegistryIndex
from charter.registry.kinds import KINDS
from charter.registry.references import Reference, parse_reference

#: Kinds an impact graph leaves out unless asked: records observe a version, nothing is built on them.
OBSERVATION_KINDS = frozenset({"DeploymentRecord"})


@dataclass(frozen=True, slots=True)
class LineageNode:
    """One thing in a lineage graph: a registry entry (`kind` is its kind name) or an outside thing
    (`commit`, `dataset`), or an entry that is referred to but missing (`missing`)."""

    ref: str
    kind: str
    label: str


@dataclass(frozen=True, slots=True)
class LineageEdge:
    """`source` refers to `target`; `relation` is the field that says so (`labelEvent`, `parent`, `model`)."""

    source: str
    target: str
    relation: str


@dataclass(frozen=True, slots=True)
class LineageGraph:
    root: str
    nodes: tuple[LineageNode, ...]
    edges: tuple[LineageEdge, ...]

    def node(self, ref: str) -> LineageNode | None:
        return next((n for n in self.nodes if n.ref == ref), None)

    def to_dict(self) -> dict[str, object]:
        return {
            "root": self.root,
            "nodes": [{"ref": n.ref, "kind": n.kind, "label": n.label} for n in self.nodes],
            "edges": [{"source": e.source, "target": e.target, "relation": e.relation} for e in self.edges],
        }


class _Builder:
    """Collects nodes and edges once each, in the order they are found (so output is stable)."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.nodes: dict[str, LineageNode] = {}
        self.edges: dict[tuple[str, str, str], LineageEdge] = {}

    def add_node(self, node: LineageNode) -> bool:
        if node.ref in self.nodes:
            return False
        self.nodes[node.ref] = node
        return True

    def add_edge(self, source: str, target: str, relation: str) -> None:
        self.edges.setdefault((source, target, relation), LineageEdge(source, target, relation))

    def graph(self) -> LineageGraph:
        return LineageGraph(self.root, tuple(self.nodes.values()), tuple(self.edges.values()))


def relation_name(field: JsonPath) -> str:
    """`("spec", "trainingCohorts", 0)` -> `trainingCohorts`; `spec.assignments[1].model` -> `assignments.model`."""
    parts = [str(p) for p in field if not isinstance(p, int)]
    if parts and parts[0] == "spec":
        parts = parts[1:]
    return ".".join(parts) or "reference"


def entry_node(doc: Document) -> LineageNode:
    kind = doc.kind.name if doc.kind is not None else "entry"
    label = str(doc.ref)
    if doc.status != "active":
        label += f" ({doc.status})"
    return LineageNode(str(doc.ref), kind, label)


def _missing_node(ref: str) -> LineageNode:
    return LineageNode(ref, "missing", f"{ref} (missing)")


def find_entry(index: RegistryIndex, ref: str) -> Document:
    """The entry `ref` names, or an error that suggests the closest existing references."""
    reference = parse_reference(ref)
    doc = index.get(reference)
    if doc is not None:
        return doc
    known = [str(d.ref) for d in index.entries()]
    close = difflib.get_close_matches(str(reference), known, n=3, cutoff=0.6)
    if close:
        raise UnknownEntryDidYouMean(ref=reference, close=" or ".join(close))
    raise UnknownEntry(ref=reference)


def _outside_nodes(doc: Document) -> Iterable[tuple[LineageNode, str]]:
    """What a version or evaluation names outside the registry: code commit, datasets, data snapshot."""
    spec = doc.spec
    commit = value_at(spec, ("provenance", "commit"))
    if isinstance(commit, str) and commit:
        repo = value_at(spec, ("provenance", "codeRepo"))
        where = f"{repo}@" if isinstance(repo, str) and repo else ""
        yield LineageNode(f"commit:{commit}", "commit", f"{where}{commit[:12]}"), "provenance.commit"
    datasets = value_at(spec, ("provenance", "datasets"))
    for dataset in datasets if isinstance(datasets, list) else []:
        if not isinstance(dataset, dict) or not isinstance(dataset.get("name"), str):
            continue
        version = dataset.get("version")
        name = f"{dataset['name']}@{version}" if isinstance(version, str) and version else dataset["name"]
        location = dataset.get("uri") or dataset.get("hash")
        label = f"{name} ({location})" if isinstance(location, str) and location else name
        yield LineageNode(f"dataset:{name}", "dataset", label), "provenance.datasets"
    snapshot = value_at(spec, ("dataSnapshot",))
    if isinstance(snapshot, str) and snapshot:
        yield LineageNode(f"dataset:{snapshot}", "dataset", snapshot), "dataSnapshot"


def _family(doc: Document) -> Reference | None:
    if doc.kind is KINDS["ModelVersion"] and doc.name:
        return Reference("model", doc.name)
    return None


def upstream(index: RegistryIndex, ref: str) -> LineageGraph:
    """What `ref` is built from, transitively: event definitions, cohorts, contract, datasets, code commit,
    parent versions, its model family, and (for a model version) the evaluations of it."""
    root = find_entry(index, ref)
    builder = _Builder(str(root.ref))
    builder.add_node(entry_node(root))
    queue: deque[Document] = deque([root])
    while queue:
        doc = queue.popleft()
        source = str(doc.ref)
        for link in index.references_from(doc):
            target = str(link.target)
            found = index.get(link.target)
            if found is None:
                builder.add_node(_missing_node(target))
            elif builder.add_node(entry_node(found)):
                queue.append(found)
            builder.add_edge(source, target, relation_name(link.field))
        family = _family(doc)
        if family is not None:
            family_doc = index.get(family)
            if family_doc is None:
                builder.add_node(_missing_node(str(family)))
            elif builder.add_node(entry_node(family_doc)):
                queue.append(family_doc)
            builder.add_edge(source, str(family), "version-of")
        for node, relation in _outside_nodes(doc):
            builder.add_node(node)
            builder.add_edge(source, node.ref, relation)
        if doc is root and root.kind is KINDS["ModelVersion"]:
            for link in index.dependents(source):
                evaluation = link.source
                if evaluation.kind is KINDS["Evaluation"] and link.field == ("spec", "model"):
                    if builder.add_node(entry_node(evaluation)):
                        queue.append(evaluation)
                    builder.add_edge(str(evaluation.ref), source, relation_name(link.field))
    return builder.graph()


def impact(index: RegistryIndex, ref: str, *, records: bool = False) -> LineageGraph:
    """Everything that depends on `ref`, transitively: model versions, evaluations, contracts, cohorts and
    environments that use it. Deployment records are left out unless `records` is true (they observe a
    version; nothing is built on them)."""
    root = find_entry(index, ref)
    builder = _Builder(str(root.ref))
    builder.add_node(entry_node(root))
    queue: deque[Document] = deque([root])
    while queue:
        doc = queue.popleft()
        target = str(doc.ref)
        dependents = [(link.source, relation_name(link.field)) for link in index.dependents(target)]
        if doc.kind is KINDS["Model"] and doc.name:
            dependents += [(v, "version-of") for v in index.versions(KINDS["ModelVersion"], doc.name)]
        for source, relation in dependents:
            if source.kind is None or (source.kind.name in OBSERVATION_KINDS and not records):
                continue
            if builder.add_node(entry_node(source)):
                queue.append(source)
            builder.add_edge(str(source.ref), target, relation)
    return builder.graph()
