"""`charter lineage`: upstream and impact graphs from the real example registry, in every output format."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from charter import Registry
from charter.cli.lineage import to_dot, to_mermaid
from charter.errors import CharterError
from charter.registry.lineage import LineageEdge, LineageGraph, LineageNode, impact, upstream
from tests.conftest import Charter


def edges(graph: LineageGraph) -> set[tuple[str, str, str]]:
    return {(e.source, e.target, e.relation) for e in graph.edges}


def test_upstream_of_a_model_version(registry: Path) -> None:
    graph = upstream(Registry(registry).index, "model:sepsis-risk@1.1.0")
    found = edges(graph)
    root = "model:sepsis-risk@1.1.0"
    assert graph.root == root
    assert (root, "event:sepsis-onset@2.0.0", "labelEvent") in found
    assert (root, "cohort:sepsis-adult-inpatients-train@1.0.0", "trainingCohorts") in found
    assert (root, "contract:sepsis-risk-serving@1.0.0", "contract") in found
    assert (root, "model:sepsis-risk@1.0.0", "parent") in found
    assert (root, "model:sepsis-risk", "version-of") in found
    assert ("evaluation:sepsis-risk-1-1-0-retro@1.0.0", root, "model") in found
    # transitively: the parent's own commit, the cohort's label event
    assert ("model:sepsis-risk@1.0.0", "event:sepsis-onset@2.0.0", "labelEvent") in found
    assert ("cohort:sepsis-adult-inpatients-train@1.0.0", "event:sepsis-onset@2.0.0", "labelEvent") in found
    kinds = {n.kind for n in graph.nodes}
    assert {"commit", "dataset", "ModelVersion", "EventDefinition", "Cohort", "Contract", "Evaluation"} <= kinds
    commit = next(n for n in graph.nodes if n.kind == "commit" and any(e.source == root and e.target == n.ref
                                                                       for e in graph.edges))
    assert commit.ref == "commit:2df49cf8f997fb8bf62027722d2db1f364a9c7dc"
    assert "environment:production" not in {n.ref for n in graph.nodes}  # environments are downstream


def test_impact_of_an_event_definition(registry: Path) -> None:
    graph = impact(Registry(registry).index, "event:sepsis-onset@2.0.0")
    refs = {n.ref for n in graph.nodes}
    assert {"model:sepsis-risk@1.0.0", "model:sepsis-risk@1.1.0", "evaluation:sepsis-risk-1-0-0-retro@1.0.0",
            "cohort:sepsis-adult-inpatients-eval@1.0.0", "environment:production", "environment:staging"} <= refs
    assert not any(r.startswith(("record:", "model:card-fraud")) for r in refs)
    assert ("environment:production", "model:sepsis-risk@1.0.0", "assignments.model") in edges(graph)
    with_records = impact(Registry(registry).index, "event:sepsis-onset@2.0.0", records=True)
    assert any(n.kind == "DeploymentRecord" for n in with_records.nodes)


def test_impact_of_a_model_family_reaches_its_versions(registry: Path) -> None:
    graph = impact(Registry(registry).index, "model:card-fraud")
    found = edges(graph)
    assert ("model:card-fraud@3.3.0", "model:card-fraud", "version-of") in found
    assert ("contract:card-fraud-scoring@1.0.0", "model:card-fraud", "model") in found
    assert "environment:dev" in {n.ref for n in graph.nodes}


def _declared(text: str, pattern: str) -> set[str]:
    return set(re.findall(pattern, text, flags=re.M))


def test_mermaid_declares_every_edge_endpoint_and_escapes_labels() -> None:
    graph = LineageGraph("a", (LineageNode("a", "Cohort", 'say "hi" <b>#1</b> `md`'), LineageNode("b", "x", "b")),
                         (LineageEdge("a", "b", 'odd "relation"'),))
    text = to_mermaid(graph)
    assert text.startswith("flowchart LR\n")
    declared = _declared(text, r'^    (n\d+)\["[^"]*"\]$')
    used = re.findall(r'^    (n\d+) -->\|"[^"]*"\| (n\d+)$', text, flags=re.M)
    assert declared == {"n0", "n1"} and used == [("n0", "n1")]
    assert "#quot;hi#quot; #lt;b#gt;#35;1#lt;/b#gt; #96;md#96;" in text
    assert '"' not in text.split('["', 1)[1].split('"]', 1)[0]


def test_dot_quotes_ids_and_labels() -> None:
    graph = LineageGraph('a"b', (LineageNode('a"b', "x", 'back\\slash "q"\nline'), LineageNode("c", "commit", "c")),
                         (LineageEdge('a"b', "c", "rel"),))
    text = to_dot(graph)
    assert text.startswith("digraph lineage {\n") and text.rstrip().endswith("}")
    assert '"a\\"b" [label="back\\\\slash \\"q\\"\\nline"' in text
    assert '"a\\"b" -> "c" [label="rel"];' in text


@pytest.mark.parametrize("impact_flag", [False, True])
def test_cli_formats_agree_on_the_graph(registry: Path, charter: Charter, impact_flag: bool) -> None:
    args = ["-C", registry, "lineage", "event:sepsis-onset@2.0.0" if impact_flag else "model:sepsis-risk@1.1.0"]
    if impact_flag:
        args.append("--impact")
    as_json = charter(*args, "--format", "json")
    assert as_json.code == 0, as_json
    graph = json.loads(as_json.stdout)
    assert graph["direction"] == ("impact" if impact_flag else "upstream")
    refs = {n["ref"] for n in graph["nodes"]}
    assert all(e["source"] in refs and e["target"] in refs for e in graph["edges"])

    mermaid = charter(*args, "--format", "mermaid").stdout
    ids = _declared(mermaid, r'^    (n\d+)\["[^"]*"\]$')
    pairs = re.findall(r'^    (n\d+) -->\|"[^"]*"\| (n\d+)$', mermaid, flags=re.M)
    assert len(ids) == len(graph["nodes"]) and len(pairs) == len(graph["edges"])
    assert all(a in ids and b in ids for a, b in pairs)

    dot = charter(*args, "--format", "dot").stdout
    node_ids = _declared(dot, r'^    ("(?:[^"\\]|\\.)*") \[label=')
    dot_edges = re.findall(r'^    ("(?:[^"\\]|\\.)*") -> ("(?:[^"\\]|\\.)*") \[label=', dot, flags=re.M)
    assert {i.strip('"') for i in node_ids} == refs
    assert len(dot_edges) == len(graph["edges"]) and all(a in node_ids and b in node_ids for a, b in dot_edges)
    assert dot.count("{") == dot.count("}") == 1

    tree = charter(*args)
    assert tree.code == 0
    first = tree.stdout.splitlines()[0]
    assert first.startswith(graph["root"])
    for ref in refs:  # every node appears in the tree
        node = next(n for n in graph["nodes"] if n["ref"] == ref)
        assert node["label"] in tree.stdout


def test_tree_shows_relations(registry: Path, charter: Charter) -> None:
    tree = charter("-C", registry, "lineage", "model:sepsis-risk@1.1.0").stdout
    assert "├── labelEvent → event:sepsis-onset@2.0.0 EventDefinition" in tree
    assert "← model evaluation:sepsis-risk-1-1-0-retro@1.0.0 Evaluation" in tree


def test_unknown_ref_suggests_the_closest(registry: Path, charter: Charter) -> None:
    result = charter("-C", registry, "lineage", "event:sepsis-onset@2.0.1")
    assert result.code == 2
    assert "event:sepsis-onset@2.0.1 does not exist" in result.stderr
    assert "did you mean event:sepsis-onset@2.0.0" in result.stderr
    malformed = charter("-C", registry, "lineage", "sepsis-onset")
    assert malformed.code == 2 and "is not a reference" in malformed.stderr
    with pytest.raises(CharterError):
        upstream(Registry(registry).index, "cohort:nothing@1.0.0")
